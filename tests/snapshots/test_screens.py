"""Snapshots of the screens that matter, at the 80×24 an SSH session often has, and larger."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.app import AkadminApp
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
from akadmin_tui.settings.session import ConfigOpener
from tests.conftest import CHEAP
from tests.waiting import settle, wait_for_screen, wait_until


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
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=type_bad_retry_count, terminal_size=(80, 24))


def test_form_wide(snap_compare, demo_here: Path) -> None:
    async def open_exchange(pilot) -> None:
        await pilot.press("down", "enter")
        await settle(pilot)

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
        await settle(pilot)
        panel = pilot.app.screen.query_one(TestPanel)
        panel.finish(result)
        panel.scroll_visible(animate=False)
        await settle(pilot)

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
        await settle(pilot)
        view = pilot.app.screen.query_one("#section-chorus_special")
        view._activate("BETA")
        await settle(pilot)
        view.focus_first_field()
        await settle(pilot)

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
        await settle(pilot)
        table = pilot.app.screen.query_one("#batch-table")
        table.move_cursor(row=table.get_row_index("CHORUS_STATUS"))
        await settle(pilot)

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
        await settle(pilot)
        table = view.query_one("#accounting-table")
        table.move_cursor(row=table.get_row_index("ONEA"))
        await settle(pilot)
        # Onea has no API to call: Connect's steps take 0 ms, so the picture is the same every time.
        await pilot.press("f5")
        await wait_until(pilot, lambda: "NOT CHECKED" in str(table.get_cell("ONEA", "verdict")), what="Connect's verdict")
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=connect_onea, terminal_size=(120, 34))


# --- dialogs, Runs, Invoices and Help, at the 80×24 of a small SSH window -----------------------------

SMALL = (80, 24)


async def open_view(pilot, section_id: str):
    """Open a menu entry as the palette does and wait until its view is mounted."""
    view = pilot.app.screen.open_section(section_id)
    await wait_until(pilot, lambda: view.is_mounted and pilot.app.focused is not None, what=f"the {section_id} view")
    await settle(pilot)
    return view


def test_help(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.help import HelpScreen

    async def press_f1(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=press_f1, terminal_size=SMALL)


def test_new_company_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.new_record import NewRecordScreen

    async def new_company(pilot) -> None:
        view = await open_view(pilot, "companies")
        view.query_one("#records").focus()
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewRecordScreen)
        await pilot.press(*"GAMMA")
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=new_company, terminal_size=SMALL)


def test_import_certificate_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.new_record import ImportCertificateScreen
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    # The demo's CA is made at each build, with its dates: without it, the picture behind the dialog is fixed.
    editor = SettingsEditor(ConfigOpener(demo_here).open(DEMO_PASSPHRASE))
    for alias in editor.record_keys(schema.CERTIFICATES):
        editor.remove(schema.CERTIFICATES, alias)

    async def import_one(pilot) -> None:
        await open_view(pilot, "certificates")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, ImportCertificateScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=import_one, terminal_size=SMALL)


def test_delete_company_confirmation(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.confirm import ConfirmScreen

    async def delete_acme(pilot) -> None:
        view = await open_view(pilot, "companies")
        view.query_one("#records").focus()
        await pilot.press("down")  # ACME has a bank, so its deletion is refused before any question
        await wait_until(pilot, lambda: view._current == "BETA", what="BETA to be the current company")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=delete_acme, terminal_size=SMALL)


def test_copy_setup_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.copy_setup import CopyToCompanyScreen

    async def copy_acme(pilot) -> None:
        view = await open_view(pilot, "chorus_special")
        view._activate("ACME")
        await settle(pilot)
        view.focus_first_field()
        await settle(pilot)
        await pilot.press("f9")
        await wait_for_screen(pilot, CopyToCompanyScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=copy_acme, terminal_size=SMALL)


def test_new_batch_dialog(snap_compare, demo_here: Path, utc) -> None:
    import datetime as dt

    from akadmin_tui.dialogs.new_batch import NewBatchScreen

    async def new_batch(pilot) -> None:
        await open_view(pilot, "batches")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewBatchScreen)
        await settle(pilot)

    # The next fire times behind the dialog are computed from the batches' clock, fixed here.
    clock = dt.datetime(2031, 3, 4, 5, 6, tzinfo=dt.UTC)
    opener = ConfigOpener(demo_here)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="erp-host", batch_clock=lambda: clock)
    assert snap_compare(app, run_before=new_batch, terminal_size=SMALL)


def test_new_accounting_configuration_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.accounting import NewConfigurationScreen

    async def new_configuration(pilot) -> None:
        await open_view(pilot, "accounting")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewConfigurationScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=new_configuration, terminal_size=SMALL)


def test_authorise_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.accounting import AuthoriseScreen

    url = "https://www.dropbox.com/oauth2/authorize?client_id=demo-app&response_type=code&token_access_type=offline"

    async def authorise(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(AuthoriseScreen("Dropbox", url, "the code Dropbox shows after you allow akadmin"))
        await wait_for_screen(pilot, AuthoriseScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=authorise, terminal_size=SMALL)


def test_pick_administration_dialog(snap_compare, demo_here: Path) -> None:
    from akadmin_tui.dialogs.accounting import PickAdministrationScreen

    administrations = [("8e7c0c51-aaaa-4b1e-9d1f-000000000001", "ACME Ingénierie"),
                       ("8e7c0c51-aaaa-4b1e-9d1f-000000000002", "BETA Conseil")]

    async def pick(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(PickAdministrationScreen("Yuki", administrations, administrations[1][0]))
        await wait_for_screen(pilot, PickAdministrationScreen)
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=pick, terminal_size=SMALL)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Times shown in local time read the same on every machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_runs_and_logs(snap_compare, demo_here: Path, utc) -> None:
    import datetime as dt

    from akadmin_tui.batches.state import StateStore, state_path_for

    state = StateStore(state_path_for(demo_here))
    run_id = state.execute(
        "INSERT INTO batch_runs (batch_code, template, trigger, started_by, host, started_at, ended_at, outcome, "
        "summary, errors, warnings) VALUES ('CHORUS_STATUS', 'CheckFacturesClientChorus', 'schedule', 'akadmin', "
        "'erp-host', '2031-03-04T05:00:00+00:00', '2031-03-04T05:00:12+00:00', 'ok', "
        "'4 invoice(s) checked, 1 rejected, 1 alert sent', 0, 1)").lastrowid
    lines = [("05:00:00", "LOG", "Setup ACME: 4 invoice(s) to check since 2031-03-04T04:00:00"),
             ("05:00:03", "LOG", "Invoice F2031-0042 (ACME): MISE_A_DISPOSITION"),
             ("05:00:07", "WARN", "Invoice F2031-0043 (ACME): REJETEE — SIRET du destinataire inconnu"),
             ("05:00:09", "LOG", "Alert sent to facturation@acme.example for F2031-0043"),
             ("05:00:12", "LOG", "Done: 4 checked, 1 rejected")]
    for seq, (at, level, text) in enumerate(lines):
        state.execute("INSERT INTO run_log (run_id, seq, at, level, text) VALUES (?, ?, ?, ?, ?)",
                      (run_id, seq, f"2031-03-04T{at}+00:00", level, text))
    state.close()
    clock = dt.datetime(2031, 3, 4, 5, 30, tzinfo=dt.UTC)  # before CHORUS_STATUS's next hourly run: none is missed

    async def open_runs(pilot) -> None:
        await settle(pilot)
        view = pilot.app.screen.open_runs("CHORUS_STATUS")
        await wait_until(pilot, lambda: any("F2031-0043" in line for line in view.query_one("RunLog").shown_lines),
                         what="the run's log")
        await settle(pilot)

    opener = ConfigOpener(demo_here)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="erp-host", batch_clock=lambda: clock)
    assert snap_compare(app, run_before=open_runs, terminal_size=SMALL)


def test_invoices(snap_compare, demo_here: Path, utc) -> None:
    from akadmin_tui.batches.state import StateStore, state_path_for

    state = StateStore(state_path_for(demo_here))
    rows = [("F2031-0041", "2031-03-01", "1200.00", "Mairie de Lyon", "integrated", "MISE_EN_PAIEMENT"),
            ("F2031-0042", "2031-03-02", "860.50", "CHU de Nantes", "integrated", "MISE_A_DISPOSITION"),
            ("F2031-0043", "2031-03-02", "99.90", "Lycée Victor Hugo", "integrated", "REJETEE"),
            ("F2031-0044", "2031-03-03", "4 315.00", "Département du Gard", "pending", "")]
    for number, issued, amount, customer, transfer, status in rows:
        state.execute(
            "INSERT INTO invoices (company, number, issue_date, amount, customer, file_path, file_name, file_sha256, "
            "syntax, transfer_state, chorus_status, imported_at, updated_at) VALUES ('ACME', ?, ?, ?, ?, ?, ?, ?, "
            "'IN_DP_E2_CII_FACTURX', ?, ?, '2031-03-03T09:00:00+00:00', '2031-03-04T05:00:00+00:00')",
            (number, issued, amount, customer, f"/var/lib/akadmin/{number}.pdf", f"{number}.pdf", "0" * 64, transfer, status))
    state.close()

    async def open_invoices(pilot) -> None:
        view = await open_view(pilot, "invoices")
        table = view.query_one("InvoiceTable")
        await wait_until(pilot, lambda: all(table.row_at(i) is not None for i in range(4)), what="the invoices")
        await settle(pilot)

    assert snap_compare(_app(demo_here), run_before=open_invoices, terminal_size=SMALL)
