"""`akadmin batch status`: the health probe a monitoring system runs."""

from __future__ import annotations

import datetime as dt
import json

from akadmin_tui.batches.host import SchedulerHost
from akadmin_tui.batches.kinds import Outcome, Trigger
from akadmin_tui.batches.queries import runs
from akadmin_tui.batches.state import open_state
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

NOW = dt.datetime(2031, 1, 6, 9, 0, tzinfo=dt.UTC)
PASS = DEMO_PASSPHRASE + "\n"


def status(akadmin, demo_path, monkeypatch, now: dt.datetime) -> tuple[int, dict]:
    monkeypatch.setattr("akadmin_tui.batches.planning.utc_now", lambda: now)
    code, out, _ = akadmin("batch", "status", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    return code, json.loads(out)


def finished(state, code: str, outcome: Outcome, summary: str) -> None:
    started = NOW.isoformat(timespec="seconds")
    run_id = runs.start_run(state, code=code, template="", trigger=Trigger.SCHEDULE, started_by="u", host="h",
                            started_at=started)
    runs.finish_run(state, run_id=run_id, ended_at=started, outcome=outcome, summary=summary, counts="{}",
                    errors=1 if outcome is not Outcome.OK else 0, warnings=0)


async def test_healthy_while_a_host_runs_and_unhealthy_once_it_is_gone(akadmin, demo_path, monkeypatch) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    state = open_state(config)
    host = SchedulerHost(SettingsEditor(config), state, now=lambda: NOW)
    host.start()
    try:
        code, report = status(akadmin, demo_path, monkeypatch, NOW)
        assert code == 0 and report["healthy"] and report["host"], report
    finally:
        await host.stop()
    code, report = status(akadmin, demo_path, monkeypatch, NOW)
    assert code == 1 and not report["healthy"] and report["host"] is None
    assert "no scheduler host is running" in report["problems"][0]
    state.close()


async def test_a_failed_last_run_and_a_late_plan_are_problems(akadmin, demo_path, monkeypatch) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    state = open_state(config)
    finished(state, "CHORUS_SEND", Outcome.FAILED, "CHORUS PRO refused the token")
    host = SchedulerHost(SettingsEditor(config), state, now=lambda: NOW)
    host.start()
    try:
        planned = host.next_run("CHORUS_STATUS")
        assert planned is not None
        # An hour past the planned run, the (frozen) host has not run it: the probe says so.
        code, report = status(akadmin, demo_path, monkeypatch, planned + dt.timedelta(hours=1))
    finally:
        await host.stop()
        state.close()
    assert code == 1
    problems = {row["code"]: row["problem"] for row in report["batches"] if row["problem"]}
    assert "ended failed" in problems["CHORUS_SEND"] and "CHORUS PRO refused the token" in problems["CHORUS_SEND"]
    assert "has not started" in problems["CHORUS_STATUS"]
