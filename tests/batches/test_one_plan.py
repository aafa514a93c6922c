"""The command line, the host and the console agree on every batch's next run and pause; runs by hand never count."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from akadmin_tui.batches.catalog import batch_specs
from akadmin_tui.batches.host import HostNotice, SchedulerHost
from akadmin_tui.batches.kinds import NoticeKind, Outcome, Trigger
from akadmin_tui.batches.queries import runs
from akadmin_tui.batches.queries.pauses import paused_codes
from akadmin_tui.batches.state import StateStore, open_state
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.screens.batch_data import next_run_text
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile
from akadmin_tui.settings.time_zones import in_zone

NOW = dt.datetime(2031, 1, 6, 9, 0, tzinfo=dt.UTC)  # a Monday, within CHORUS_SEND's working hours
PASS = DEMO_PASSPHRASE + "\n"


def record(state: StateStore, code: str, trigger: Trigger, minutes_ago: int) -> None:
    started = (NOW - dt.timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")
    run_id = runs.start_run(state, code=code, template="", trigger=trigger, started_by="u", host="h",
                            started_at=started)
    runs.finish_run(state, run_id=run_id, ended_at=started, outcome=Outcome.OK, summary="nothing to do", counts="{}",
                    errors=0, warnings=0)


def test_only_runs_of_the_schedule_count_as_its_last_run(state) -> None:
    record(state, "B", Trigger.SCHEDULE, 90)
    record(state, "B", Trigger.CATCH_UP, 60)
    record(state, "B", Trigger.MANUAL, 20)
    record(state, "B", Trigger.COMMAND, 10)
    assert runs.last_scheduled_run(state, "B") == NOW - dt.timedelta(minutes=60)
    assert runs.last_scheduled_run(state, "NEVER") is None


@pytest.mark.parametrize("paused", [(), ("CHORUS_STATUS", "SIGNATURES")])
async def test_the_command_line_the_host_and_the_console_show_the_same_next_run(akadmin, demo_path, monkeypatch,
                                                                                  paused) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    editor = SettingsEditor(config)
    state = open_state(config)
    specs = batch_specs(editor)
    assert {"CHORUS_STATUS", "CHORUS_SEND", "SIGNATURES", "STATEMENTS"} <= {spec.code for spec in specs}
    for spec in specs:
        record(state, spec.code, Trigger.SCHEDULE, 30)
        record(state, spec.code, Trigger.MANUAL, 20)  # run now, from the console
        record(state, spec.code, Trigger.COMMAND, 10)  # akadmin batch run
    for code in paused:
        assert akadmin("batch", "pause", code, "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)[0] == 0
    monkeypatch.setattr("akadmin_tui.batches.planning.utc_now", lambda: NOW)
    code, out, _ = akadmin("batch", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    assert code == 0
    listed = {row["code"]: row for row in json.loads(out)["batches"]}
    # Hourly, last scheduled at 08:30: the runs by hand at 08:40 and 08:50 do not move it to 09:40 or 09:50.
    expected_hourly = None if "CHORUS_STATUS" in paused else NOW + dt.timedelta(minutes=30)
    hourly = listed["CHORUS_STATUS"]["next_run"]
    assert (dt.datetime.fromisoformat(hourly) if hourly else None) == expected_hourly

    host = SchedulerHost(editor, state, now=lambda: NOW)
    host.start()
    try:
        console = SimpleNamespace(live={}, controls=True, host=host)
        last = runs.last_runs(state)
        for spec in specs:
            shown = listed[spec.code]
            planned = dt.datetime.fromisoformat(shown["next_run"]) if shown["next_run"] else None
            assert shown["paused"] == (spec.code in paused) == host.is_paused(spec.code)
            assert host.next_run(spec.code) == planned, spec.code
            text = next_run_text(console, spec, paused_codes(state), last.get(spec.code))
            assert text == ("paused" if spec.code in paused else in_zone(planned, spec.schedule.zone, short=True))
    finally:
        await host.stop()
        state.close()


async def test_notices_say_what_kind_of_thing_happened(demo_path) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    state = open_state(config)
    record(state, "CHORUS_STATUS", Trigger.SCHEDULE, 24 * 60)
    host = SchedulerHost(SettingsEditor(config), state, now=lambda: NOW)
    notices: list[HostNotice] = []
    host.listeners.append(lambda event: notices.append(event) if isinstance(event, HostNotice) else None)
    host.start()
    try:
        host.set_paused("CHORUS_SEND", True)
    finally:
        await host.stop()
        state.close()
    kinds = {notice.code: notice.kind for notice in notices}
    assert kinds["CHORUS_STATUS"] is NoticeKind.CATCH_UP and kinds["CHORUS_SEND"] is NoticeKind.PAUSED
    assert [n.code for n in notices if n.notable] == ["CHORUS_STATUS"]


async def test_batch_list_shows_the_plan_of_the_running_host(akadmin, demo_path, monkeypatch) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    state = open_state(config)
    host = SchedulerHost(SettingsEditor(config), state, now=lambda: NOW)
    host.start()
    try:
        # Ten minutes after the host started: a host starting now would plan the built-in tasks ten minutes later.
        monkeypatch.setattr("akadmin_tui.batches.planning.utc_now", lambda: NOW + dt.timedelta(minutes=10))
        code, out, _ = akadmin("batch", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
        assert code == 0
        listed = {row["code"]: row for row in json.loads(out)["batches"]}
        assert "SIGNATURES" in listed
        for spec_code, row in listed.items():
            planned = host.next_run(spec_code)
            assert row["next_run"] == (planned.isoformat() if planned else None), spec_code
            assert row["next_run_from"] == "host"
    finally:
        await host.stop()
    # Once the host stopped, its plan is gone and the list says what a host starting now would do.
    code, out, _ = akadmin("batch", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    assert {row["next_run_from"] for row in json.loads(out)["batches"]} == {"estimate"}
    state.close()
