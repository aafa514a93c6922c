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
from ..settings.editor import SettingsEditor, new_code_problem
from ..settings.fields import Section, Severity
from ..settings.validate import FieldError, record_problems
from ..widgets.field_row import FieldRow

# Creates the record from its code and values; returns why it was refused, or None once created.
CreateRecord = Callable[[str | None, dict[str, Any]], str | None]


class NewRecordScreen(ModalScreen[str | None]):
    """Ask for a new record's code (for collections), its required fields and its `new_fields`, then create it.

    What is wrong with the code (empty, bad characters, already used) shows under it as it is typed, and each
    field's problem under the field; the dialog stays open with the reason when creation is refused and
    dismisses with the code.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel"),
                Binding("ctrl+s", "create", "Create", priority=True, id="akadmin.create")]

    def __init__(self, section: Section, *, needs_code: bool, create: CreateRecord,
                 editor: SettingsEditor | None = None) -> None:
        """`editor`: the settings the record joins, to name codes already used and offer the records to pick."""
        super().__init__(classes="dialog-screen")
        self.section = section
        self.needs_code = needs_code
        self._create = create
        self._editor = editor
        self._touched: set[str] = set()

    def _document(self) -> dict[str, Any] | None:
        return self._editor.config.plain() if self._editor is not None and self.section.uses_document else None

    def _asked(self, key: str) -> bool:
        return self.section.field(key).required or key in self.section.new_fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"New {self.section.record_noun}", classes="dialog-title")
            if self.needs_code:
                yield Label("Code", classes="field-label")
                yield Input(placeholder=self.section.key_help, id="new-code", compact=True)
                yield Static("", id="new-code-message", classes="field-message", markup=False)
            document = self._document()
            for field in self.section.fields:
                if self._asked(field.key):
                    choices = field.choice_labels(document) if field.choices_from is not None else None
                    yield FieldRow(field, None, choices=choices)
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

    # --- live validation ---------------------------------------------------------------------------

    @property
    def code(self) -> str | None:
        """The code typed so far (None when the record has none)."""
        return self.query_one("#new-code", Input).value.strip() if self.needs_code else None

    def code_problem(self) -> str | None:
        """What is wrong with the code typed so far, in the words Create would refuse it with."""
        if not self.needs_code:
            return None
        if self._editor is not None:
            return self._editor.code_problem(self.section, self.code)
        return new_code_problem(self.section, self.code)

    def _show_code_problem(self) -> str | None:
        problem = self.code_problem()
        message = self.query_one("#new-code-message", Static)
        message.update(problem or "")
        message.set_class(problem is not None, "-invalid")
        return problem

    @on(Input.Changed, "#new-code")
    def _code_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_code_problem()
        self._show_field_problems()

    @on(FieldRow.Changed)
    def _field_changed(self, event: FieldRow.Changed) -> None:
        event.stop()
        self._touched.add(event.row.key)
        self._show_field_problems()

    def _show_field_problems(self) -> None:
        """Each field typed in shows what is wrong with it: its own check, then the record's rules (a SIRET used)."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for row in self.query(FieldRow):
            try:
                values[row.key] = row.current()
            except FieldError as error:
                errors[row.key] = str(error)
        found = {p.field_key: p for p in record_problems(self.section, values, self._document(), self.code)
                 if p.field_key}
        for row in self.query(FieldRow):
            if row.key not in self._touched:
                continue
            if row.key in errors:
                row.show_problem(errors[row.key], Severity.ERROR)
            elif row.key in found:
                row.show_problem(found[row.key].message, found[row.key].severity)
            else:
                row.show_problem("", None)

    # --- creating ----------------------------------------------------------------------------------

    def action_create(self) -> None:
        code = self.code
        problem = self._show_code_problem() if self.needs_code else None
        if problem is not None:
            self.show_error(f"Not created: {problem}")
            self.query_one("#new-code", Input).focus()
            return
        values: dict[str, Any] = {}
        for row in self.query(FieldRow):
            try:
                value = row.current()
            except ValueError as error:
                row.show_problem(str(error), Severity.ERROR)
                self.show_error(str(error))
                return
            if value in (None, "") and not row.field.required:
                continue  # an optional field left empty is not written
            values[row.key] = value
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
        preview = self.query_one("#cert-preview", Static)
        try:
            info = describe(self._read())
        except CertificateError as error:
            self._unreadable(str(error))
            return
        preview.remove_class("-error")
        preview.update("\n".join(info.lines()))

    def _unreadable(self, why: str) -> None:
        # Said once, where the certificate's description would be: not again under the buttons.
        preview = self.query_one("#cert-preview", Static)
        preview.add_class("-error")
        preview.update(why)
        self.query_one("#new-error", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_import_file(self) -> None:
        try:
            cert = self._read()
        except CertificateError as error:
            self._unreadable(str(error))
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
