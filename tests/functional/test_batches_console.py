"""Batches in the console: create a batch, run it, follow its log and progress, pause it, browse invoices."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, Select

from akadmin_tui.batches import execute
from akadmin_tui.batches.host import SchedulerHost
from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.dialogs.new_batch import NewBatchScreen
from akadmin_tui.screens.batches_view import BatchesView
from akadmin_tui.screens.invoices_view import InvoicesView
from akadmin_tui.screens.runs_view import RunsView
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.invoice_table import InvoiceTable
from akadmin_tui.widgets.run_log import RunLog
from tests.waiting import run_from_palette, settle, shown_text, wait_for_focus, wait_for_screen, wait_until

from .conftest import SIZE, make_app, reload

# The demo's batches are scheduled against a clock years ahead, so none fires by itself during a test.
FUTURE = dt.datetime(2031, 3, 4, 5, 6, tzinfo=dt.UTC)


def console(path: Path):
    """The console on `path`, whose batches' clock is FUTURE."""
    app = make_app(path)
    app.batch_clock = lambda: FUTURE
    return app

CHECK = "CheckFacturesClientChorus"
COMPLETE = {"label": "CHORUS statuses", "template": CHECK, "BATCH_MAIL": "support@acme.example",
            "BATCH_USER": "batch", "BATCH_PWD": "batch-password"}


def add_batch(path: Path, code: str, **values) -> None:
    SettingsEditor(reload(path)).create(schema.BATCHES, code, COMPLETE | values)


@pytest.fixture
def no_mail(monkeypatch) -> list:
    """The log e-mail of a failed run goes nowhere; the messages are kept."""
    sent = []

    async def fake_send(editor, mail):
        sent.append(mail)
        return "the test mailbox"

    monkeypatch.setattr(execute, "send_mail", fake_send)
    return sent


async def open_batches(app, pilot) -> BatchesView:
    """Open Batch creation and modification; wait until it is mounted with the focus on its table."""
    view = app.screen.open_section(schema.BATCHES.id)
    await wait_until(pilot, lambda: view.is_mounted, what="the batches view")
    await wait_for_focus(pilot, "#batch-table")
    return view


def cell(view: BatchesView, code: str, column: str) -> str:
    return str(view.query_one("#batch-table", DataTable).get_cell(code, column))


def table_codes(view: BatchesView) -> list[str]:
    """The codes of the batches listed in the table."""
    return [str(key.value) for key in view.query_one("#batch-table", DataTable).rows]


def form_shown(view, code: str) -> bool:
    """True when the form of `code` is the one on screen, mounted."""
    return view._current == code and view.form is not None and view.form.is_mounted


async def select_batch(view: BatchesView, pilot, code: str) -> None:
    table = view.query_one("#batch-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(code))
    await wait_until(pilot, lambda: form_shown(view, code) and pilot.app.focused is table,
                     what=f"the form of {code} with the focus on the table")
    assert view._current == code


async def open_runs_from_batches(app, pilot) -> RunsView:
    """Press h in the batches view; wait until Runs and logs is shown, mounted, with the focus on its runs."""
    await pilot.press("h")
    return await wait_for_runs(app, pilot)


async def wait_for_runs(app, pilot) -> RunsView:
    """Wait until Runs and logs is the view on screen, mounted, with the focus on its table of runs."""
    def shown() -> bool:
        runs = app.screen.query_one(RunsView)
        return runs.is_mounted and app.screen.query_one("#content").current == runs.id

    await wait_until(pilot, shown, what="the Runs and logs view")
    await wait_for_focus(pilot, "#runs-table")
    return app.screen.query_one(RunsView)


async def test_a_batch_missing_required_parameters_is_refused_then_saved(demo_path: Path, notes) -> None:
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewBatchScreen)
        assert isinstance(app.screen, NewBatchScreen)
        await pilot.press(*"CHK1")
        await wait_until(pilot, lambda: app.screen.query_one("#new-code").value == "CHK1", what="the code typed")
        assert app.screen.query_one("#new-template", Select).value == CHECK
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form_shown(view, "CHK1"), what="the new batch's form")
        await wait_for_focus(pilot, "#input-label")  # where a new batch's form puts the admin
        form = view.form
        assert form.record_key == "CHK1" and form.is_new
        # Only the template's parameters show; BATCH_MAIL is flagged as required.
        assert form.row("BATCH_MAIL").display and form.row("BATCH_MAIL").required
        assert not form.row("DOSSIER_FACTURES_A_DEPOSER").display
        form.row("label").editor.value = "CHORUS statuses"
        await wait_until(pilot, lambda: form.row("label").has_class("-modified"), what="the label marked modified")
        await pilot.press("f2")
        await wait_until(pilot, lambda: any("'BATCH_MAIL' is required" in n for n in notes),
                         what="the missing BATCH_MAIL to be refused")
        assert any("'BATCH_MAIL' is required by the CheckFacturesClientChorus template" in n for n in notes)
        assert "required" in form.row("BATCH_MAIL").problem
        assert reload(demo_path).get(("batches", "CHK1", "label")) is None
        for key in ("BATCH_MAIL", "BATCH_USER", "BATCH_PWD"):
            form.row(key).editor.value = COMPLETE[key]
        form.row("schedule").editor.value = "every 6h"
        edited = ("BATCH_MAIL", "BATCH_USER", "BATCH_PWD", "schedule")
        await wait_until(pilot, lambda: all(form.row(key).has_class("-modified") for key in edited)
                         and "every 6 h" in shown_text(form.query_one(".schedule-next")),
                         what="the parameters and the schedule to be taken by the form")
        assert "every 6 h: next fire time" in str(form.query_one(".schedule-next").render())
        await pilot.press("f2")
        await wait_until(pilot, lambda: cell(view, "CHK1", "label") == "CHORUS statuses",
                         what="CHK1 created and listed with its label")
        saved = reload(demo_path)
        assert saved.get(("batches", "CHK1", "template")) == CHECK
        assert "batch-password" not in demo_path.read_text()
        assert "CHK1" in app.batches.host.specs
        assert cell(view, "CHK1", "label") == "CHORUS statuses"
        assert cell(view, "CHK1", "next")[2] == "-"  # a date (11-21 09:12): scheduled by the host


async def test_changing_the_template_shows_its_parameters(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1")
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        form = view.form
        assert form.row("LISTE_ETATS_CHORUS_A_ALERTER").display
        form.row("template").editor.value = "TransfertFacturesClientChorus"
        await wait_until(pilot, lambda: form.row("DOSSIER_FACTURES_A_DEPOSER").display,
                         what="the Transfert template's parameters")
        assert form.row("DOSSIER_FACTURES_A_DEPOSER").display
        assert not form.row("LISTE_ETATS_CHORUS_A_ALERTER").display


async def test_run_now_fails_without_chorus_and_the_log_says_why(demo_path: Path, no_mail) -> None:
    add_batch(demo_path, "CHK1")
    SettingsEditor(reload(demo_path)).apply(schema.CHORUS, None, {"active": False})
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        assert cell(view, "CHK1", "last") == "never"
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "CHK1", "last").startswith("failed"), what="the run of CHK1 to fail")
        runs = await open_runs_from_batches(app, pilot)
        assert app.screen.query_one("#content").current == runs.id
        table = runs.query_one("#runs-table", DataTable)
        row = table.get_row_at(0)
        assert row[1] == "CHK1" and row[2] == "manual" and row[5] == "failed"
        log = runs.query_one(RunLog)
        await wait_until(pilot, lambda: any("CHORUS PRO is not active" in line for line in log.shown_lines),
                         what="the reason in the run's log")
        # The level filter: ERROR only keeps the reason and drops the LOG lines.
        runs.query_one("#log-level", Select).value = "error"
        await wait_until(pilot, lambda: log.level_filter == "error", what="the log filtered on ERROR")
        assert log.shown_lines and all(" ERROR " in line for line in log.shown_lines)
        assert any("CHORUS PRO is not active" in line for line in log.shown_lines)
        await pilot.press("l")  # cycles back to every level
        await wait_until(pilot, lambda: log.level_filter == "all", what="the log back on every level")
        assert log.level_filter == "all"
    assert no_mail and "CHK1" in no_mail[0].subject


async def test_a_running_batch_shows_live_progress_and_can_be_cancelled(demo_path: Path, monkeypatch, no_mail) -> None:
    add_batch(demo_path, "CHK1")
    step = asyncio.Event()

    async def slow_runner(ctx) -> None:
        ctx.info("Checking invoices")
        for done in range(1, 11):
            await step.wait()
            step.clear()
            ctx.check_cancelled()
            ctx.progress(done, 20)
            ctx.info(f"Invoice {done} checked")

    monkeypatch.setattr(execute, "runner_for", lambda template: slow_runner)
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "CHK1", "next") == "running", what="CHK1 to be running")
        runs = await open_runs_from_batches(app, pilot)
        log = runs.query_one(RunLog)
        await wait_until(pilot, lambda: any("Checking invoices" in line for line in log.shown_lines),
                         what="the run's first log line")
        assert runs.query_one("#run-progress").display
        for done in range(1, 10):
            step.set()
            # One step at a time: the runner takes this one (and logs it) before the next is given.
            await wait_until(pilot, lambda done=done: any(f"Invoice {done} checked" in line for line in log.shown_lines),
                             what=f"invoice {done} checked in the log")
        assert runs.query_one("#run-progress", ProgressBar).percentage == pytest.approx(0.45)
        assert sum("Invoice 3 checked" in line for line in log.shown_lines) == 1
        await wait_until(pilot, lambda: cell(view, "CHK1", "next") == "running 45%", timeout=3,
                         what="the batches table to catch up with 45%")
        await pilot.press("c")
        await wait_for_screen(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.batches.host.running["CHK1"].cancel.is_set(),
                         what="the run of CHK1 to be asked to stop")
        step.set()
        await wait_until(pilot, lambda: not app.batches.live, what="the run to end")
        await wait_until(pilot, lambda: runs.query_one("#runs-table", DataTable).get_row_at(0)[5] == "cancelled",
                         what="the run listed as cancelled")
        assert not runs.query_one("#run-progress").display
        assert any("Cancelled by the administrator" in line for line in log.shown_lines)


async def test_pause_and_resume_change_the_next_run(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1", schedule="every 1h")
    add_batch(demo_path, "ONDEMAND")
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        assert cell(view, "ONDEMAND", "next") == "on demand"
        await select_batch(view, pilot, "CHK1")
        planned = cell(view, "CHK1", "next")
        assert planned[2] == "-"
        await pilot.press("p")
        await wait_until(pilot, lambda: cell(view, "CHK1", "next") == "paused", what="CHK1 shown paused")
        assert cell(view, "CHK1", "next") == "paused"
        assert app.batches.host.is_paused("CHK1") and app.batches.host.next_run("CHK1") is None
        await pilot.press("p")
        await wait_until(pilot, lambda: cell(view, "CHK1", "next") == planned, what="CHK1's next run shown again")
        assert cell(view, "CHK1", "next") == planned


async def test_deleting_a_batch_asks_first_and_keeps_its_runs(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1")
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: "CHK1" not in table_codes(view), what="CHK1 deleted from the table")
        assert reload(demo_path).get(("batches", "CHK1")) is None
        assert "CHK1" not in app.batches.host.specs
        assert "CHK1" not in [str(k.value) for k in view.query_one("#batch-table", DataTable).rows]


async def test_a_second_console_shows_who_runs_the_batches_read_only(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1")
    state = StateStore(state_path_for(demo_path))
    other = SchedulerHost(SettingsEditor(reload(demo_path)), state, now=lambda: FUTURE)
    other.start()  # the first console (or `akadmin scheduler`) runs the batches
    try:
        app = console(demo_path)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_batches(app, pilot)
            host_line = str(view.query_one("#batches-host").render())
            assert host_line.startswith("Batches run on ") and "(pid " in host_line and "read-only" in host_line
            await select_batch(view, pilot, "CHK1")
            for action in ("run_now", "toggle_pause", "cancel_run"):
                assert view.check_action(action, ()) is False
            await pilot.press("f5")
            # F5 is disabled here: nothing shows; what counts is the state once the console is idle.
            await settle(pilot)
            assert not other.running
    finally:
        await other.stop()
        state.close()


def insert_invoices(path: Path, count: int) -> None:
    """`count` invoices straight into the state database; #42 was rejected with a comment."""
    state = StateStore(state_path_for(path))
    stamp = "2026-11-20T10:00:00+00:00"
    rows = [(("ACME", "BETA")[i % 2], f"F-{i:06d}", "2026-11-01", f"{100 + i}.00", f"Customer {i % 97}",
             f"/data/{i}.pdf", f"{i}.pdf", f"{i:064x}", "UBL", "transferred" if i % 3 else "pending",
             ("MISE_A_DISPOSITION", "REJETEE", "")[i % 3], stamp, stamp, stamp) for i in range(1, count + 1)]
    with state.transaction() as db:
        db.executemany(
            "INSERT INTO invoices (company, number, issue_date, amount, customer, file_path, file_name, file_sha256, "
            "syntax, transfer_state, chorus_status, chorus_status_at, imported_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("INSERT INTO invoice_status_history (invoice_id, status, status_at, comment, erp_status, "
                   "recorded_at) VALUES (42, 'REJETEE', ?, 'SIRET du destinataire inconnu', "
                   "'3 - Transmission denied', ?)", (stamp, stamp))
    state.close()


async def test_invoices_scroll_filter_and_show_a_rejection(demo_path: Path) -> None:
    insert_invoices(demo_path, 5000)
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.open_section("invoices")
        await wait_for_focus(pilot, "#invoice-table")
        view = app.screen.query_one(InvoicesView)
        table = view.query_one(InvoiceTable)
        await wait_until(pilot, lambda: table.count == 5000 and table.visible_loaded(), what="the invoices counted and shown")
        assert "5 000 invoices" in str(view.query_one("#inv-count").render())
        assert table.current.number == "F-005000"  # newest first
        await pilot.press("pagedown", "pagedown")
        await wait_until(pilot, lambda: table.cursor > 30 and table.visible_loaded(), what="two pages down, shown")
        assert table.cursor > 30 and table.scroll_y > 0
        await pilot.press("end")
        await wait_until(pilot, lambda: table.cursor == 4999 and table.visible_loaded(), what="the last invoice, shown")
        assert table.cursor == 4999 and table.current.number == "F-000001"
        assert table.loaded_pages <= 16  # never the whole table in memory
        await pilot.press("home")
        await wait_until(pilot, lambda: table.cursor == 0 and table.scroll_y == 0, what="the table back at its top")
        assert table.cursor == 0 and table.scroll_y == 0
        # Filters: a company, then a status, then a text.
        await wait_until(pilot, lambda: len(view.query_one("#inv-company", Select)._options) > 1,
                         what="the companies among the filters")
        view.query_one("#inv-company", Select).value = "BETA"
        await wait_until(pilot, lambda: table.count == 2500, what="BETA's invoices counted")
        view.query_one("#inv-status", Select).value = "REJETEE"
        # Odd numbers that are 1 modulo 3.
        await wait_until(pilot, lambda: table.count == 834, what="BETA's rejected invoices counted")
        view.query_one("#inv-company", Select).value = Select.NULL
        view.query_one("#inv-status", Select).value = Select.NULL
        await pilot.press("slash", *"F-000042")
        await wait_until(pilot, lambda: table.count == 1 and table.current is not None, what="F-000042 found")
        await pilot.press("enter")  # from the search field to the table
        await wait_for_focus(pilot, "#invoice-table")
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.query_one("#invoice-history").display
                         and "F-000042" in shown_text(view.query_one("#invoice-history-text")),
                         what="the history of F-000042")
        history = str(view.query_one("#invoice-history-text").render())
        assert view.query_one("#invoice-history").display
        assert "REJETEE" in history and "SIRET du destinataire inconnu" in history
        await pilot.press("escape")
        await wait_until(pilot, lambda: not view.query_one("#invoice-history").display, what="the history to close")
        assert not view.query_one("#invoice-history").display


async def test_help_lists_the_batch_keys(demo_path: Path) -> None:
    from akadmin_tui.dialogs.help import help_text

    text = help_text()
    for words in ("Run now", "pause or resume", "Runs and logs", "Invoices", "log level"):
        assert words.lower() in text.lower()


async def test_runs_page_through_a_long_history(demo_path: Path) -> None:
    state = StateStore(state_path_for(demo_path))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with state.transaction() as db:
        db.executemany("INSERT INTO batch_runs (batch_code, template, trigger, started_at, ended_at, outcome, counts) "
                       "VALUES (?, ?, 'schedule', ?, ?, 'ok', '{\"checked\": 3}')",
                       [(("CHK1", "CHK2")[i % 2], CHECK, (start + dt.timedelta(hours=i)).isoformat(),
                         (start + dt.timedelta(hours=i, seconds=65)).isoformat()) for i in range(10_000)])
    state.close()
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.open_runs(None)
        runs = await wait_for_runs(app, pilot)
        table = runs.query_one("#runs-table", DataTable)
        assert table.row_count == 200
        assert table.get_row_at(0)[0] == "10000" and table.get_row_at(0)[4] == "1 min 05 s"
        assert table.get_row_at(0)[6] == "checked 3"
        table.move_cursor(row=199)
        await wait_until(pilot, lambda: table.row_count == 400, what="the next page of runs")
        assert table.row_count == 400
        runs.show_batch("CHK2")
        await wait_until(pilot, lambda: table.row_count and {table.get_row_at(i)[1] for i in range(table.row_count)} == {"CHK2"},
                         what="only CHK2's runs listed")
        assert {table.get_row_at(i)[1] for i in range(table.row_count)} == {"CHK2"}


@pytest.mark.parametrize("entry, view_type", [("Batch creation and modification", BatchesView),
                                              ("Runs and logs", RunsView), ("Invoices (CHORUS PRO)", InvoicesView)])
async def test_each_batches_view_opens_from_the_palette_straight_away(demo_path: Path, entry: str, view_type) -> None:
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await run_from_palette(pilot, entry)
        await wait_until(pilot, lambda: app.focused is not None and any(isinstance(a, view_type) for a in app.focused.ancestors),
                         what=f"the focus in the {view_type.__name__}")
