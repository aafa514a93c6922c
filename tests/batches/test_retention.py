"""Run history older than Keep run history (days) is deleted; what the planning needs is kept."""

from __future__ import annotations

import datetime as dt

from akadmin_tui.batches.host import HostNotice, SchedulerHost
from akadmin_tui.batches.kinds import NoticeKind, Outcome, Trigger
from akadmin_tui.batches.queries import runs
from akadmin_tui.batches.queries.chorus import add_calls
from akadmin_tui.batches.queries.retention import prune_runs
from akadmin_tui.batches.state import open_state
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def a_run(state, code: str, trigger: Trigger, days_ago: int, *, lines: int = 2, ended: bool = True) -> int:
    when = (NOW - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")
    run_id = runs.start_run(state, code=code, template="", trigger=trigger, started_by="u", host="h", started_at=when)
    for seq in range(lines):
        runs.add_log_line(state, run_id=run_id, seq=seq, at=when, level="LOG", text=f"line {seq}")
    if ended:
        runs.finish_run(state, run_id=run_id, ended_at=when, outcome=Outcome.OK, summary="", counts="{}", errors=0,
                        warnings=0)
    return run_id


def ids(state) -> set[int]:
    return {row[0] for row in state.query("SELECT id FROM batch_runs")}


def test_old_runs_and_their_logs_go_the_last_ones_stay(state) -> None:
    old_scheduled = a_run(state, "A", Trigger.SCHEDULE, 200)
    last_scheduled = a_run(state, "A", Trigger.SCHEDULE, 150)  # the planning's anchor
    old_manual = a_run(state, "A", Trigger.MANUAL, 120)
    last_of_a = a_run(state, "A", Trigger.COMMAND, 100)  # what the console shows as its last run
    recent = a_run(state, "A", Trigger.SCHEDULE, 10)
    only_of_b = a_run(state, "B", Trigger.MANUAL, 300)
    still_running = a_run(state, "C", Trigger.SCHEDULE, 400, ended=False)
    a_run(state, "C", Trigger.SCHEDULE, 1)
    add_calls(state, account="piste-1", day=(NOW - dt.timedelta(days=100)).date().isoformat(), calls=5)
    add_calls(state, account="piste-1", day=NOW.date().isoformat(), calls=7)
    pruned = prune_runs(state, older_than=NOW - dt.timedelta(days=90))
    kept = ids(state)
    # A's newest runs moved on: the older of them go; B's only run and C's unfinished one stay.
    assert {old_scheduled, last_scheduled, old_manual, last_of_a} & kept == set()
    assert {recent, only_of_b, still_running} <= kept
    assert pruned.runs == 4 and pruned.log_lines == 8
    assert not state.query("SELECT 1 FROM run_log WHERE run_id NOT IN (SELECT id FROM batch_runs)")
    assert [row[0] for row in state.query("SELECT day FROM chorus_usage")] == [NOW.date().isoformat()]


def test_the_last_scheduled_run_stays_even_when_runs_by_hand_came_after(state) -> None:
    anchor = a_run(state, "A", Trigger.SCHEDULE, 200)
    by_hand = a_run(state, "A", Trigger.MANUAL, 150)
    prune_runs(state, older_than=NOW - dt.timedelta(days=90))
    assert {anchor, by_hand} <= ids(state)
    assert runs.last_scheduled_run(state, "A") is not None


async def test_the_host_prunes_at_start_with_the_configured_time(demo_path) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    editor = SettingsEditor(config)
    editor.apply(schema.STATE, None, {"keep_runs_days": 30})
    state = open_state(config)
    old = a_run(state, "CHORUS_STATUS", Trigger.SCHEDULE, 40)
    a_run(state, "CHORUS_STATUS", Trigger.SCHEDULE, 20)
    notices: list[HostNotice] = []
    host = SchedulerHost(editor, state)
    host.listeners.append(lambda event: notices.append(event) if isinstance(event, HostNotice) else None)
    host.start()
    try:
        assert old not in ids(state)
        assert any(n.kind is NoticeKind.PRUNED and "older than 30 days" in n.text for n in notices)
    finally:
        await host.stop()
        state.close()
