"""Batches > Batch creation and modification (seed 002): the list of batches, the chosen one's form, run controls."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Static

from ..batches.catalog import BUILTIN_TEMPLATES, batch_specs
from ..batches.execute import BatchBusy
from ..batches.host import HostNotice
from ..batches.runtime import BatchSpec, RunEvent
from ..dialogs.confirm import ConfirmScreen
from ..dialogs.new_batch import NewBatchScreen
from ..settings import schema
from ..settings.editor import ChangeRefused
from ..settings.schedules import Schedule
from ..settings.store import SaveError
from ..widgets.batch_form import BatchForm
from ..widgets.record_form import RecordForm
from .batch_data import last_runs, next_run_text, outcome_text, paused_codes
from .filtered_record_view import FORM_ACTIONS, FilteredRecordView, form_bindings
from .host_link import HostLink

SECTION = schema.BATCHES
# What tells how a batch is doing comes first; the template is last (the table scrolls sideways when narrow).
COLUMNS = (("Code", "code"), ("Label", "label"), ("Schedule", "schedule"), ("Next run", "next"),
           ("Last run", "last"), ("Template", "template"))
LABEL_WIDTH = 20
SCHEDULE_WIDTH = 18
BUILTIN_HOMES = {"RecuperationSignaturesUniversign": "Third-party interfaces > Electronic signature",
                 "RecuperationRelevesAkuiteoConnect": "Third-party interfaces > Akuiteo Connect"}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


class BatchesView(FilteredRecordView, inherit_bindings=False):
    """A table of every batch (built-in tasks too) above the selected batch's form; runs are started from here."""

    TABLE_ID = "batch-table"
    DETAIL_ID = "batch-detail"
    FORM = BatchForm

    BINDINGS = [
        *form_bindings("batch"),
        Binding("ctrl+n", "new_record", "New", tooltip="Create a batch: code and template first", id="akadmin.new"),
        Binding("f8", "delete_record", "Delete", tooltip="Delete the batch (asks first); its runs stay",
                id="akadmin.delete"),
        Binding("f5", "run_now", "Run now", tooltip="Run the batch now with its saved values", id="akadmin.run-now"),
        Binding("p", "toggle_pause", "Pause/resume", tooltip="Pause or resume the batch's schedule",
                id="akadmin.pause"),
        Binding("c,ctrl+x", "cancel_run", "Cancel run", tooltip="Stop the running batch (asks first)",
                id="akadmin.cancel-run"),
        Binding("h", "open_runs", "Runs", tooltip="The batch's runs and logs (Enter in the table too)",
                id="akadmin.runs"),
        Binding("escape", "cancel_or_back", "Back", show=False, id="akadmin.back"),
    ]

    def __init__(self, editor, section=SECTION, *, id: str | None = None) -> None:
        super().__init__(editor, section, id=id)
        self._specs: dict[str, BatchSpec] = {}
        self._dirty: set[str] = set()

    @property
    def link(self) -> HostLink | None:
        """The console's link to the scheduler host (None without a state database)."""
        return getattr(self.app, "batches", None)

    def compose(self) -> ComposeResult:
        yield Static(" > ".join(SECTION.menu), classes="section-title")
        yield Static("", id="batches-host", classes="batches-host", markup=False)
        table = DataTable(id="batch-table", cursor_type="row", classes="batch-table")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        with VerticalScroll(classes="record-area", id="batch-detail"):
            yield ContentSwitcher(id="forms")
            yield Static("", id="builtin-card", classes="builtin-card", markup=False)
            yield Static("", id="empty-state", classes="empty-state")
        yield Static("", id="field-help", classes="field-help")

    def on_mount(self) -> None:
        self._skip_detail_on_tab()
        super().on_mount()
        if self.link is not None:
            self.link.reports.subscribe(self, self._report)
        # Progress can come many times a second: the table catches up once a second.
        self.set_interval(1.0, self._catch_up)
        self._show_host_line()

    # --- the table -------------------------------------------------------------------------------

    def _all_specs(self) -> dict[str, BatchSpec]:
        specs = {spec.code: spec for spec in batch_specs(self.editor)}
        for code, template in self._drafts.items():
            specs.setdefault(code, BatchSpec(code, "(new, not saved)", template, Schedule("")))
        return specs

    def _state(self):
        return getattr(self.app, "state", None)

    def _row_cells(self, spec: BatchSpec, paused: set[str], last) -> tuple[str, ...]:
        schedule = _clip(spec.schedule.describe() + (" (task)" if spec.builtin else ""), SCHEDULE_WIDTH)
        label = _clip(spec.label, LABEL_WIDTH)
        return (spec.code, label, schedule, next_run_text(self.link, spec, paused, last), outcome_text(last),
                spec.template)

    def reload(self, select: str | None = None) -> None:
        """Rebuild the table from the saved batches (and new ones being written) and show the selected one."""
        self._specs = self._all_specs()
        state = self._state()
        paused = paused_codes(state) if state is not None else set()
        last = last_runs(state) if state is not None else {}
        rows = {code: self._row_cells(spec, paused, last.get(code)) for code, spec in self._specs.items()}
        codes = list(self._specs)
        # By default the first configured batch, rather than a built-in task listed above it.
        first = next((c for c, spec in self._specs.items() if not spec.builtin), codes[0] if codes else None)
        self._fill_table(rows, select, first, "There is no batch yet. Press ctrl+n to create one.")

    def _refresh_rows(self, codes: set[str] | None = None) -> None:
        """Update the Next run and Last run cells (all rows, or the given ones)."""
        state = self._state()
        table = self.query_one("#batch-table", DataTable)
        paused = paused_codes(state) if state is not None else set()
        last = last_runs(state) if state is not None else {}
        for code, spec in self._specs.items():
            if codes is None or code in codes:
                cells = self._row_cells(spec, paused, last.get(code))
                table.update_cell(code, "next", cells[3])
                table.update_cell(code, "last", cells[4])

    def _catch_up(self) -> None:
        if self._dirty:
            codes, self._dirty = self._dirty, set()
            self._refresh_rows(codes)

    def _report(self, report) -> None:
        if isinstance(report, HostNotice):
            self._show_host_line()
            return
        if not isinstance(report, RunEvent) or report.batch_code not in self._specs:
            return
        if report.kind == "progress":
            self._dirty.add(report.batch_code)
        elif report.kind in ("started", "finished"):
            self._refresh_rows({report.batch_code})
            self.refresh_bindings()

    def _show_host_line(self) -> None:
        link = self.link
        text = link.status_line() if link is not None else "No state database: batches cannot run in this console."
        if link is not None and link.notable:
            text += f" {link.notable}"
        self.query_one("#batches-host", Static).update(text)
        self.set_class(link is None or not link.controls, "-elsewhere")

    def _open_row(self) -> None:
        self.action_open_runs()

    # --- the detail ------------------------------------------------------------------------------

    def show_record(self, record_key: str | None) -> BatchForm | None:
        """Show the form of a batch, or the card of a built-in task."""
        switcher = self.query_one("#forms", ContentSwitcher)
        card = self.query_one("#builtin-card", Static)
        self._current = record_key
        spec = self._specs.get(record_key) if record_key is not None else None
        if spec is None or spec.builtin:
            switcher.display = False
            card.display = spec is not None
            if spec is not None:
                card.update(self._builtin_text(spec))
            return None
        card.display = False
        switcher.display = True
        return self._show_form(record_key)

    def _draft_values(self, key: str) -> dict[str, Any]:
        return {"template": self._drafts[key]}

    @staticmethod
    def _builtin_text(spec: BatchSpec) -> str:
        home = BUILTIN_HOMES.get(spec.template, "its interface")
        first = f", first run {spec.first_delay_s} s after the host starts" if spec.first_delay_s is not None else ""
        return (f"{spec.code} — {spec.label}\n{BUILTIN_TEMPLATES.get(spec.template, spec.template)}.\n\n"
                f"A scheduled task of {home}: it runs {spec.schedule.describe()}{first}. Its schedule is set in "
                "that interface, not here. F5 runs it now, p pauses or resumes it, h shows its runs.")

    @on(RecordForm.Saved)
    def _batch_saved(self, event: RecordForm.Saved) -> None:
        code = event.form.record_key
        created = self._drafts.pop(code, None) is not None
        if self.link is not None:
            self.link.reload(self.editor)
        self.reload(select=code)
        event.form.show_next_fire()
        if created:
            self.post_message(self.RecordsChanged(self))

    # --- new and delete --------------------------------------------------------------------------

    def action_new_record(self) -> None:
        taken = set(self._specs) | {str(k) for k in self.editor.record_keys(SECTION)}
        self.app.push_screen(NewBatchScreen(taken), self._start_draft)

    def _start_draft(self, answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        code, template = answer
        self._drafts[code] = template
        self.reload(select=code)
        self.app.notify(f"New batch {code}: fill its label, schedule and parameters, then save (F2).", timeout=4)
        self.call_after_refresh(self.focus_field, "label")

    def action_delete_record(self) -> None:
        code = self._current
        if code in self._drafts:
            question = f"Discard the new batch {code}? What was typed in its form is lost."
        elif self.link is not None and self.link.host is not None and code in self.link.host.running:
            self.app.notify(f"{code} is running: cancel it first (c).", title="Not deleted", severity="error")
            return
        else:
            question = f"Delete batch {code}? Its settings are discarded; its runs and logs stay in the history."
        self.app.push_screen(ConfirmScreen(question, yes="Delete"), lambda yes: self._delete(code) if yes else None)

    def _delete(self, code: str | None) -> None:
        if code in self._drafts:
            self._drafts.pop(code)
        else:
            try:
                self.editor.remove(SECTION, code)
            except (ChangeRefused, SaveError) as error:
                self.app.notify(str(error), title="Not deleted", severity="error")
                return
            self.app.notify(f"Deleted batch {code}.", timeout=3)
            if self.link is not None:
                self.link.reload(self.editor)
            self.post_message(self.RecordsChanged(self))
        self._drop_form(code)

    # --- run, pause, cancel ------------------------------------------------------------------------

    def _host(self):
        link = self.link
        return link.host if link is not None else None

    def action_run_now(self) -> None:
        code, host = self._current, self._host()
        if host is None or code is None:
            return
        if code not in host.specs:
            self.app.notify(f"Save {code} first: only saved batches run.", title="Not started", severity="error")
            return
        try:
            host.run_now(code)
        except BatchBusy as error:
            self.app.notify(str(error), title="Not started", severity="error")
            return
        unsaved = len(self.form.modified_rows()) if self.form is not None else 0
        note = f" with the saved values ({unsaved} field(s) not saved)" if unsaved else ""
        self.app.notify(f"{code} started{note}. h shows its log.", timeout=3)
        self.refresh_bindings()

    def action_toggle_pause(self) -> None:
        code, host = self._current, self._host()
        if host is None or code is None:
            return
        paused = not host.is_paused(code)
        host.set_paused(code, paused)
        self._refresh_rows({code})
        if self.form is not None:
            self.form.show_next_fire()
        self.app.notify(f"{code}: schedule {'paused' if paused else 'resumed'}.", timeout=2)

    def action_cancel_run(self) -> None:
        code, host = self._current, self._host()
        if host is None or code not in host.running:
            return
        self.app.push_screen(ConfirmScreen(f"Cancel the running batch {code}? It stops after the current item; "
                                           "what it did so far is kept.", yes="Stop it"),
                             lambda yes: self._cancel(code) if yes else None)

    def _cancel(self, code: str) -> None:
        host = self._host()
        if host is not None and host.cancel(code):
            self.app.notify(f"{code}: cancelling…", timeout=2)

    def action_open_runs(self) -> None:
        if self._current is not None and self._current not in self._drafts:
            self.screen.open_runs(self._current)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        code = self._current
        spec = self._specs.get(code) if code is not None else None
        host = self._host()
        saved = spec is not None and code not in self._drafts
        if action in FORM_ACTIONS:
            return self.form is not None
        if action == "new_record":
            return not self.editor.read_only
        if action == "delete_record":
            return spec is not None and not spec.builtin and (code in self._drafts or not self.editor.read_only)
        if action == "run_now":
            return host is not None and saved and code not in host.running
        if action == "toggle_pause":
            return host is not None and saved and not spec.schedule.on_demand
        if action == "cancel_run":
            return host is not None and code in host.running
        if action == "open_runs":
            return saved
        return True
