"""The dialog that starts a new record: a code not taken yet and one or more choices, before its form opens."""

from __future__ import annotations

import re
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets._select import SelectOverlay  # the drop-down itself: its height is ours to bound

from ..settings import schema
from ..settings.fields import Section

MIN_DROP_DOWN = 3  # rows: fewer and a drop-down is no use, even if it passes the dialog's edge


class CodeAndChoiceScreen(ModalScreen[tuple[str, ...] | None]):
    """Ask a code (not taken) and the choices of `_choices`; dismisses with the code and each choice, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel"),
                Binding("ctrl+s", "create", "Create", priority=True, id="akadmin.create")]

    HEADING = ""
    # What the code is called ("Code", "Name") and what a record is called ("batch", "configuration").
    CODE_LABEL = "Code"
    RECORD_NOUN = ""
    HINT = ""  # what to do once the form opens
    SECTION: Section  # whose key rules the code follows

    def __init__(self, taken: set[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.taken = taken

    def _choices(self) -> ComposeResult:
        """The labelled Selects under the code, in the order their values are dismissed with."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(self.HEADING, classes="dialog-title")
            yield Label(self.CODE_LABEL, classes="field-label")
            yield Input(placeholder=self.SECTION.key_help, id="new-code", compact=True)
            yield from self._choices()
            yield Static(self.HINT, classes="dialog-text")
            yield Static("", id="new-error", classes="field-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", id="create", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        code = self.query_one("#new-code", Input)
        code.cursor_blink = not self.app.is_headless
        code.focus()
        for select in self.query(Select):
            self.watch(select, "expanded", partial(self._fit_drop_down, select), init=False)

    def _fit_drop_down(self, select: Select, expanded: bool) -> None:
        """Keep an open drop-down inside the dialog: as tall as the room under its Select, scrolling past that."""
        if not expanded:
            return
        dialog = self.query_one(".dialog")
        inside = dialog.region.shrink(dialog.styles.border.spacing)
        room = inside.bottom - select.region.bottom
        select.query_one(SelectOverlay).styles.max_height = max(MIN_DROP_DOWN, room)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_create(self) -> None:
        code = self.query_one("#new-code", Input).value.strip()
        error = self.query_one("#new-error", Static)
        word = self.CODE_LABEL.lower()
        if not re.match(schema.CODE_PATTERN, code):
            error.update(f"'{code}' is not a valid {word}: {self.SECTION.key_help}")
            return
        if code in self.taken:
            error.update(f"A {self.RECORD_NOUN} {code} already exists: pick another {word}.")
            return
        self.dismiss((code, *(str(select.value) for select in self.query(Select))))

    @on(Input.Submitted, "#new-code")
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
