"""A section shown as a table of its records above the chosen one's form (batches, accounting configurations)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.binding import Binding
from textual.widgets import ContentSwitcher, DataTable, Static

from ..widgets.filtered_record_form import FilteredRecordForm
from .section_view import SectionView


def form_bindings(noun: str) -> list[Binding]:
    """The save and revert keys of a record form, the new record's creation named after `noun`."""
    return [
        # F2 is the save these forms need (a new record is created whole); ctrl+s works, out of a footer that must fit.
        Binding("ctrl+s", "save_field", "Save", tooltip="Save the focused field", show=False, id="akadmin.save"),
        Binding("f2", "save_all", "Save all", tooltip=f"Save the {noun} (a new one is created)", id="akadmin.save-all"),
        Binding("ctrl+r", "revert_field", "Revert", show=False, id="akadmin.revert"),
        Binding("f3", "revert_all", "Revert all", show=False, id="akadmin.revert-all"),
    ]


FORM_ACTIONS = ("save_field", "save_all", "revert_field", "revert_all")


class FilteredRecordView(SectionView):
    """A table of records above the selected one's form; new records stay drafts in their form until saved."""

    # The ids of the records' table and of the scrolling area holding the form.
    TABLE_ID = ""
    DETAIL_ID = ""
    FORM: type[FilteredRecordForm] = FilteredRecordForm

    def __init__(self, editor, section, *, id: str | None = None) -> None:
        super().__init__(editor, section, id=id)
        self._drafts: dict[str, Any] = {}  # new records not saved yet: key -> what their dialog chose

    def _skip_detail_on_tab(self) -> None:
        """Let Tab go from the table straight into the form's fields (not the area holding them)."""
        # A helper rather than an on_mount: Textual calls each class's on_mount itself, so one here would
        # reload the section once more. The fields scroll themselves into view.
        self.query_one(f"#{self.DETAIL_ID}").can_focus = False

    # --- the table -------------------------------------------------------------------------------

    def _fill_table(self, rows: dict[str, tuple[str, ...]], select: str | None, first: str | None,
                    empty_text: str) -> None:
        """Put `rows` in the table and show the selected record (else the current one, else `first`)."""
        table = self.query_one(f"#{self.TABLE_ID}", DataTable)
        table.clear()
        for key, cells in rows.items():
            table.add_row(*cells, key=key)
        keys = list(rows)
        target = select if select in keys else (self._current if self._current in keys else first)
        empty = self.query_one("#empty-state", Static)
        empty.display = target is None
        empty.update(empty_text)
        if target is not None:
            table.move_cursor(row=keys.index(target), animate=False)
        self.show_record(target)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != self.TABLE_ID:
            return
        event.stop()
        key = event.row_key.value
        if key != self._current:
            self.show_record(key)
            self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != self.TABLE_ID:
            return
        event.stop()
        self._open_row()

    def _open_row(self) -> None:
        """What Enter on a row of the table does."""
        self.focus_field(None)

    # --- the detail ------------------------------------------------------------------------------

    def _draft_values(self, key: str) -> dict[str, Any]:
        """The values a draft's dialog chose, to start its form with."""
        raise NotImplementedError

    def _show_form(self, record_key: str) -> FilteredRecordForm:
        """Show (creating if needed) the form of a record; a draft's starts with what its dialog chose."""
        switcher = self.query_one("#forms", ContentSwitcher)
        form = self._forms.get(record_key)
        if form is None:
            initial = None
            if record_key in self._drafts:
                initial = self.editor.values(self.section, record_key) | self._draft_values(record_key)
            form = self.FORM(self.editor, self.section, record_key, initial=initial, id=self._next_form_id())
            self._forms[record_key] = form
            switcher.mount(form)
        switcher.current = form.id
        return form

    def _drop_form(self, key: str | None) -> None:
        """Remove a deleted (or discarded) record's form and show the table again."""
        form = self._forms.pop(key, None)
        if form is not None:
            form.remove()
        self._current = None
        self.reload()

    def focus_first_field(self) -> None:
        """Opening the view puts the focus on the table of records."""
        found = self.query(f"#{self.TABLE_ID}")
        if not found:  # opened from the palette before its children are mounted
            self.call_after_refresh(self.focus_first_field)
            return
        found.first(DataTable).focus()

    def focus_field(self, key: str | None) -> None:
        """Put the focus on field `key` of the shown record (its first visible field when hidden or None)."""
        form = self.form
        if form is None and self._current is None and self.editor.record_keys(self.section):
            # Opened from the palette: the view has not shown its first record yet; its form takes the focus.
            self._pending_focus = key or ""
            return
        if form is None:
            self.focus_first_field()
            return
        if not form.is_mounted or not form.rows:
            self._pending_focus = key or ""
            return
        rows = form.visible_rows()
        row = next((r for r in rows if r.key == key), rows[0])
        (row if row.read_only else row.editor).focus()
        self.call_after_refresh(row.scroll_visible)

    def action_cancel_or_back(self) -> None:
        # From the form back to the table, from the table back to the menu.
        focused, detail = self.app.focused, self.query_one(f"#{self.DETAIL_ID}")
        if focused is not None and (focused is detail or detail in focused.ancestors):
            self.focus_first_field()
        else:
            self.screen.action_back()
