"""Batches > Runs and logs: the run history (paged), the chosen run's log filtered by level, live while it runs."""

from __future__ import annotations

import datetime as dt

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, ProgressBar, Select, Static

from ..batches.catalog import batch_specs
from ..batches.host import HostNotice
from ..batches.runtime import RunEvent
from ..batches.state import StateStore
from ..dialogs.confirm import ConfirmScreen
from ..widgets.run_log import FILTER_LABELS, FILTERS, Entry, RunLog
from .batch_data import RUNS_PAGE, LogLine, RunRow, counts_text, duration_text, list_runs, local_time, run_codes, run_log, run_row
from .host_link import ChangedElsewhere, HostLink

COLUMNS = (("Run", "id"), ("Batch", "batch"), ("Trigger", "trigger"), ("Started", "started"),
           ("Duration", "duration"), ("Outcome", "outcome"), ("Counts", "counts"))
# Past this many loaded rows, a new run does not rebuild the table (r does).
REBUILD_LIMIT = 1000


def _entries(lines: list[LogLine]) -> list[Entry]:
    return [Entry(local_time(line.at, seconds=True), line.level, line.text) for line in lines]


class RunsView(Vertical):
    """The runs of every batch or of one, newest first, and the log of the highlighted run."""

    class LogLoaded(Message):
        """A finished run's log was read in the background."""

        def __init__(self, view: RunsView, run_id: int, lines: list[LogLine]) -> None:
            super().__init__()
            self.view = view
            self.run_id = run_id
            self.lines = lines

        @property
        def control(self) -> RunsView:
            """The view that read the log."""
            return self.view

    BINDINGS = [
        Binding("l", "cycle_level", "Log level", tooltip="All levels, LOG and above, WARN and above, ERROR only",
                id="akadmin.log-level"),
        Binding("a", "all_batches", "All batches", tooltip="Show the runs of every batch", id="akadmin.all-batches"),
        Binding("r", "refresh_runs", "Refresh", tooltip="Read the run history again", id="akadmin.refresh"),
        Binding("c,ctrl+x", "cancel_run", "Cancel run", tooltip="Stop the highlighted run (asks first)",
                id="akadmin.cancel-run"),
        Binding("escape", "back", "Back", show=False, id="akadmin.back"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(classes="section-view runs-view", id=id)
        self._code: str | None = None
        self._runs: list[RunRow] = []
        self._more = False
        self._run_id: int | None = None
        self._skip_live = 0  # live log lines already read from the database
        self._choices: set[str] = set()
        self._ready = False

    @property
    def state(self) -> StateStore | None:
        """The state database (None when it could not be opened)."""
        return getattr(self.app, "state", None)

    @property
    def link(self) -> HostLink | None:
        """The console's link to the scheduler host."""
        return getattr(self.app, "batches", None)

    def compose(self) -> ComposeResult:
        yield Static("Batches > Runs and logs", classes="section-title")
        yield Static("", id="runs-host", classes="batches-host", markup=False)
        with Horizontal(classes="runs-filters"):
            yield Label("Batch", classes="filter-label")
            yield Select([], prompt="All batches", id="runs-batch", compact=True, classes="filter-select")
            yield Label("Log", classes="filter-label")
            yield Select([(label, key) for key, label in FILTER_LABELS.items()], value="all", allow_blank=False,
                         id="log-level", compact=True, classes="filter-select")
        table = DataTable(id="runs-table", cursor_type="row", classes="runs-table")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="run-heading", classes="run-heading", markup=False)
        yield ProgressBar(id="run-progress", show_eta=False, classes="run-progress")
        yield RunLog(id="run-log", classes="run-log")

    def on_mount(self) -> None:
        self.query_one("#run-progress").display = False
        link = self.link
        self.query_one("#runs-host", Static).update(
            link.status_line() if link is not None else "No state database: there is no run history.")
        if link is not None:
            # Immediate: the view counts live lines exactly as the link does (see _select_run).
            link.reports.subscribe(self, self._report, immediate=True)
        self._fill_batch_choices()
        self.reload()
        self._ready = True

    # --- the list of runs ------------------------------------------------------------------------

    def _fill_batch_choices(self, *, only_if_changed: bool = False) -> None:
        codes = set(run_codes(self.state)) if self.state is not None else set()
        editor = getattr(self.app, "editor", None)
        if editor is not None:
            codes |= {spec.code for spec in batch_specs(editor)}
        if only_if_changed and codes == self._choices:
            return
        self._choices = codes
        select = self.query_one("#runs-batch", Select)
        with self.prevent(Select.Changed):
            select.set_options([(code, code) for code in sorted(codes)])
            select.value = self._code if self._code in codes else Select.NULL

    def show_batch(self, code: str | None) -> None:
        """Show the runs of one batch (None: all batches)."""
        self._code = code
        if self._ready:  # otherwise on_mount reads them
            self._fill_batch_choices()
            self.reload()

    def reload(self, keep: int | None = None) -> None:
        """Read the newest page of runs again (or as many as `keep`), keeping the highlighted run if still there."""
        table = self.query_one("#runs-table", DataTable)
        self._runs = list_runs(self.state, self._code, limit=max(keep or 0, RUNS_PAGE)) if self.state else []
        self._more = len(self._runs) >= max(keep or 0, RUNS_PAGE)
        wanted = self._run_id
        table.clear()
        for run in self._runs:
            table.add_row(*self._cells(run), key=str(run.id))
        ids = [run.id for run in self._runs]
        if wanted in ids:
            table.move_cursor(row=ids.index(wanted), animate=False)
        elif ids:
            table.move_cursor(row=0, animate=False)
            self._select_run(ids[0])
        else:
            self._select_run(None)

    def _load_more(self) -> None:
        if not self._more or not self._runs or self.state is None:
            return
        page = list_runs(self.state, self._code, before_id=self._runs[-1].id)
        self._more = len(page) >= RUNS_PAGE
        self._runs += page
        table = self.query_one("#runs-table", DataTable)
        for run in page:
            table.add_row(*self._cells(run), key=str(run.id))

    def _cells(self, run: RunRow) -> tuple[str, ...]:
        live = self._live_of(run.id)
        outcome = run.outcome
        if live is not None and live.percent is not None:
            outcome = f"running {live.percent}%"
        return (str(run.id), run.batch_code, run.trigger, local_time(run.started_at), duration_text(run.started_at,
                run.ended_at), outcome, counts_text(run) if run.ended_at else "")

    def _live_of(self, run_id: int | None):
        link = self.link
        if link is None or run_id is None:
            return None
        return next((live for live in link.live.values() if live.run_id == run_id), None)

    @on(Select.Changed, "#runs-batch")
    def _batch_chosen(self, event: Select.Changed) -> None:
        code = None if event.value is Select.NULL else str(event.value)
        if code != self._code:
            self._code = code
            self.reload()

    @on(DataTable.RowHighlighted, "#runs-table")
    def _run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        run_id = int(event.row_key.value)
        if run_id != self._run_id:
            self._select_run(run_id)
        if event.cursor_row >= len(self._runs) - 1:
            self._load_more()

    @on(DataTable.RowSelected, "#runs-table")
    def _run_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.query_one(RunLog).focus()

    # --- the chosen run ---------------------------------------------------------------------------

    def _select_run(self, run_id: int | None) -> None:
        self._run_id = run_id
        self._skip_live = 0
        log = self.query_one(RunLog)
        self._show_heading()
        self.refresh_bindings()
        if run_id is None or self.state is None:
            log.clear()
            return
        live = self._live_of(run_id)
        if live is None:
            log.clear()
            self._read_log(run_id)
            return
        # A live run's log is read here, on the event loop that writes it, so no line is lost; the lines the
        # link has not passed on yet are in the database already and are skipped when they arrive.
        lines = run_log(self.state, run_id)
        self._skip_live = max(0, len(lines) - live.lines)
        log.set_entries(_entries(lines))

    @work(thread=True, exclusive=True, group="run-log", exit_on_error=False)
    def _read_log(self, run_id: int) -> None:
        self.post_message(self.LogLoaded(self, run_id, run_log(self.state, run_id)))

    @on(LogLoaded)
    def _log_loaded(self, event: LogLoaded) -> None:
        if event.run_id == self._run_id:
            self.query_one(RunLog).set_entries(_entries(event.lines))

    def _show_heading(self) -> None:
        heading = self.query_one("#run-heading", Static)
        bar = self.query_one("#run-progress", ProgressBar)
        run = next((r for r in self._runs if r.id == self._run_id), None)
        if run is None:
            heading.update("No run yet." if not self._runs else "")
            bar.display = False
            return
        live = self._live_of(run.id)
        what = "running" if live is not None else f"{run.outcome}"
        extra = f" — {run.summary}" if run.summary and run.ended_at else ""
        heading.update(f"Run {run.id} of {run.batch_code} · {run.trigger} · {what}{extra}")
        bar.display = live is not None
        if live is not None:
            bar.update(total=live.total or None, progress=live.done)

    # --- live events ----------------------------------------------------------------------------

    def _follow_elsewhere(self) -> None:
        """Show runs another process started or ended; a run it is still writing gets its log read again."""
        if not self._ready or self.state is None or len(self._runs) > REBUILD_LIMIT:
            return
        before = next((run for run in self._runs if run.id == self._run_id), None)
        self._fill_batch_choices(only_if_changed=True)
        self.reload(keep=len(self._runs))
        self._show_heading()
        if before is not None and before.ended_at is None and self._live_of(before.id) is None:
            self._read_log(before.id)

    def _report(self, report) -> None:
        if isinstance(report, ChangedElsewhere):
            self._follow_elsewhere()
            return
        if isinstance(report, HostNotice) or not isinstance(report, RunEvent):
            return
        if report.kind == "started" and self._code in (None, report.batch_code):
            if report.batch_code not in self._choices:
                self._fill_batch_choices()
            if len(self._runs) <= REBUILD_LIMIT:
                self.reload(keep=len(self._runs) + 1)
        elif report.kind == "finished":
            self._update_run(report.run_id)
        elif report.kind == "progress":
            self._update_run(report.run_id, cells_only=True)
        elif report.kind == "log" and report.run_id == self._run_id:
            if self._skip_live:
                self._skip_live -= 1
                return
            now = dt.datetime.now(dt.UTC)
            self.query_one(RunLog).append(Entry(local_time(now, seconds=True), report.level, report.text))

    def _update_run(self, run_id: int, cells_only: bool = False) -> None:
        index = next((i for i, r in enumerate(self._runs) if r.id == run_id), None)
        if index is None or self.state is None:
            return
        if not cells_only:
            fresh = run_row(self.state, run_id)
            if fresh is None:
                return
            self._runs[index] = fresh
            self.refresh_bindings()
        table = self.query_one("#runs-table", DataTable)
        for (_, key), value in zip(COLUMNS, self._cells(self._runs[index]), strict=True):
            table.update_cell(str(run_id), key, value)
        if run_id == self._run_id:
            self._show_heading()

    # --- actions --------------------------------------------------------------------------------

    def action_cycle_level(self) -> None:
        order = list(FILTERS)
        log = self.query_one(RunLog)
        self.query_one("#log-level", Select).value = order[(order.index(log.level_filter) + 1) % len(order)]

    @on(Select.Changed, "#log-level")
    def _level_chosen(self, event: Select.Changed) -> None:
        self.query_one(RunLog).level_filter = str(event.value)

    def action_all_batches(self) -> None:
        self.show_batch(None)

    def action_refresh_runs(self) -> None:
        self._fill_batch_choices()
        self.reload(keep=len(self._runs))

    def action_cancel_run(self) -> None:
        live = self._live_of(self._run_id)
        host = self.link.host if self.link is not None else None
        if live is None or host is None:
            return
        code = live.code
        self.app.push_screen(ConfirmScreen(f"Cancel the running batch {code}? It stops after the current item; "
                                           "what it did so far is kept.", yes="Stop it"),
                             lambda yes: host.cancel(code) if yes else None)

    def action_back(self) -> None:
        self.screen.action_back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.link is not None and self.link.controls and self._live_of(self._run_id) is not None
        return True

    def focus_first_field(self) -> None:
        """Opening the view puts the focus on the run list."""
        found = self.query("#runs-table")
        if not found:  # opened from the palette before its children are mounted
            self.call_after_refresh(self.focus_first_field)
            return
        found.first(DataTable).focus()

    def focus_field(self, key: str | None) -> None:
        """There are no fields here: the run list takes the focus."""
        self.focus_first_field()
