"""Batches > Batch creation and modification (seed 002): the list of batches, the chosen one's form, run controls."""

from __future__ import annotations

import re
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
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
from ..widgets.batch_form import BatchForm, reachable_key
from ..widgets.focus_scroll import FocusKeepingScroll
from ..widgets.record_form import RecordForm
from .batch_data import clip, fit_widths, last_runs, next_run_text, outcome_text, paused_codes, planned_runs
from .filtered_record_view import FORM_ACTIONS, FilteredRecordView, form_bindings
from .host_link import ChangedElsewhere, HostLink

SECTION = schema.BATCHES
# What tells how a batch is doing comes first; the template is last (the table scrolls sideways when narrow).
COLUMNS = (("Code", "code"), ("Label", "label"), ("Schedule", "schedule"), ("Next run", "next"),
           ("Last run", "last"), ("Template", "template"))
# The columns cut (with …) so the table fits its width, the template first (the form shows it): the selected row
# is shown in full above its form.
GIVE_WAY = (("template",), ("label", "schedule"))
# A planned next run in the schedule's zone, e.g. 11-23 06:00 CET (the zone shared by every row goes to the header).
ZONED_TIME = re.compile(r"^[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \S+$")
BUILTIN_HOMES = {"RecuperationSignaturesUniversign": "Third-party interfaces > Electronic signature",
                 "RecuperationRelevesAkuiteoConnect": "Third-party interfaces > Akuiteo Connect"}


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
        Binding("f5", "run_now", "Run", tooltip="Run the batch now with its saved values", id="akadmin.run-now"),
        Binding("p", "toggle_pause", "Pause", tooltip="Pause or resume the batch's schedule",
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
        self._cells: dict[str, tuple[str, ...]] = {}  # each row's full text, by code
        self._header: list[str] = []
        self._widths: dict[str, int] = {}  # the width each column is cut to
        self._binding_state: tuple[object, ...] | None = None

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
        with FocusKeepingScroll(classes="record-area", id="batch-detail"):
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

    def _other_hosts_plan(self) -> dict | None:
        """The plan the host in another process wrote, when the batches do not run here."""
        state = self._state()
        if state is None or self.link is None or self.link.host is not None:
            return None
        return planned_runs(state)

    def _row_cells(self, spec: BatchSpec, paused: set[str], last, plan: dict | None = None) -> tuple[str, ...]:
        schedule = spec.schedule.describe() + (" (task)" if spec.builtin else "")
        return (spec.code, spec.label, schedule, next_run_text(self.link, spec, paused, last, plan), outcome_text(last),
                spec.template)

    def _shared_zone(self) -> str:
        """The zone abbreviation every planned next run ends with (CET), named once in the header; else ''."""
        zones = {cells[3].rsplit(" ", 1)[1] for cells in self._cells.values() if ZONED_TIME.match(cells[3])}
        return zones.pop() if len(zones) == 1 else ""

    def _labels(self) -> list[str]:
        zone = self._shared_zone()
        return [f"{label} {zone}" if key == "next" and zone else label for label, key in COLUMNS]

    def _fitted_widths(self) -> dict[str, int]:
        """Each column's width so the table fits the view: the label, schedule and template give way."""
        rows = [self._unclipped(cells) for cells in self._cells.values()]
        natural = {key: max([len(label)] + [len(cells[index]) for cells in rows])
                   for index, (label, (_, key)) in enumerate(zip(self._labels(), COLUMNS, strict=True))}
        table = self.query_one("#batch-table", DataTable)
        available = table.scrollable_content_region.width or self.size.width
        return fit_widths(natural, GIVE_WAY, available, padding=2 * table.cell_padding)

    def _unclipped(self, cells: tuple[str, ...]) -> tuple[str, ...]:
        """The cells as the table shows them before cutting: the zone the header names is not repeated."""
        zone = self._shared_zone()
        if not zone:
            return cells
        return (*cells[:3], cells[3].removesuffix(f" {zone}"), *cells[4:])

    def _shown_cells(self, cells: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(clip(text, self._widths.get(key, len(text)))
                     for text, (_, key) in zip(self._unclipped(cells), COLUMNS, strict=True))

    def _set_columns(self) -> None:
        """Give the table's columns the widths that fit (rebuilding it empty)."""
        self._widths = self._fitted_widths()
        self._header = self._labels()
        table = self.query_one("#batch-table", DataTable)
        table.clear(columns=True)
        for label, (_, key) in zip(self._header, COLUMNS, strict=True):
            table.add_column(label, key=key, width=self._widths[key])

    def on_resize(self, event: events.Resize) -> None:
        # The table's width is known once laid out: fit its columns to it then, and again when it changes.
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self._cells and (self._fitted_widths() != self._widths or self._labels() != self._header):
            self.reload()

    def summary(self, code: str) -> Content:
        """The selected row in full: what the table's cut cells say."""
        cells = dict(zip((key for _, key in COLUMNS), self._cells.get(code, ()), strict=True))
        if not cells:
            return Content(code)
        parts: list[Content | str | tuple[str, str]] = [(code, "bold"), "  ", cells["label"], "\n"]
        for label, key in COLUMNS[2:]:
            parts += [(label, "dim"), " ", cells[key], "   "]
        return Content.assemble(*parts[:-1])

    def _show_summary(self) -> None:
        code = self._current
        if code is None:
            return
        spec = self._specs.get(code)
        if spec is not None and spec.builtin:
            self.query_one("#builtin-card", Static).update(self._builtin_text(spec))
        elif self.form is not None and self.form.is_mounted:
            self.form.show_summary(self.summary(code))

    def reload(self, select: str | None = None) -> None:
        """Rebuild the table from the saved batches (and new ones being written) and show the selected one."""
        self._specs = self._all_specs()
        state = self._state()
        paused = paused_codes(state) if state is not None else set()
        last = last_runs(state) if state is not None else {}
        plan = self._other_hosts_plan()
        self._cells = {code: self._row_cells(spec, paused, last.get(code), plan) for code, spec in self._specs.items()}
        self._set_columns()
        rows = {code: self._shown_cells(cells) for code, cells in self._cells.items()}
        codes = list(self._specs)
        # By default the first configured batch, rather than a built-in task listed above it.
        first = next((c for c, spec in self._specs.items() if not spec.builtin), codes[0] if codes else None)
        self._fill_table(rows, select, first, "There is no batch yet. Press ctrl+n to create one.")
        if self.form is not None and self.form.is_mounted:
            self.form.show_next_fire()  # the host may have replanned it (another zone, a run elsewhere)

    def _refresh_rows(self, codes: set[str] | None = None) -> None:
        """Update the Next run and Last run cells (all rows, or the given ones)."""
        state = self._state()
        table = self.query_one("#batch-table", DataTable)
        paused = paused_codes(state) if state is not None else set()
        last = last_runs(state) if state is not None else {}
        plan = self._other_hosts_plan()
        for code, spec in self._specs.items():
            if codes is None or code in codes:
                self._cells[code] = self._row_cells(spec, paused, last.get(code), plan)
                shown = self._shown_cells(self._cells[code])
                table.update_cell(code, "next", shown[3])
                table.update_cell(code, "last", shown[4])
        if self._current in self._specs and (codes is None or self._current in codes):
            self._show_summary()
        # A longer text (running 45%, failed …) may need the columns fitted again.
        self.call_after_refresh(self._refit)

    def _catch_up(self) -> None:
        if self._dirty:
            codes, self._dirty = self._dirty, set()
            self._refresh_rows(codes)

    def _report(self, report) -> None:
        if isinstance(report, HostNotice):
            self._show_host_line()
            return
        if isinstance(report, ChangedElsewhere):
            self._refresh_rows()  # a run, a pause or a plan from another process
            self.refresh_bindings()
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
        form = self._show_form(record_key)
        if form.is_mounted:
            form.show_summary(self.summary(record_key))
        return form

    @on(RecordForm.Ready)
    def _summary_when_ready(self, event: RecordForm.Ready) -> None:
        if event.form is self.form:
            self._show_summary()

    def _show_form(self, record_key: str) -> BatchForm:
        """Show the batch's form: its own when it has one, else a form holding no unsaved edit, loaded with it.

        Mounting a new form (about 400 widgets) takes ~0.5 s; loading values into one already there a few ms.
        A form with unsaved edits (or a new batch's) stays as it is, for when the cursor comes back.
        """
        spare = None
        if record_key not in self._forms and record_key not in self._drafts:
            forms = sorted(self._forms.items(), key=lambda item: item[1] is not self.form)  # the shown one first
            spare = next(((key, form) for key, form in forms if isinstance(form, BatchForm) and form.is_mounted
                          and form.rows and key not in self._drafts and not form.modified_rows()), None)
        if spare is None:
            form = super()._show_form(record_key)
            assert isinstance(form, BatchForm)
            return form
        old_key, form = spare
        del self._forms[old_key]
        self._forms[record_key] = form
        form.load_record(record_key)
        self.query_one("#forms", ContentSwitcher).current = form.id
        return form

    def _draft_values(self, key: str) -> dict[str, Any]:
        return {"template": self._drafts[key]}

    def _key_hints(self) -> str:
        """What F5, p and h do here, each named by the key that works from where the focus is."""
        hints = [f"{key} {what}" for action, what in (("run_now", "runs it now"), ("toggle_pause",
                                                       "pauses or resumes it"), ("open_runs", "shows its runs"))
                 if (key := reachable_key(self, action)) is not None]
        return ", ".join(hints) + "." if hints else ""

    def _builtin_text(self, spec: BatchSpec) -> Content:
        home = BUILTIN_HOMES.get(spec.template, "its interface")
        first = f", first run {spec.first_delay_s} s after the host starts" if spec.first_delay_s is not None else ""
        return Content.assemble(self.summary(spec.code), "\n\n",
                                f"{BUILTIN_TEMPLATES.get(spec.template, spec.template)}.\n"
                                f"A scheduled task of {home}: it runs {spec.schedule.describe()}{first}. Its schedule "
                                f"is set in that interface, not here. {self._key_hints()}".rstrip())

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
            key = reachable_key(self, "cancel_run")
            self.app.notify(f"{code} is running: cancel it first" + (f" ({key})." if key else "."),
                            title="Not deleted", severity="error")
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
        # Named as it works from the focus: from a field, `h` would type into it.
        key = reachable_key(self, "open_runs")
        self.app.notify(f"{code} started{note}." + (f" {key} shows its log." if key else ""), timeout=3)
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

    def refresh_bindings(self) -> None:
        # The footer rebuilds itself at each refresh (a frame of layout): moving between two batches whose
        # actions are the same need not make it.
        state = (self._current is None, self.app.focused,
                 *(self.check_action(binding.action, ()) for _, binding in self._bindings))
        if state != self._binding_state:
            self._binding_state = state
            super().refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        code = self._current
        spec = self._specs.get(code) if code is not None else None
        host = self._host()
        saved = spec is not None and code not in self._drafts
        if action in FORM_ACTIONS:
            return self.form is not None and not self.editor.read_only
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
