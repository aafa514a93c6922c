"""The console follows what other processes do: runs and pauses in the state database, a plan, a saved file."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from akadmin_tui.batches.host import SchedulerHost
from akadmin_tui.batches.kinds import Outcome, Trigger
from akadmin_tui.batches.queries import runs
from akadmin_tui.batches.queries.pauses import set_paused
from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.screens.batch_data import local_time
from akadmin_tui.screens.host_link import FOLLOW_EVERY_S
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.time_zones import in_zone, server_zone
from tests.waiting import wait_for_focus, wait_until

from .conftest import SIZE, make_app, reload
from .test_batches_console import FUTURE, console, open_batches

SOON = 3 * FOLLOW_EVERY_S  # "within a few seconds"


def other_process_state(path: Path) -> StateStore:
    """The state database as another process (`akadmin batch run`, `akadmin scheduler`) opens it."""
    return StateStore(state_path_for(path, reload(path).plain()))


def cell(view, code: str, column: str) -> str:
    return str(view.query_one("#batch-table", DataTable).get_cell(code, column))


async def test_a_run_and_a_pause_from_a_shell_show_up_in_the_console(demo_path: Path) -> None:
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        assert cell(view, "CHORUS_STATUS", "last").startswith("never")
        assert app.batches is not None and app.batches.host is not None
        other = other_process_state(demo_path)
        try:
            started = FUTURE.isoformat(timespec="seconds")
            run_id = runs.start_run(other, code="CHORUS_STATUS", template="", trigger=Trigger.COMMAND,
                                    started_by="root", host="erp01", started_at=started)
            runs.finish_run(other, run_id=run_id, ended_at=started, outcome=Outcome.OK, summary="nothing to do",
                            counts="{}", errors=0, warnings=0)
            set_paused(other, "CHORUS_SEND", True)  # akadmin batch pause CHORUS_SEND
        finally:
            other.close()
        await wait_until(pilot, lambda: cell(view, "CHORUS_STATUS", "last").startswith("ok")
                         and cell(view, "CHORUS_SEND", "next") == "paused", timeout=SOON,
                         what="the run and the pause made by another process")
        assert local_time(FUTURE, short=True) in view._cells["CHORUS_STATUS"][4]  # the Last run text, uncut
        # The console's own host follows the pause within seconds, not at its next 30-second sync.
        await wait_until(pilot, lambda: app.batches.host.next_run("CHORUS_SEND") is None, timeout=SOON,
                         what="the console's host to pause CHORUS_SEND")


async def test_a_read_only_console_shows_the_other_hosts_plan(demo_path: Path) -> None:
    config = reload(demo_path)
    state = other_process_state(demo_path)
    other_host = SchedulerHost(SettingsEditor(config), state, now=lambda: FUTURE)
    other_host.start()  # akadmin scheduler, in another process
    try:
        planned = other_host.next_run("CHORUS_STATUS")
        assert planned is not None
        app = console(demo_path)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_batches(app, pilot)
            assert app.batches is not None and app.batches.host is None  # the other host holds the lock
            # In the server's zone (no Time zone set), named once in the header as every next run shares it.
            moment, zone = in_zone(planned, server_zone(), short=True).rsplit(" ", 1)
            assert cell(view, "CHORUS_STATUS", "next") == moment
            assert str(view.query_one("#batch-table", DataTable).columns["next"].label) == f"Next run {zone}"
            other_host.set_paused("CHORUS_STATUS", True)
            await wait_until(pilot, lambda: cell(view, "CHORUS_STATUS", "next") == "paused", timeout=SOON,
                             what="the other host's pause")
    finally:
        await other_host.stop()
        state.close()


async def test_a_read_only_console_shows_what_another_process_saved(demo_path: Path, notes) -> None:
    app = make_app(demo_path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section(schema.MAIL.id)
        await wait_until(pilot, lambda: view.form is not None and view.form.is_mounted, what="the Mail server form")
        host = view.form.row("smtp_host")
        before = host.editor.value
        SettingsEditor(reload(demo_path)).apply(schema.MAIL, None, {"smtp_host": "smtp.changed.example"})
        await wait_until(pilot, lambda: host.editor.value == "smtp.changed.example", timeout=SOON,
                         what="the value another process saved")
        assert before != "smtp.changed.example" and not host.modified
        assert any("Another process saved" in note for note in notes)
