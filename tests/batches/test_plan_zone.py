"""The batch host's time zone: set from the command line, read by the host, named by every next run shown."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from akadmin_tui.batches.catalog import find_spec
from akadmin_tui.batches.host import SchedulerHost
from akadmin_tui.batches.state import open_state
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

PASS = DEMO_PASSPHRASE + "\n"
WINTER_MONDAY_5AM = dt.datetime(2031, 1, 6, 5, 0, tzinfo=dt.UTC)  # 06:00 in Paris
SUMMER_MONDAY_4AM = dt.datetime(2031, 7, 7, 4, 0, tzinfo=dt.UTC)  # 06:00 in Paris


@pytest.mark.parametrize("now, first_send", [
    (WINTER_MONDAY_5AM, "2031-01-06T07:00:00+01:00"),  # CHORUS_SEND: */15 7-19 * * 1-5, 07:00 Paris time
    (SUMMER_MONDAY_4AM, "2031-07-07T07:00:00+02:00"),
])
def test_batch_list_plans_and_names_the_configured_zone(akadmin, demo_path, monkeypatch, now, first_send) -> None:
    code, _out, err = akadmin("config", "set", "scheduler.time_zone", "Europe/Paris", "--config", str(demo_path),
                              "--passphrase-stdin", stdin=PASS)
    assert code == 0, err
    monkeypatch.setattr("akadmin_tui.batches.planning.utc_now", lambda: now)
    code, out, _ = akadmin("batch", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    listed = json.loads(out)
    assert code == 0 and listed["time_zone"] == "Europe/Paris"
    assert {row["code"]: row for row in listed["batches"]}["CHORUS_SEND"]["next_run"] == first_send
    code, out, _ = akadmin("batch", "list", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    abbreviation = "CET" if now.month == 1 else "CEST"
    send = next(line for line in out.splitlines() if line.startswith("CHORUS_SEND"))
    assert "in Europe/Paris." in out and f"next {first_send[:10]} 07:00 {abbreviation}" in send


def test_a_zone_the_database_does_not_know_is_refused_with_the_likely_one(akadmin, demo_path) -> None:
    code, _out, err = akadmin("config", "set", "scheduler.time_zone", "europe/paris", "--config", str(demo_path),
                              "--passphrase-stdin", stdin=PASS)
    assert code == 2 and "an IANA time zone name" in err and "did you mean Europe/Paris?" in err


async def test_the_running_host_replans_when_the_zone_changes(demo_path) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    editor = SettingsEditor(config)
    state = open_state(config)
    assert not editor.apply(schema.SCHEDULER, None, {"time_zone": "UTC"})
    host = SchedulerHost(editor, state, now=lambda: WINTER_MONDAY_5AM)
    host.start()
    try:
        assert host.next_run("CHORUS_SEND") == dt.datetime(2031, 1, 6, 7, 0, tzinfo=dt.UTC)
        assert not editor.apply(schema.SCHEDULER, None, {"time_zone": "America/Montreal"})
        host.reload(editor)
        spec = find_spec(editor, "CHORUS_SEND")
        assert spec is not None and spec.schedule.zone_name == "America/Montreal"
        # 07:00 in Montreal (UTC-5 in January) is 12:00 UTC.
        assert host.next_run("CHORUS_SEND") == dt.datetime(2031, 1, 6, 12, 0, tzinfo=dt.UTC)
    finally:
        await host.stop()
        state.close()
