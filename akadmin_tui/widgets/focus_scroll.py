"""A scrolling form area that keeps the focused field in view while the content around it changes size."""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.widget import Widget


class FocusKeepingScroll(VerticalScroll):
    """Scrolls back to the focused field (its whole row when the row opened) each time the content resizes.

    A jump from the palette scrolls to the field before every part of the form has its final height (a hint,
    the summary, the row's own description): without this the field can end under the help panel.
    """

    def on_resize(self, event: events.Resize) -> None:
        focused = self.screen.focused if self.is_mounted else None
        if focused is None or self not in focused.ancestors:
            return
        # An opened row (its description in full) is shown whole; queued after the scrolls already asked for.
        opened = next((node for node in focused.ancestors if isinstance(node, Widget) and node.has_class("-focused")),
                      focused)
        opened.scroll_visible(animate=False)
