"""The switch of a form's boolean field: Space toggles it, Enter saves it, as Enter saves every other field."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Switch


class FieldSwitch(Switch):
    """A Switch whose Enter asks to save instead of toggling (Textual's Switch toggles on both)."""

    inherit_bindings = False
    BINDINGS = [
        Binding("space", "toggle_switch", "Toggle", show=False, id="akadmin.toggle"),
        Binding("enter", "submit", "Save", show=False, id="akadmin.submit-switch"),
    ]

    class Submitted(Message):
        """Enter was pressed on the switch."""

        def __init__(self, switch: FieldSwitch) -> None:
            super().__init__()
            self.switch = switch

        @property
        def control(self) -> FieldSwitch:
            """The switch Enter was pressed on."""
            return self.switch

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))
