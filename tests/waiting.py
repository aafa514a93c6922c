"""Waits on what a test expects to happen in the console, instead of pauses of a guessed length."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events
from textual.command import CommandList, CommandPalette
from textual.content import Content
from textual.css.query import QueryError
from textual.pilot import Pilot
from textual.widget import Widget

# The console polls at this pace; short enough to be quick, long enough to let workers and timers run.
STEP_S = 0.02


async def wait_until(pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0,
                     what: str = "the expected change") -> None:
    """Let the app run until `condition()` is true; fail naming `what` did not happen within `timeout` seconds.

    A condition that raises a query or lookup error (a widget, row or cell not there yet) counts as not yet true.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: Exception | None = None
    while True:
        try:
            if condition():
                return
            last_error = None
        except (QueryError, LookupError) as error:
            last_error = error
        if loop.time() >= deadline:
            reason = f" (last: {type(last_error).__name__}: {last_error})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{reason}")
        await pilot.pause(STEP_S)


async def wait_for_screen(pilot: Pilot, screen_type: type, timeout: float = 10.0) -> None:
    """Wait until the active screen is a `screen_type`, mounted and with its focus given."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type) and pilot.app.screen.is_mounted
                     and pilot.app.focused is not None, timeout, f"the {screen_type.__name__} to be shown")


async def wait_for_focus(pilot: Pilot, selector: str, timeout: float = 10.0) -> Widget:
    """Wait until the focused widget matches `selector` (e.g. '#menu' or 'Input'); returns it."""
    await wait_until(pilot, lambda: pilot.app.focused is not None and pilot.app.focused in pilot.app.screen.query(selector),
                     timeout, f"the focus on {selector}")
    focused = pilot.app.focused
    assert focused is not None
    return focused


async def wait_for_workers(pilot: Pilot) -> None:
    """Wait until every worker of the app has finished and the messages they posted are handled."""
    await pilot.app.workers.wait_for_complete()
    await wait_until(pilot, lambda: not any(worker.is_running for worker in pilot.app.workers),
                     what="the app's workers to finish")


async def settle(pilot: Pilot, timeout: float = 10.0) -> None:
    """Wait until no worker of the app runs and every message posted so far is handled (with a repaint).

    For a step whose only visible effect is the state the app is left in: the condition is that the app is idle,
    however long the machine takes to get there, instead of a guessed delay.
    """
    await wait_until(pilot, lambda: workers_idle(pilot), timeout, "the app's workers to finish")
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def shown_text(widget: Widget) -> str:
    """What a Static (or any widget) renders, as plain text."""
    return str(widget.render())


def workers_idle(pilot: Pilot) -> bool:
    """True when no worker of the app is running."""
    return not any(worker.is_running for worker in pilot.app.workers)


async def run_from_palette(pilot: Pilot, text: str) -> None:
    """Open the command palette, type `text`, wait until its best match says it, and run that match."""
    await pilot.press("ctrl+p")
    await wait_for_screen(pilot, CommandPalette)
    palette = pilot.app.screen
    await pilot.press(*text)

    def best_match_is_it() -> bool:
        results = palette.query_one(CommandList)
        if not workers_idle(pilot) or results.highlighted is None:
            return False
        prompt = results.get_option_at_index(results.highlighted).prompt
        return text.lower() in Content.from_text(prompt).plain.lower()

    await wait_until(pilot, best_match_is_it, what=f"the palette's best match for {text!r}")
    await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.screen is not palette, what="the palette to close")


def burst(pilot: Pilot, *keys: str) -> None:
    """Send `keys` the way a terminal delivers a paste or a fast typist over SSH: all at once, no wait between them.

    `pilot.press` lets the app go idle after each key, which hides any key that lands in the wrong widget.
    """
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        character = key if len(key) == 1 else {"tab": "\t", "enter": "\r", "space": " "}.get(key)
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)
