"""The dialogs that create a record: a new record's code and required fields, or a certificate file to import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..settings.certificates import CertificateError, default_alias, describe, read_certificate_file, to_pem
from ..settings.fields import Section
from ..widgets.field_row import FieldRow

# Creates the record from its code and values; returns why it was refused, or None once created.
CreateRecord = Callable[[str | None, dict[str, Any]], str | None]


class NewRecordScreen(ModalScreen[str | None]):
    """Ask for a new record's code (for collections) and its required fields, then create it.

    The dialog stays open with the reason when creation is refused; it dismisses with the code.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel"),
                Binding("ctrl+s", "create", "Create", priority=True, id="akadmin.create")]

    def __init__(self, section: Section, *, needs_code: bool, create: CreateRecord) -> None:
        super().__init__(classes="dialog-screen")
        self.section = section
        self.needs_code = needs_code
        self._create = create

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"New {self.section.record_noun}", classes="dialog-title")
            if self.needs_code:
                yield Label("Code", classes="field-label")
                yield Input(placeholder=self.section.key_help, id="new-code", compact=True)
            for field in self.section.fields:
                if field.required:
                    yield FieldRow(field, None)
            yield Static("", id="new-error", classes="field-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", id="create", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for button in self.query(".field-save"):
            button.display = False
        first = self.query("#new-code, .field-input").first()
        first.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_create(self) -> None:
        code = self.query_one("#new-code", Input).value.strip() if self.needs_code else None
        values: dict[str, Any] = {}
        for row in self.query(FieldRow):
            try:
                values[row.key] = row.current()
            except ValueError as error:
                self.show_error(str(error))
                return
        problem = self._create(code, values)
        if problem:
            self.show_error(problem)
        else:
            self.dismiss(code)

    @on(FieldRow.SaveRequested)
    def _submit_from_row(self, event: FieldRow.SaveRequested) -> None:
        event.stop()
        self.action_create()

    @on(Input.Submitted, "#new-code")
    def _submit_code(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        """Show why the record could not be created, keeping what was typed."""
        self.query_one("#new-error", Static).update(message)


class ImportCertificateScreen(ModalScreen[str | None]):
    """Ask for a certificate file (DER or PEM) and an alias, show what it is, then import it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel"),
                Binding("ctrl+s", "import_file", "Import", priority=True, id="akadmin.import")]

    def __init__(self, create: CreateRecord) -> None:
        super().__init__(classes="dialog-screen")
        self._create = create

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label("Import a trusted certificate", classes="dialog-title")
            yield Label("File (DER or PEM), e.g. /root/certigna.der", classes="field-label")
            yield Input(id="cert-file", compact=True)
            yield Label("Alias (empty: from the certificate's name)", classes="field-label")
            yield Input(id="cert-alias", compact=True)
            yield Static("", id="cert-preview", markup=False)
            yield Static("", id="new-error", classes="field-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import (ctrl+s)", id="import", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cert-file", Input).focus()

    def _read(self):
        path = Path(self.query_one("#cert-file", Input).value.strip()).expanduser()
        return read_certificate_file(path)

    @on(Input.Changed, "#cert-file")
    def _preview(self) -> None:
        try:
            info = describe(self._read())
        except CertificateError as error:
            self.query_one("#cert-preview", Static).update(str(error))
            return
        self.query_one("#cert-preview", Static).update("\n".join(info.lines()))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_import_file(self) -> None:
        try:
            cert = self._read()
        except CertificateError as error:
            self.query_one("#new-error", Static).update(str(error))
            return
        alias = self.query_one("#cert-alias", Input).value.strip() or default_alias(cert)
        problem = self._create(alias, {"pem": to_pem(cert)})
        if problem:
            self.query_one("#new-error", Static).update(problem)
        else:
            self.dismiss(alias)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_import_file()

    @on(Button.Pressed, "#import")
    def _import_pressed(self) -> None:
        self.action_import_file()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
