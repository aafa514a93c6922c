"""A record form whose optional rows show only when the chosen template or integration uses them."""

from __future__ import annotations

from collections.abc import Collection
from itertools import pairwise
from typing import Any

from textual.widget import Widget

from .field_row import FieldRow
from .record_form import RecordForm


class FilteredRecordForm(RecordForm):
    """A record's form that shows only the rows its chosen kind uses, and creates a new record on its first save."""

    # The row that picks the kind (its template, its integration): the other rows follow it.
    CHOICE_KEY = ""
    # What the record is called in messages ("batch", "configuration").
    RECORD_NOUN = ""
    # The rows shown or hidden by the choice (each has a `set_required(bool)`).
    FILTERED_ROW: type[FieldRow] = FieldRow
    # Rows written on creation even when left empty.
    ALWAYS_CREATED: tuple[str, ...] = ()

    @property
    def is_new(self) -> bool:
        """True while the record exists only in this form (ctrl+n, not saved yet)."""
        return not self.editor.exists(self.section, self.record_key)

    def _uses(self) -> tuple[Collection[str], Collection[str]]:
        """The keys of the filtered rows the current choice uses, and those of them it requires."""
        raise NotImplementedError

    def _show_used_rows(self) -> None:
        """Show only the filtered rows the current choice uses, flagging the required ones."""
        used_keys, required_keys = self._uses()
        rows = {row.key: row for row in self.query(self.FILTERED_ROW)}
        for row in rows.values():
            used = row.key in used_keys
            row.display = used
            row.set_required(used and row.key in required_keys)
        # In the order the choice lists them, which is the order Tab follows: the SFTP form starts at its Host.
        shown = [rows[key] for key in used_keys if key in rows]
        for previous, row in pairwise(shown):
            if row.parent is previous.parent and self._after(previous) is not row:
                previous.parent.move_child(row, after=previous)

    @staticmethod
    def _after(row: FieldRow) -> Widget | None:
        """The widget that follows `row` in its container."""
        siblings = list(row.parent.children) if row.parent is not None else []
        index = siblings.index(row) if row in siblings else -1
        return siblings[index + 1] if 0 <= index < len(siblings) - 1 else None

    def visible_rows(self) -> list[FieldRow]:
        """The rows the admin can see and reach with Tab."""
        return [row for row in self.rows if row.display]

    def modified_rows(self) -> list[FieldRow]:
        # A new record is unsaved as a whole, even in the fields left as they came.
        rows = super().modified_rows()
        if self.is_mounted and self.is_new:
            return rows or [self.row(self.CHOICE_KEY)]
        return rows

    def _creation_rows(self) -> list[FieldRow]:
        """The rows whose values a new record is created with."""
        return self.visible_rows()

    def save(self, rows: list[FieldRow] | None = None) -> bool:
        """Save the given rows; a new record is created with every value at once (refused while incomplete)."""
        if not self.is_new or self.editor.read_only:
            return super().save(rows)
        read = self._read_values(self._creation_rows())
        if read is None:
            return False
        # Only what the admin filled: defaults of rows left alone would be noise in the file.
        values: dict[str, Any] = {key: value for key, value in read.items()
                                  if value not in (None, "", False) or key in self.ALWAYS_CREATED}
        if not self._write(lambda: self.editor.create(self.section, self.record_key, values)):
            return False
        self.app.notify(f"Created {self.RECORD_NOUN} {self.record_key}.", timeout=3)
        self.post_message(self.Saved(self, list(values)))
        return True
