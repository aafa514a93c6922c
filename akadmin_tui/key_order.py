"""Keys applied in the order they were typed, even when a burst arrives in one read (a paste, a fast typist over SSH).

Textual checks a widget's ordinary bindings only once the key has bubbled from the focused widget back up to the
App, through one message queue per widget. Keys typed after it are already waiting in the App's queue, so they are
forwarded to the widget focused *before* the binding ran: `Q Tab Z Z` puts `QZZ` in the first field while the
focus moves on. Running the binding the moment the App reads the key keeps everything in order.
"""

from __future__ import annotations

from textual import events
from textual.app import App


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
