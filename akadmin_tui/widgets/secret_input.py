"""A masked input for secrets, with an explicit key to reveal what was typed."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class SecretInput(Input):
    """An Input that masks its value until ctrl+t reveals it (and masks it again)."""

    BINDINGS = [Binding("ctrl+t", "toggle_reveal", "Reveal/mask", tooltip="Show or hide the secret", id="akadmin.reveal")]

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, password=True, compact=True, select_on_focus=False, **kwargs)

    @property
    def revealed(self) -> bool:
        """True while the secret is shown in clear."""
        return not self.password

    def action_toggle_reveal(self) -> None:
        """Switch between masked and revealed."""
        self.password = not self.password
        self.set_class(self.revealed, "-revealed")

    def on_blur(self) -> None:
        # Leaving the field masks it again, so a secret is never left on screen by accident.
        if self.revealed:
            self.action_toggle_reveal()
