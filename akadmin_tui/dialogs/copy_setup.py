"""Copy to company: the destination of a Chorus setup, picked from the companies filtered by typing."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class CopyToCompanyScreen(ModalScreen[str | None]):
    """The help list of destination companies, filtered by typing; Enter validates."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="akadmin.cancel")]

    def __init__(self, source: str, companies: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.source = source
        self.companies = companies

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Copy the setup of {self.source} to a company", classes="dialog-title", markup=False)
            yield Static("The information is emptied in the source company and added to the destination "
                         "company.", classes="dialog-text")
            yield Input(placeholder="type to filter the companies", id="copy-filter", compact=True)
            yield OptionList(id="copy-targets")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Validate (Enter)", id="validate", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#copy-filter", Input).focus()

    def _fill(self, text: str) -> None:
        targets = self.query_one("#copy-targets", OptionList)
        targets.clear_options()
        wanted = text.strip().lower()
        targets.add_options([Option(Content.assemble(code, "  ", (name, "dim")), id=code)
                             for code, name in self.companies
                             if code != self.source and (wanted in code.lower() or wanted in name.lower())])
        if targets.option_count:
            targets.highlighted = 0

    @on(Input.Changed, "#copy-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _validate(self) -> None:
        targets = self.query_one("#copy-targets", OptionList)
        if targets.highlighted is not None:
            self.dismiss(targets.get_option_at_index(targets.highlighted).id)

    @on(Input.Submitted, "#copy-filter")
    @on(OptionList.OptionSelected, "#copy-targets")
    @on(Button.Pressed, "#validate")
    def _validate_event(self) -> None:
        self._validate()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def key_down(self) -> None:
        self.query_one("#copy-targets", OptionList).action_cursor_down()

    def key_up(self) -> None:
        self.query_one("#copy-targets", OptionList).action_cursor_up()
