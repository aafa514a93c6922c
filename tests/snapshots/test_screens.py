"""Snapshots of the screens that matter, at the 80×24 an SSH session often has, and larger."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.app import AkadminApp
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
from akadmin_tui.settings.session import ConfigOpener
from tests.conftest import CHEAP


@pytest.fixture
def demo_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo config in the working directory, so the header shows the same path on every run."""
    monkeypatch.chdir(tmp_path)
    path = Path("config.toml")
    build_demo_config(path, DEMO_PASSPHRASE, scrypt=CHEAP)
    return path


def _app(path: Path, unlocked: bool = True) -> AkadminApp:
    opener = ConfigOpener(path)
    return AkadminApp(opener, opener.open(DEMO_PASSPHRASE) if unlocked else None, host_name="erp-host")


def test_menu(snap_compare, demo_here: Path) -> None:
    assert snap_compare(_app(demo_here), terminal_size=(80, 24))


def test_form_with_a_validation_error(snap_compare, demo_here: Path) -> None:
    async def type_bad_retry_count(pilot) -> None:
        await pilot.press("enter", *["tab"] * 7, "ctrl+u", "1", "1")
        await pilot.pause()

    assert snap_compare(_app(demo_here), run_before=type_bad_retry_count, terminal_size=(80, 24))


def test_form_wide(snap_compare, demo_here: Path) -> None:
    async def open_exchange(pilot) -> None:
        await pilot.press("down", "enter")
        await pilot.pause()

    assert snap_compare(_app(demo_here), run_before=open_exchange, terminal_size=(140, 44))


def test_unlock_screen(snap_compare, demo_here: Path) -> None:
    assert snap_compare(_app(demo_here, unlocked=False), terminal_size=(80, 24))


def test_failed_test_panel(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.connectors.result import Outcome, Step, TestResult
    from akadmin_tui.widgets.test_panel import TestPanel

    result = TestResult("chorus", "setup ACME, qualification", [
        Step("PISTE token", Outcome.PASSED, 42.0,
             "POST https://sandbox-oauth.piste.gouv.fr/api/oauth/token  "
             "grant_type=client_credentials&client_id=acme&client_secret=********",
             "Bearer token, expires in 3600 s"),
        Step("Supplier structures", Outcome.FAILED, 118.0,
             "POST https://sandbox-api.piste.gouv.fr/cpro/transverses/v1/recuperer/structures/actives/fournisseur",
             "HTTP 403",
             "CHORUS PRO refused the technical account (cpro-account, 403): check Chorus Login and Chorus Password."),
    ])

    async def show_failure(pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()
        panel = pilot.app.screen.query_one(TestPanel)
        panel.finish(result)
        panel.scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(_app(demo_here), run_before=show_failure, terminal_size=(120, 40))


def test_chorus_tabs_with_a_company_falling_back(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor
    from akadmin_tui.settings.session import ConfigOpener

    SettingsEditor(ConfigOpener(demo_here).open(DEMO_PASSPHRASE)).apply(
        schema.CHORUS_SPECIAL, "*****", {"enabled": True, "piste_client_id": "default-client",
                                         "piste_secret": "s", "chorus_login": "TECH_DEFAULT@cpro.fr",
                                         "chorus_password": "p"})

    async def open_beta(pilot) -> None:
        pilot.app.screen.open_section("chorus_special", focus=False)
        await pilot.pause()
        view = pilot.app.screen.query_one("#section-chorus_special")
        view._activate("BETA")
        await pilot.pause()
        view.focus_first_field()
        await pilot.pause()

    assert snap_compare(_app(demo_here), run_before=open_beta, terminal_size=(100, 30))


def test_batches_list(snap_compare, demo_here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time

    from akadmin_tui.batches.host import set_paused
    from akadmin_tui.batches.state import StateStore, state_path_for
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    # Times show in local time, here UTC; the batches' clock is fixed years ahead, so nothing fires meanwhile.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    clock = dt.datetime(2031, 3, 4, 5, 6, tzinfo=dt.UTC)
    needed = {"BATCH_MAIL": "support@acme.example", "BATCH_USER": "batch", "BATCH_PWD": "batch-password"}
    editor = SettingsEditor(ConfigOpener(demo_here).open(DEMO_PASSPHRASE))
    editor.create(schema.BATCHES, "CHK-PAUSED", needed | {"label": "CHORUS statuses, paused",
                                                          "template": "CheckFacturesClientChorus",
                                                          "schedule": "every 1h"})
    editor.create(schema.BATCHES, "TRANSFER", needed | {"label": "Chorus transfer by hand",
                                                        "template": "TransfertFacturesClientChorus"})
    state = StateStore(state_path_for(demo_here))
    set_paused(state, "CHK-PAUSED", True)
    state.execute("INSERT INTO batch_runs (batch_code, template, trigger, started_at, ended_at, outcome) VALUES "
                  "('CHORUS_STATUS', 'CheckFacturesClientChorus', 'schedule', '2031-03-04T05:00:00+00:00', "
                  "'2031-03-04T05:00:12+00:00', 'ok'), ('TRANSFER', 'TransfertFacturesClientChorus', 'manual', "
                  "'2031-03-02T14:30:00+00:00', '2031-03-02T14:31:05+00:00', 'failed')")
    state.close()

    async def open_batches(pilot) -> None:
        pilot.app.screen.open_section("batches")
        await pilot.pause()
        table = pilot.app.screen.query_one("#batch-table")
        table.move_cursor(row=table.get_row_index("CHORUS_STATUS"))
        await pilot.pause()

    opener = ConfigOpener(demo_here)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="erp-host", batch_clock=lambda: clock)
    try:
        assert snap_compare(app, run_before=open_batches, terminal_size=(120, 34))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_accounting_configurations(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    # Its own configurations, so configurations added to the demo later do not change this picture.
    editor = SettingsEditor(ConfigOpener(demo_here).open(DEMO_PASSPHRASE))
    for company in editor.record_keys(schema.COMPANIES):
        if editor.stored(schema.COMPANIES, company).get("accounting_configuration"):
            editor.apply(schema.COMPANIES, company, {"share_documents": False, "accounting_configuration": ""})
    for name in editor.record_keys(schema.ACCOUNTING):
        editor.remove(schema.ACCOUNTING, name)
    editor.create(schema.ACCOUNTING, "INQOM", {"integration": "inqom", "environment": "recette",
                                               "client_id": "c", "client_secret": "s", "username": "u@x.fr",
                                               "password": "p", "folder_id": "48213", "terms_accepted": True})
    editor.create(schema.ACCOUNTING, "RELEVES", {"integration": "email", "document_type": "bank_statements",
                                                 "recipient_email": "releves@cabinet.example", "terms_accepted": True})
    editor.create(schema.ACCOUNTING, "PINGWIN", {"integration": "pingwin", "api_key": "k", "clid": "42",
                                                 "file_id": "7"})
    editor.create(schema.ACCOUNTING, "ONEA", {"integration": "onea", "api_key": "k", "terms_accepted": True})

    async def connect_onea(pilot) -> None:
        view = pilot.app.screen.open_section("accounting")
        await pilot.pause()
        table = view.query_one("#accounting-table")
        table.move_cursor(row=table.get_row_index("ONEA"))
        await pilot.pause()
        # Onea has no API to call: Connect's steps take 0 ms, so the picture is the same every time.
        await pilot.press("f5")
        for _ in range(100):
            await pilot.pause(0.05)
            if "NOT CHECKED" in str(table.get_cell("ONEA", "verdict")):
                break
        await pilot.pause()

    assert snap_compare(_app(demo_here), run_before=connect_onea, terminal_size=(120, 34))
