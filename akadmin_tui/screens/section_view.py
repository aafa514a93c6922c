"""The screen area of one menu entry: its intro, its form(s), the focused field's help."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option

from ..batches.test_records import remember_test_outcome
from ..connectors.registry import run_section_test, section_test_title
from ..connectors.result import Outcome, Step, TestResult
from ..dialogs.confirm import ConfirmScreen
from ..dialogs.new_record import NewRecordScreen
from ..settings.editor import ChangeRefused, SettingsEditor, record_path
from ..settings.fields import Section, Shape
from ..settings.keys import format_key
from ..settings.store import SaveError
from ..settings.validate import format_value
from ..widgets.field_row import FieldRow
from ..widgets.guide import Guide
from ..widgets.record_form import RecordForm
from ..widgets.test_panel import TestPanel


def field_help(section: Section, record_key: str | None, row: FieldRow) -> Content:
    """The help panel's text for a focused field: the seed's description and what is expected."""
    field = row.field
    key = format_key(record_path(section, record_key) + (field.key,))
    default = "" if field.default in (None, "") else f" · default {format_value(field, field.default)}"
    return Content.assemble((field.label, "bold"), "  ", (key + default, "dim"), "\n", field.help, "\n",
                            (f"Expected: {field.describe_expected()}", "dim"))


def code_width(keys: list[str | None]) -> int:
    """The width the records' codes are padded to in a list."""
    return max((len(str(key)) for key in keys), default=0)


class SectionView(Vertical):
    """One section: a form for a table, or a record list plus a form per record for a collection.

    What only some sections have (a try-it panel, preconditions, a name looked up) is in subclasses.
    """

    class RecordsChanged(Message):
        """A record was created or deleted: lists that follow other sections must refresh."""

        def __init__(self, view: SectionView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> SectionView:
            """The view whose records changed."""
            return self.view

    BINDINGS = [
        Binding("ctrl+s", "save_field", "Save", tooltip="Save the focused field", id="akadmin.save"),
        Binding("f2", "save_all", "Save all", tooltip="Save every modified field of this form", id="akadmin.save-all"),
        # Out of the footer so that it fits 80 columns; F1 and the overview name them.
        Binding("ctrl+r", "revert_field", "Revert", tooltip="Put back the saved value of the focused field",
                show=False, id="akadmin.revert"),
        Binding("f3", "revert_all", "Revert all", tooltip="Put back the saved value of every field",
                show=False, id="akadmin.revert-all"),
        Binding("ctrl+n", "new_record", "New", tooltip="Create a record", id="akadmin.new"),
        Binding("f8", "delete_record", "Delete", tooltip="Delete the selected record", id="akadmin.delete"),
        Binding("f5", "run_test", "Test", tooltip="Test the connection with the saved values", id="akadmin.test"),
        Binding("escape", "cancel_or_back", "Menu", show=False, id="akadmin.back"),
    ]

    # The form of one record (a read-only card, for certificates).
    FORM: type[RecordForm] = RecordForm

    def __init__(self, editor: SettingsEditor, section: Section, *, id: str | None = None) -> None:
        super().__init__(classes="section-view", id=id)
        self.editor = editor
        self.section = section
        self._forms: dict[str | None, RecordForm] = {}
        self._current: str | None = None
        self._form_serial = 0
        self._pending_focus: str | None = None
        self.test_title = section_test_title(section.id)

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(" > ".join(self.section.menu), classes="section-title")
        if self.section.shape is Shape.COLLECTION:
            with Horizontal(classes="collection"):
                yield OptionList(id="records", classes="record-list")
                with VerticalScroll(classes="record-area"):
                    yield from self._intro()
                    yield ContentSwitcher(id="forms")
                    yield from self._outro()
        else:
            with VerticalScroll(classes="record-area"):
                yield from self._intro()
                yield ContentSwitcher(id="forms")
                yield Static("", id="empty-state", classes="empty-state")
                yield from self.compose_panels()
                yield from self._outro()
        yield Static("", id="field-help", classes="field-help")

    def _intro(self) -> ComposeResult:
        if self.section.intro:
            yield Static(self.section.intro, classes="section-intro")
        yield from self.compose_notes()

    def compose_notes(self) -> ComposeResult:
        """What shows under the intro (nothing here)."""
        yield from ()

    def compose_panels(self) -> ComposeResult:
        """What shows under a table's form: its Test panel, when it has a Test."""
        if self.test_title is not None:
            yield TestPanel(self.test_title, id="test-panel")

    def _outro(self) -> ComposeResult:
        if self.section.guide:
            yield Guide(self.section.guide, classes="section-guide")

    def on_mount(self) -> None:
        self.reload()

    # --- records -------------------------------------------------------------------------------

    def _next_form_id(self) -> str:
        self._form_serial += 1
        return f"form-{self._form_serial}"

    def reload(self, select: str | None = None) -> None:
        """Rebuild the record list and show the selected record's form."""
        if self.section.shape is Shape.COLLECTION:
            self._reload_list(select)
        elif self.section.shape is Shape.OPTIONAL_TABLE and not self.editor.exists(self.section):
            self._show_empty(True)
        else:
            self._show_empty(False)
            self.show_record(None)
        self.refresh_notes()
        self.refresh_choices()

    def refresh_choices(self) -> None:
        """Bring every opened form's pick-lists of other records (companies, configurations) up to date."""
        for form in self._forms.values():
            form.refresh_choices()

    def _show_empty(self, empty: bool) -> None:
        state = self.query_one("#empty-state", Static)
        state.display = empty
        self.query_one("#forms", ContentSwitcher).display = not empty
        if empty:
            state.update(f"There is no {self.section.record_noun} yet. Press ctrl+n to create one.")

    def _reload_list(self, select: str | None) -> None:
        options = self.query_one("#records", OptionList)
        keys = self.editor.listed_keys(self.section)
        options.clear_options()
        width = code_width(keys)
        options.add_options([Option(self._record_label(k, width), id=k) for k in keys])
        target = select if select in keys else (self._current if self._current in keys else (keys[0] if keys else None))
        if target is None:
            self.query_one("#forms", ContentSwitcher).display = False
            return
        self.query_one("#forms", ContentSwitcher).display = True
        options.highlighted = keys.index(target)
        self.show_record(target)

    def _record_label(self, key: str | None, width: int = 0) -> Content:
        """The record's code, padded to `width` so the names line up, then its name."""
        stored = self.editor.stored(self.section, key)
        name = stored.get("name")
        return Content.assemble(str(key).ljust(width), "  ", (str(name), "dim")) if name else Content(str(key))

    def show_record(self, record_key: str | None) -> RecordForm:
        """Show (creating if needed) the form of one record."""
        switcher = self.query_one("#forms", ContentSwitcher)
        form = self._forms.get(record_key)
        if form is None:
            form = self.FORM(self.editor, self.section, record_key, id=self._next_form_id())
            self._forms[record_key] = form
            switcher.mount(form)
        switcher.current = form.id
        self._current = record_key
        return form

    def open_record(self, record_key: str | None) -> None:
        """Show one record's form and put the focus in its first field (as the palette does)."""
        self.show_record(record_key)
        self.focus_first_field()

    @on(OptionList.OptionHighlighted, "#records")
    def _record_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id != self._current:
            self.show_record(event.option.id)

    @on(OptionList.OptionSelected, "#records")
    def _record_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.focus_first_field()

    @property
    def form(self) -> RecordForm | None:
        """The form on screen."""
        return self._forms.get(self._current)

    @property
    def forms(self) -> list[RecordForm]:
        """Every form opened in this section."""
        return list(self._forms.values())

    def pending_count(self) -> int:
        """How many fields are modified but not saved, across this section's records."""
        return len(self.pending_fields())

    def pending_fields(self) -> list[str]:
        """The fields modified but not saved, each as its section, record and label ("Banks > BNP-ACME > Name")."""
        where = " > ".join(self.section.menu[-1:])
        return [" > ".join([where, *([str(key)] if key is not None else []), row.field.label])
                for key, form in self._forms.items() if form.is_mounted for row in form.modified_rows()]

    def focus_first_field(self) -> None:
        """Put the focus in the first field of the form on screen."""
        self.focus_field(None)

    def focus_field(self, key: str | None) -> None:
        """Put the focus on field `key` (None: the first one), now or once the form is mounted."""
        form = self.form
        if form is None or not form.is_mounted or not form.rows:
            if self.section.shape is Shape.COLLECTION and self.is_mounted and self._current is None:
                self.query_one("#records", OptionList).focus()
            else:
                self._pending_focus = key or ""
            return
        row = form.row(key or form.rows[0].key)
        target = row if row.read_only else row.editor
        target.focus()
        self.call_after_refresh(row.scroll_visible)

    @on(RecordForm.Ready)
    def _form_ready(self, event: RecordForm.Ready) -> None:
        if event.form is self.form and self._pending_focus is not None:
            key, self._pending_focus = self._pending_focus, None
            self.focus_field(key or None)

    # --- help ----------------------------------------------------------------------------------

    @on(FieldRow.Focused)
    def _row_focused(self, event: FieldRow.Focused) -> None:
        self.query_one("#field-help", Static).update(field_help(self.section, self._current, event.row))

    @on(RecordForm.Saved)
    def _form_saved(self, event: RecordForm.Saved) -> None:
        if self.section.shape is Shape.COLLECTION and self.query("#records"):
            options = self.query_one("#records", OptionList)
            keys = self.editor.listed_keys(self.section)
            width = code_width(keys)
            for index, key in enumerate(keys):
                options.replace_option_prompt_at_index(index, self._record_label(key, width))
        self.refresh_notes()

    def refresh_notes(self) -> None:
        """Bring what `compose_notes` shows up to date with the saved values (nothing here)."""

    # --- actions -------------------------------------------------------------------------------

    def _focused_row(self) -> FieldRow | None:
        node = self.app.focused
        while node is not None and not isinstance(node, FieldRow):
            node = node.parent
        return node

    def action_save_field(self) -> None:
        row = self._focused_row()
        if row is None or self.form is None:
            self.app.notify("Put the focus on a field to save it, or press F2 to save all.", timeout=3)
            return
        self.form.save([row])

    def action_save_all(self) -> None:
        if self.form is not None:
            self.form.save()

    def action_revert_field(self) -> None:
        row = self._focused_row()
        if row is not None and self.form is not None:
            self.form.revert([row])

    def action_revert_all(self) -> None:
        if self.form is not None:
            count = self.form.revert()
            self.app.notify(f"Reverted {count} field(s).", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save_field", "save_all", "revert_field", "revert_all"):
            return not self.editor.read_only  # read-only: nothing can be typed, so nothing to save or revert
        if action == "new_record":
            if self.editor.read_only or self.section.keys_from:
                return False
            if self.section.shape is Shape.OPTIONAL_TABLE:
                return not self.editor.exists(self.section)
            return self.section.shape is Shape.COLLECTION
        if action == "run_test":
            return self.test_title is not None
        if action == "delete_record":
            if self.editor.read_only or self.section.shape is Shape.TABLE:
                return False
            return self.editor.exists(self.section, self._current) and self._current not in self.section.fixed_keys
        return True

    # --- live Test ------------------------------------------------------------------------------

    def test_company(self) -> str | None:
        """The company whose Chorus setup this section's Test uses (None: the Test's own rule decides)."""
        return None

    def action_run_test(self) -> None:
        if self.test_title is None:
            return
        panel = self.query_one(TestPanel)
        panel.start(self.pending_count())
        self.call_after_refresh(panel.scroll_visible)
        self._run_test(self.test_company())

    @work(exclusive=True, group="connection-test", exit_on_error=False)
    async def _run_test(self, company: str | None) -> None:
        # The Test runs on the UI's event loop but reports only by messages, like any worker.
        try:
            result = await run_section_test(self.section.id, self.editor, company=company,
                                            on_step=lambda step: self.post_message(TestPanel.StepDone(self, step)))
        except Exception as error:  # noqa: BLE001 - the panel must end with a verdict, never hang on "Running…"
            result = TestResult(self.section.id)
            result.steps.append(Step("Test", Outcome.FAILED, diagnosis=f"The Test could not run ({type(error).__name__})."))
        self.post_message(TestPanel.Finished(self, result))

    @on(TestPanel.StepDone)
    def _on_test_step(self, event: TestPanel.StepDone) -> None:
        self._test_step(event)

    @on(TestPanel.Finished)
    def _on_test_finished(self, event: TestPanel.Finished) -> None:
        self._test_finished(event)

    def _test_step(self, event: TestPanel.StepDone) -> None:
        self.query_one(TestPanel).add_step(event.step)

    def _test_finished(self, event: TestPanel.Finished) -> None:
        self.query_one(TestPanel).finish(event.result)
        state = getattr(self.app, "state", None)
        if state is not None:
            remember_test_outcome(state, self.editor, self.section.id, event.result)

    def _test_running(self) -> bool:
        return any(w.group == "connection-test" and w.is_running for w in self.workers)

    def action_cancel_or_back(self) -> None:
        if self._test_running():
            self.workers.cancel_group(self, "connection-test")
            self.query_one(TestPanel).cancelled()
            return
        self.screen.action_back()

    def action_new_record(self) -> None:
        needs_code = self.section.shape is Shape.COLLECTION
        self.app.push_screen(NewRecordScreen(self.section, needs_code=needs_code, create=self.create_record,
                                             editor=self.editor), self.record_created)

    def create_record(self, code: str | None, values: dict[str, Any]) -> str | None:
        """Create a record; returns why it was refused, or None once created."""
        try:
            self.editor.create(self.section, code, values)
        except ChangeRefused as refused:
            return "\n".join(f.message for f in refused.findings)
        except SaveError as error:
            return str(error)
        return None

    def record_created(self, code: str | None) -> None:
        """Show a record a dialog created (None: none was)."""
        if code is None and self.section.shape is Shape.COLLECTION:
            return
        if not self.editor.exists(self.section, code):
            return
        self.app.notify(f"Created {self.section.record_noun} {code or ''}".rstrip() + ".", timeout=3)
        self._forms.pop(code, None)
        self.reload(select=code)
        self.refresh_bindings()
        self.call_after_refresh(self.focus_first_field)
        self.post_message(self.RecordsChanged(self))

    def action_delete_record(self) -> None:
        key = self._current
        blockers = self.editor.blockers(self.section, key)
        if blockers:
            self.app.notify("\n".join(blockers), title="Not deleted", severity="error")
            return
        label = f"{self.section.record_noun} {key}" if key else f"the {self.section.record_noun}"
        question = f"Delete {label}? Its values are discarded."
        dependents = self.editor.dependents(self.section, key)
        if dependents:
            goes = ", ".join(f"{' > '.join(section.menu)} {dep}" for section, dep in dependents)
            question += f"\nWhat goes with it: {goes}."
        self.app.push_screen(ConfirmScreen(question, yes="Delete"), lambda yes: self._delete(key) if yes else None)

    def _delete(self, key: str | None) -> None:
        try:
            self.editor.remove(self.section, key)
        except ChangeRefused as refused:
            self.app.notify("\n".join(f.message for f in refused.findings), title="Not deleted", severity="error")
            return
        except SaveError as error:
            self.app.notify(str(error), title="Not deleted", severity="error")
            return
        form = self._forms.pop(key, None)
        if form is not None:
            form.remove()
        self._current = None
        self.app.notify(f"Deleted {self.section.record_noun} {key or ''}".rstrip() + ".", timeout=3)
        self.reload()
        self.refresh_bindings()
        self.post_message(self.RecordsChanged(self))
