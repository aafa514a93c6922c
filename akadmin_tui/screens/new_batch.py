"""The dialog that starts a new batch: its code and its template, before its form opens."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ..settings import schema
from ..settings.batch_params import TEMPLATES


class NewBatchScreen(ModalScreen[tuple[str, str] | None]):
    """Ask a code (not taken) and a template; dismisses with both, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "create", "Create", priority=True)]

    def __init__(self, taken: set[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.taken = taken

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label("New batch", classes="dialog-title")
            yield Label("Code", classes="field-label")
            yield Input(placeholder=schema.BATCHES.key_help, id="new-code", compact=True)
            yield Label("Batch template", classes="field-label")
            yield Select([(f"{t.name} — {t.label}", t.name) for t in TEMPLATES.values()], allow_blank=False,
                         compact=True, id="new-template")
            yield Static("Then fill the label, the schedule and the parameters, and save with F2.",
                         classes="dialog-text")
            yield Static("", id="new-error", classes="field-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", id="create", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        code = self.query_one("#new-code", Input)
        code.cursor_blink = not self.app.is_headless
        code.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_create(self) -> None:
        code = self.query_one("#new-code", Input).value.strip()
        if not re.match(schema.CODE_PATTERN, code):
            self.query_one("#new-error", Static).update(f"'{code}' is not a valid code: {schema.BATCHES.key_help}")
            return
        if code in self.taken:
            self.query_one("#new-error", Static).update(f"A batch {code} already exists: pick another code.")
            return
        self.dismiss((code, str(self.query_one("#new-template", Select).value)))

    @on(Input.Submitted, "#new-code")
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
