"""The scheduler host plans from an injected clock: start periods, one catch-up after downtime, pauses, the lock."""

from __future__ import annotations

import datetime as dt

import pytest

from akadmin_tui.batches.host import HostBusy, HostNotice, SchedulerHost, host_holder
from akadmin_tui.settings import schema

NOW = dt.datetime(2031, 1, 6, 9, 0, tzinfo=dt.UTC)


def add_hourly(editor) -> None:
    editor.create(schema.BATCHES, "HOURLY", {"label": "Hourly", "template": "CheckFacturesClientChorus",
                                             "schedule": "every 1h", "BATCH_USER": "u", "BATCH_PWD": "pwd-123",
                                             "BATCH_MAIL": "a@acme.example"})


async def test_plans_start_periods_and_one_catch_up_after_a_day_down(editor, state) -> None:
    add_hourly(editor)
    editor.apply(schema.UNIVERSIGN, None, {"start_period_s": 45})
    state.execute("INSERT INTO batch_runs (batch_code, template, trigger, started_at, outcome) VALUES "
                  "('HOURLY', 'CheckFacturesClientChorus', 'schedule', ?, 'ok')",
                  ((NOW - dt.timedelta(days=1)).isoformat(),))
    host = SchedulerHost(editor, state, now=lambda: NOW)
    notices: list[str] = []
    host.listeners.append(lambda event: notices.append(event.text) if isinstance(event, HostNotice) else None)
    host.start()
    try:
        assert host.next_run("HOURLY") == NOW  # once, now, for the 24 runs missed
        assert any("24 scheduled run(s) missed" in text for text in notices)
        assert host.next_run("SIGNATURES") == NOW + dt.timedelta(seconds=45)  # the seed's start period
        assert host.next_run("CHORUS_STATUS") == NOW + dt.timedelta(hours=1)  # never run: its first interval
        host.set_paused("HOURLY", True)
        assert host.next_run("HOURLY") is None and host.is_paused("HOURLY")
        host.set_paused("HOURLY", False)
        assert host.next_run("HOURLY") is not None
    finally:
        await host.stop()


async def test_only_one_host_per_state_database(editor, state) -> None:
    first = SchedulerHost(editor, state, now=lambda: NOW)
    first.start()
    try:
        assert "pid" in (host_holder(state.path) or "")
        with pytest.raises(HostBusy, match="already run on"):
            SchedulerHost(editor, state, now=lambda: NOW).start()
    finally:
        await first.stop()
    assert host_holder(state.path) is None


async def test_a_saved_schedule_change_is_replanned(editor, state) -> None:
    add_hourly(editor)
    host = SchedulerHost(editor, state, now=lambda: NOW)
    host.start()
    try:
        editor.apply(schema.BATCHES, "HOURLY", {"schedule": "0 6 * * 1-5"})
        host.reload(editor)
        assert host.next_run("HOURLY") == dt.datetime(2031, 1, 7, 6, 0, tzinfo=dt.UTC)
        editor.remove(schema.BATCHES, "HOURLY")
        host.reload(editor)
        assert host.next_run("HOURLY") is None and "HOURLY" not in host.specs
    finally:
        await host.stop()


async def test_runs_left_running_by_a_dead_host_are_marked_interrupted(editor, state) -> None:
    state.execute("INSERT INTO batch_runs (batch_code, template, trigger, started_at) VALUES "
                  "('CHORUS_STATUS', 'CheckFacturesClientChorus', 'schedule', '2031-01-05T10:00:00+00:00')")
    host = SchedulerHost(editor, state, now=lambda: NOW)
    host.start()
    await host.stop()
    assert state.query("SELECT outcome FROM batch_runs")[0][0] == "interrupted"


async def test_a_pause_from_the_command_line_reaches_a_running_host(editor, state) -> None:
    from akadmin_tui.batches.queries.pauses import set_paused

    add_hourly(editor)
    host = SchedulerHost(editor, state, now=lambda: NOW)
    host.start()
    try:
        set_paused(state, "HOURLY", True)  # what `akadmin batch pause HOURLY` does from another process
        host.sync_pauses()
        assert host.next_run("HOURLY") is None
        set_paused(state, "HOURLY", False)
        host.sync_pauses()
        assert host.next_run("HOURLY") is not None
    finally:
        await host.stop()


async def test_a_run_still_going_on_in_another_process_is_not_called_interrupted(editor, state) -> None:
    from akadmin_tui.batches.execute import batch_lock

    state.execute("INSERT INTO batch_runs (batch_code, template, trigger, started_at) VALUES "
                  "('CHORUS_SEND', 'TransfertFacturesClientChorus', 'command', '2031-01-06T08:59:00+00:00')")
    elsewhere = batch_lock(state, "CHORUS_SEND")
    elsewhere.acquire()  # `akadmin batch run CHORUS_SEND` holds it
    host = SchedulerHost(editor, state, now=lambda: NOW)
    host.start()
    await host.stop()
    elsewhere.release()
    assert state.query("SELECT outcome FROM batch_runs")[0][0] == "running"
