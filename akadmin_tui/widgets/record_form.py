"""A form generated from the schema for one record: live validation, Save per field, Save all, Revert."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

from ..settings.editor import ChangeRefused, SettingsEditor, record_path
from ..settings.fields import Problem, Section, Severity
from ..settings.keys import format_key
from ..settings.store import SaveError
from ..settings.validate import FieldError, record_problems
from ..settings.vault import VaultError
from .field_row import FieldRow


class RecordForm(Vertical):
    """Every field of one record of a section, editing a copy until saved."""

    class Saved(Message):
        """Some fields of the record were written to disk."""

        def __init__(self, form: RecordForm, keys: list[str]) -> None:
            super().__init__()
            self.form = form
            self.keys = keys

        @property
        def control(self) -> RecordForm:
            """The form that saved."""
            return self.form

    class Ready(Message):
        """The form's rows are mounted and can take the focus."""

        def __init__(self, form: RecordForm) -> None:
            super().__init__()
            self.form = form

        @property
        def control(self) -> RecordForm:
            """The form that is ready."""
            return self.form

    def __init__(self, editor: SettingsEditor, section: Section, record_key: str | None = None,
                 *, initial: dict[str, Any] | None = None, id: str | None = None) -> None:
        super().__init__(classes="record-form", id=id)
        self.editor = editor
        self.section = section
        self.record_key = record_key
        self._initial = initial if initial is not None else editor.values(section, record_key)
        self._rows: list[FieldRow] | None = None
        self._by_key: dict[str, FieldRow] = {}

    def compose(self) -> ComposeResult:
        document = self._document()
        for field in self.section.fields:
            choices = field.choice_labels(document) if field.choices_from is not None else None
            yield FieldRow(field, self._initial.get(field.key), read_only=self.editor.read_only, choices=choices)

    def _document(self) -> dict[str, Any] | None:
        """The file's plain document, when this section's choices or rules look at other records."""
        if not self.section.uses_document:
            return None
        return self.editor.config.plain()

    def refresh_choices(self) -> None:
        """Bring the pick-lists of other records (a bank's company…) up to date with the file."""
        document = self._document()
        if document is None or not self.is_mounted:
            return
        for row in self.rows:
            if row.computed_choice:
                row.refresh_choices(row.field.choice_labels(document))
        self.refresh_problems()

    def on_mount(self) -> None:
        self.refresh_problems()
        self.post_message(self.Ready(self))

    # --- queries -------------------------------------------------------------------------------

    @property
    def rows(self) -> list[FieldRow]:
        """The field rows, in schema order."""
        # Rows are composed once and never added or removed; a CSS query over ~400 widgets is what a cursor
        # move in Batches spent most of its time on, so the list is kept once every row is attached.
        if self._rows is None:
            rows = list(self.query(FieldRow))
            if rows and self.is_mounted:
                self._rows, self._by_key = rows, {row.key: row for row in rows}
            return rows
        return self._rows

    def row(self, key: str) -> FieldRow:
        """The row of field `key`."""
        found = self._by_key.get(key) if self.rows is self._rows else None
        return found if found is not None else self.query_one(f"#row-{key}", FieldRow)

    def modified_rows(self) -> list[FieldRow]:
        """The rows whose editor differs from the saved value."""
        return [row for row in self.rows if row.modified]

    @property
    def has_changes(self) -> bool:
        """True when something is modified but not saved."""
        return bool(self.modified_rows())

    def pending_values(self) -> dict[str, Any]:
        """Saved values overlaid with every valid edited value."""
        values = {row.key: row.saved for row in self.rows}
        for row in self.rows:
            try:
                values[row.key] = row.current()
            except FieldError:
                pass
        return values

    # --- live validation ------------------------------------------------------------------------

    def refresh_problems(self) -> list[Problem]:
        """Show each row's own error, or the rules' findings over the pending values."""
        problems: dict[str, Problem] = {}
        parse_errors: set[str] = set()
        for row in self.rows:
            try:
                row.current()
            except FieldError as error:
                problems[row.key] = Problem(row.key, str(error))
                parse_errors.add(row.key)
        for problem in record_problems(self.section, self.pending_values(), self._document(), self.record_key):
            if problem.field_key and problem.field_key not in parse_errors:
                previous = problems.get(problem.field_key)
                if previous is None or previous.severity is Severity.WARNING:
                    problems[problem.field_key] = problem
        for row in self.rows:
            found = problems.get(row.key)
            row.show_problem(found.message if found else "", found.severity if found else None)
        return list(problems.values())

    @on(FieldRow.Changed)
    def _on_row_changed(self, event: FieldRow.Changed) -> None:
        event.stop()
        self._apply_fills(event.row)
        self.refresh_problems()

    def _apply_fills(self, row: FieldRow) -> None:
        fills = row.field.fills
        if not fills:
            return
        try:
            value = row.current()
        except FieldError:
            return
        for key, filled in fills.get(value, {}).items():
            self.row(key).set_value(filled)

    # --- saving ---------------------------------------------------------------------------------

    @on(FieldRow.SaveRequested)
    def _on_save_requested(self, event: FieldRow.SaveRequested) -> None:
        event.stop()
        self.save([event.row])

    def save(self, rows: list[FieldRow] | None = None) -> bool:
        """Save the given rows (default: every modified row); True when written."""
        if self.editor.read_only:
            self.app.notify("This console is read-only: nothing was saved.", severity="error")
            return False
        # An unchanged field is not written again: a no-op save would only churn the backup.
        rows = self.modified_rows() if rows is None else [row for row in rows if row.modified]
        if not rows:
            self.app.notify("Nothing to save: no field differs from the file.", timeout=2)
            return True
        changes = self._read_values(rows)
        if changes is None or not self._write(lambda: self.editor.apply(self.section, self.record_key, changes)):
            return False
        labels = ", ".join(row.field.label for row in rows)
        self.app.notify(f"Saved {labels}.", timeout=3)
        self.post_message(self.Saved(self, [row.key for row in rows]))
        return True

    def _read_values(self, rows: list[FieldRow]) -> dict[str, Any] | None:
        """The rows' typed values by key, or None (the first bad one flagged) when one does not parse."""
        values: dict[str, Any] = {}
        for row in rows:
            try:
                values[row.key] = row.current()
            except FieldError as error:
                row.show_problem(str(error), Severity.ERROR)
                self.app.notify(str(error), title="Not saved", severity="error")
                return None
        return values

    def _write(self, write: Callable[[], list]) -> bool:
        """Run one write to the file and show its outcome in the form; False when it was refused."""
        try:
            warnings = write()
        except ChangeRefused as refused:
            self._show_findings(refused.findings, Severity.ERROR)
            self.app.notify("\n".join(f.message for f in refused.findings), title="Not saved", severity="error")
            return False
        except (SaveError, VaultError) as error:
            self.app.notify(str(error), title="Not saved", severity="error")
            return False
        self.reload_saved()
        self.refresh_problems()
        self._show_findings(warnings, Severity.WARNING)
        return True

    def reload_saved(self) -> None:
        """Take the saved values from the file again (a save may fill other fields)."""
        saved = self.editor.values(self.section, self.record_key)
        for row in self.rows:
            row.mark_saved(saved.get(row.key))

    def follow_saved(self) -> None:
        """Show what another process saved; a field being edited here keeps what was typed."""
        if not self.editor.exists(self.section, self.record_key):
            return  # removed elsewhere: the view's list drops it
        saved = self.editor.values(self.section, self.record_key)
        for row in self.rows:
            editing = row.modified
            row.mark_saved(saved.get(row.key))
            if not editing:
                row.revert()

    def _show_findings(self, findings, severity: Severity) -> None:
        base = format_key(record_path(self.section, self.record_key))
        for finding in findings:
            key = finding.where[len(base) + 1:] if finding.where.startswith(base + ".") else None
            if key and self.section.has_field(key):
                self.row(key).show_problem(finding.message, severity)

    def revert(self, rows: list[FieldRow] | None = None) -> int:
        """Put the saved values back in the given rows (default: all); returns how many changed."""
        rows = self.modified_rows() if rows is None else [r for r in rows if r.modified]
        for row in rows:
            row.revert()
        self.refresh_problems()
        return len(rows)
