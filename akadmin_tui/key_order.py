"""Keys applied in the order they were typed, even when a burst arrives in one read (a paste, a fast typist over SSH).

Two things let a key of a burst reach the wrong widget in a plain Textual app:

- an ordinary binding (Tab, the F-keys) runs only once its key has bubbled from the focused widget back up to the
  App, through one message queue per widget, while the keys typed after it already wait in the App's queue: `Q Tab
  Z Z` put `QZZ` in the first field while the focus moved on;
- a key whose effect settles later (Enter opens a section, then the section focuses its first field after the next
  refresh) lets the next keys go to the widget focused before.

So the App runs an ordinary binding the moment it reads the key, and holds each key until the console has applied
the one before (no widget of the screen has a message or an after-refresh callback pending), for a bounded time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App, ScreenStackError
from textual.timer import Timer
from textual.widget import Widget

# How long a key may wait for the console to settle after the one before; past it, it goes anyway (a widget that
# never settles, such as a running animation, must not make typing lag).
HOLD_AT_MOST_S = 1.0
# While widgets are still being mounted (a section opened by the key before, on a loaded server), the key waits
# for them, and then for the focus they take after their first refresh; never longer than this in all.
MOUNT_HOLD_AT_MOST_S = 5.0
# How often a held key checks whether the console has settled.
POLL_S = 0.005

KeyEvent = events.Key | events.Paste


async def run_binding_in_order(app: App, event: events.Key) -> bool:
    """Run the ordinary binding of `event` now, as Textual would once the key had bubbled up; True when one ran.

    Left to Textual (False): no widget focused, a priority binding (Textual runs those first anyway), and a key
    some widget of the focus chain handles in a `key_…` method (it must see the key before any binding does).
    The chain already leaves out keys the focused widget consumes (text typed into an Input).
    """
    focused = app.focused
    if focused is None or event.is_forwarded:
        return False
    chain = app.screen._modal_binding_chain
    bindings = [binding for _, bound in chain for binding in bound.key_to_bindings.get(event.key, ())]
    if not bindings or any(binding.priority for binding in bindings):
        return False
    names = [f"{prefix}key_{alias}" for alias in event.name_aliases for prefix in ("", "_")]
    if any(hasattr(node, name) for node, _ in chain for name in names):
        return False
    return await app._check_bindings(event.key)


class KeyGate:
    """Lets a key through only once the console has applied the key before it."""

    def __init__(self, app: App, apply: Callable[[KeyEvent], Awaitable[None]]) -> None:
        self.app = app
        self.apply = apply
        self.held: deque[KeyEvent] = deque()
        self._waiting_since = 0.0  # since when the first held key waits for the console to settle
        self._held_since = 0.0  # since when it waits at all (mounting included)
        self._timer: Timer | None = None

    async def receive(self, event: KeyEvent) -> None:
        """Apply `event` now if nothing is pending, else after the keys held before it."""
        if not self.held and not self.settling():
            await self.apply(event)
            return
        if not self.held:
            self._waiting_since = self._held_since = time.monotonic()
        self.held.append(event)
        self._poll_soon()

    def settling(self) -> bool:
        """True while some widget of the screen still has a message or an after-refresh callback to handle."""
        app = self.app
        if app._next_callbacks:
            return True
        try:
            nodes = app.screen.walk_children(with_self=True)
        except ScreenStackError:  # no screen yet: nothing to wait for
            return False
        return any(node._next_callbacks or not node._message_queue.empty() for node in nodes)

    def mounting(self) -> bool:
        """True while some widget of the screen is composed but not mounted yet."""
        try:
            return any(isinstance(node, Widget) and not node.is_mounted for node in self.app.screen.walk_children())
        except ScreenStackError:
            return False

    async def _release(self) -> None:
        self._timer = None
        if not self.held:
            return
        now = time.monotonic()
        if now - self._held_since < MOUNT_HOLD_AT_MOST_S and self.mounting():
            self._waiting_since = now  # the settling window starts once what is being built is mounted
            self._poll_soon()
            return
        if self.settling() and now - self._waiting_since < HOLD_AT_MOST_S:
            self._poll_soon()
            return
        await self.apply(self.held.popleft())
        if self.held:
            self._waiting_since = self._held_since = time.monotonic()
            self._poll_soon()

    def _poll_soon(self) -> None:
        if self._timer is None:
            self._timer = self.app.set_timer(POLL_S, self._release)
