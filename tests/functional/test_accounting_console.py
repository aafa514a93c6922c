"""Accounting packages in the console: add a configuration, accept the Terms, Connect, sign in, link a company."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Select

from akadmin_tui.connectors.accounting import dropbox, yuki
from akadmin_tui.connectors.result import Outcome, Step, TestResult
from akadmin_tui.dialogs.accounting import AuthoriseScreen, NewConfigurationScreen, PickAdministrationScreen
from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.sandbox.demo_config import DEMO_RECORDS
from akadmin_tui.sandbox.inqom import InqomEmulator
from akadmin_tui.screens import accounting_view
from akadmin_tui.screens.accounting_view import AccountingView
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.accounting_form import IntegrationRow
from akadmin_tui.widgets.connect_panel import ConnectPanel
from tests.waiting import shown_text, wait_for_focus, wait_for_screen, wait_until

from .conftest import SIZE, make_app, reload

DEMO_INQOM = next(values for section, key, values in DEMO_RECORDS if section is schema.ACCOUNTING and key == "INQOM")
ONEA_KEY = "onea-api-key-0042"


async def open_accounting(app, pilot) -> AccountingView:
    """Open Accounting packages; wait until it is mounted with the focus on its table."""
    view = app.screen.open_section(schema.ACCOUNTING.id)
    await wait_until(pilot, lambda: view.is_mounted, what="the accounting view")
    await wait_for_focus(pilot, "#accounting-table")
    return view


def form_shown(view, name: str) -> bool:
    """True when the form of `name` is the one on screen, mounted."""
    return view._current == name and view.form is not None and view.form.is_mounted and view.form.record_key == name


async def select(view: AccountingView, pilot, name: str) -> None:
    table = view.query_one("#accounting-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(name))
    await wait_until(pilot, lambda: form_shown(view, name) and pilot.app.focused is table,
                     what=f"the form of {name} with the focus on the table")
    assert view._current == name


def cell(view: AccountingView, name: str, column: str) -> str:
    return str(view.query_one("#accounting-table", DataTable).get_cell(name, column))


def summary(view: AccountingView) -> str:
    return str(view.query_one(ConnectPanel).query_one(".test-summary").render())


def steps(view: AccountingView) -> str:
    return str(view.query_one(ConnectPanel).query_one(".test-steps").render())


def shown_fields(view: AccountingView) -> set[str]:
    return {row.key for row in view.form.query(IntegrationRow) if row.display}


def add(path: Path, name: str, values: dict) -> None:
    SettingsEditor(reload(path)).create(schema.ACCOUNTING, name, values)


async def test_an_onea_configuration_connects_once_the_terms_are_ticked_and_saved(demo_path: Path, notes) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewConfigurationScreen)
        assert isinstance(app.screen, NewConfigurationScreen)
        await pilot.press(*"ONEA1")
        app.screen.query_one("#new-integration", Select).value = "onea"
        await wait_until(pilot, lambda: app.screen.query_one("#new-code").value == "ONEA1", what="the name typed")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form_shown(view, "ONEA1"), what="the new configuration's form")
        await wait_for_focus(pilot, "#input-api_key")  # where a new Onea configuration's form puts the admin
        form = view.form
        assert form.record_key == "ONEA1" and form.is_new
        assert shown_fields(view) == {"api_key"} and form.row("api_key").required
        assert cell(view, "ONEA1", "verdict") == "new, not saved"
        await pilot.press("f5")  # a configuration that is not saved has nothing to connect with
        await wait_until(pilot, lambda: any("Save ONEA1 first" in n for n in notes), what="Connect to be refused")
        assert any("Save ONEA1 first" in n for n in notes)
        form.row("api_key").editor.value = ONEA_KEY
        await wait_until(pilot, lambda: form.row("api_key").has_class("-modified"), what="the API key marked modified")
        await pilot.press("f2")
        await wait_until(pilot, lambda: any("Created configuration ONEA1" in n for n in notes)
                         and cell(view, "ONEA1", "verdict") != "new, not saved", what="ONEA1 created and listed as saved")
        saved = reload(demo_path)
        assert saved.get(("interfaces", "accounting", "ONEA1", "integration")) == "onea"
        assert ONEA_KEY not in demo_path.read_text()  # the API key is encrypted like every secret
        assert cell(view, "ONEA1", "terms") == "✗"
        # Connect is refused until the Terms box is ticked...
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "ONEA1", "verdict") == "FAILED", what="Connect to fail without the Terms")
        assert "Connect is refused until 'I accept the Terms of service' is ticked and saved" in steps(view)
        # ...and saved: ticked only in the form, Connect still refuses.
        form.row("terms_accepted").editor.value = True
        await wait_until(pilot, lambda: form.row("terms_accepted").has_class("-modified"), what="the Terms box ticked")
        first = view._results["ONEA1"]
        await pilot.press("f5")
        # The first Connect's FAILED is still shown: wait for this one's own result.
        await wait_until(pilot, lambda: view._results.get("ONEA1") is not first and "FAILED" in summary(view),
                         what="the second Connect to fail")
        assert "1 field(s) of this form are not saved" in str(view.query_one(".test-notice").render())
        await pilot.press("f2")
        await wait_until(pilot, lambda: cell(view, "ONEA1", "terms") == "✓", what="the Terms saved")
        assert cell(view, "ONEA1", "terms") == "✓"
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "ONEA1", "verdict") == "NOT CHECKED", what="Connect to say NOT CHECKED")
        assert summary(view).startswith("NOT CHECKED")
        assert "Onea has no public API akadmin can call: the connection is checked on the first delivery" in steps(view)
        assert "PASSED" not in summary(view)


async def test_switching_the_integration_shows_only_its_fields(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await select(view, pilot, "INQOM")
        form = view.form
        assert shown_fields(view) == {"environment", "auth_url", "documents_url", "client_id", "client_secret",
                                      "username", "password", "folder_id"}
        assert form.row("folder_id").required and not form.row("environment").required
        form.row("integration").editor.value = "sftp"
        await wait_until(pilot, lambda: "host" in shown_fields(view), what="the SFTP fields")
        assert "host" in shown_fields(view) and "folder_id" not in shown_fields(view)
        assert form.row("host").required and "Host *" in str(form.row("host").query_one(".field-label").render())
        assert not form.row("password").required  # a password or a private key
        form.row("integration").editor.value = "bocount"
        await wait_until(pilot, lambda: "BoCount" in shown_text(form.query_one(".integration-note")),
                         what="the BoCount note")
        assert shown_fields(view) == set()
        assert "BoCount: no field to fill" in str(form.query_one(".integration-note").render())
        form.row("integration").editor.value = "yuki"
        await wait_until(pilot, lambda: "administration" in shown_fields(view), what="the Yuki fields")
        assert shown_fields(view) == {"api_key", "administration"}
        # The footer follows: Yuki's "a" lists administrations (once the integration is saved).
        assert view.check_action("administrations", ()) and not view.check_action("authorise", ())
        await pilot.press("f3")  # nothing was saved: the form is back to Inqom
        await wait_until(pilot, lambda: "folder_id" in shown_fields(view), what="the Inqom fields back")
        assert "folder_id" in shown_fields(view)
    assert reload(demo_path).get(("interfaces", "accounting", "INQOM", "integration")) == "inqom"


@pytest.fixture
def inqom_emulator():
    server = InqomEmulator(DEMO_INQOM["client_id"], DEMO_INQOM["client_secret"], DEMO_INQOM["username"],
                           DEMO_INQOM["password"], folders={DEMO_INQOM["folder_id"]: [], "666": []},
                           forbidden_folders={"666"})
    server.start()
    yield server
    server.stop()


async def test_an_inqom_configuration_connects_to_the_sandbox(demo_path: Path, inqom_emulator) -> None:
    SettingsEditor(reload(demo_path)).apply(schema.ACCOUNTING, "INQOM", {"auth_url": inqom_emulator.auth_url,
                                                                         "documents_url": inqom_emulator.api_url})
    add(demo_path, "INQOM666", {**DEMO_INQOM, "auth_url": inqom_emulator.auth_url,
                                "documents_url": inqom_emulator.api_url, "folder_id": "666"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await select(view, pilot, "INQOM")
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "INQOM", "verdict") == "PASSED", what="INQOM's Connect to pass")
        assert "Inqom token" in steps(view) and f"folder {DEMO_INQOM['folder_id']} is readable" in steps(view)
        assert summary(view).startswith("PASSED")
        # The other configuration's Connect says what the 403 means; each keeps its own last result.
        await select(view, pilot, "INQOM666")
        assert cell(view, "INQOM666", "verdict") == "—"
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "INQOM666", "verdict") == "FAILED", what="INQOM666's Connect to fail")
        assert "has no rights on accounting folder 666 (403)" in steps(view)
        await select(view, pilot, "INQOM")
        assert summary(view).startswith("PASSED")


async def test_an_unknown_sftp_host_key_is_pinned_after_confirmation(demo_path: Path, monkeypatch) -> None:
    calls: list[str] = []

    async def fake_connect(editor, name, *, on_step=None, **_):
        calls.append(name)
        result = TestResult("accounting", f"{name} (SFTP)")
        pinned = editor.values(schema.ACCOUNTING, name).get("host_key")
        if pinned:
            result.steps.append(Step("Host key", Outcome.PASSED, detail=f"{pinned} matches the pinned key"))
        else:
            result.steps.append(Step("Host key", Outcome.FAILED, diagnosis="The server's host key is unknown."))
            result.offer["host_key"] = "SHA256:abcdefghijklmnop"
        return result

    monkeypatch.setattr(accounting_view, "connect", fake_connect)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await select(view, pilot, "SFTP")
        assert not view.check_action("pin_host_key", ())
        await pilot.press("f5")
        await wait_until(pilot, lambda: cell(view, "SFTP", "verdict") == "FAILED", what="Connect to fail on the host key")
        offer = view.query_one(".connect-offer")
        assert offer.display and "SHA256:abcdefghijklmnop" in str(offer.query_one(".offer-text").render())
        await pilot.press("k")
        await wait_for_screen(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen) and "SHA256:abcdefghijklmnop" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(view, "SFTP", "verdict") == "PASSED", what="Connect to pass with the pinned key")
        assert calls == ["SFTP", "SFTP"]
        assert view.form.row("host_key").raw_text() == "SHA256:abcdefghijklmnop"
        assert not view.form.row("host_key").modified
        assert not offer.display
    assert reload(demo_path).get(("interfaces", "accounting", "SFTP", "host_key")) == "SHA256:abcdefghijklmnop"


async def test_dropbox_is_authorised_with_the_pasted_code(demo_path: Path, monkeypatch, notes) -> None:
    add(demo_path, "MYDBX", {"integration": "dropbox", "client_id": "dbx-app-key", "client_secret": "dbx-app-secret"})
    seen: list[tuple[str, str]] = []

    async def fake_exchange(values, code, client):
        seen.append((values["client_id"], code))
        return {"refresh_token": "dbx-refresh-token-77", "access_token": "a", "expires_in": 14400}

    monkeypatch.setattr(dropbox, "exchange_code", fake_exchange)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await select(view, pilot, "MYDBX")
        assert "Authorisation: not yet" in str(view.form.query_one(".integration-note").render())
        await pilot.press("a")
        await wait_for_screen(pilot, AuthoriseScreen)
        assert isinstance(app.screen, AuthoriseScreen)
        url = app.screen.query_one("#auth-url").text
        assert "client_id=dbx-app-key" in url and "token_access_type=offline" in url
        code = await wait_for_focus(pilot, "#auth-code")  # the code must be typed into its box
        await pilot.press(*"CODE-123")
        await wait_until(pilot, lambda: code.value == "CODE-123", what="the code typed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("MYDBX authorised" in n for n in notes), what="MYDBX to be authorised")
        assert seen == [("dbx-app-key", "CODE-123")]
        assert "Authorisation: done" in str(view.form.query_one(".integration-note").render())
    saved = SettingsEditor(reload(demo_path)).values(schema.ACCOUNTING, "MYDBX")
    assert saved["refresh_token"] == "dbx-refresh-token-77"
    assert "dbx-refresh-token-77" not in demo_path.read_text()


async def test_a_yuki_administration_is_picked_from_the_list(demo_path: Path, monkeypatch) -> None:
    add(demo_path, "MYYUKI", {"integration": "yuki", "api_key": "yuki-domain-key"})

    async def fake_administrations(values, client):
        assert values["api_key"] == "yuki-domain-key"
        return [("11111111-aaaa", "Cabinet Durand"), ("22222222-bbbb", "ACME Holding")]

    monkeypatch.setattr(yuki, "administrations", fake_administrations)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_accounting(app, pilot)
        await select(view, pilot, "MYYUKI")
        await pilot.press("a")
        await wait_for_screen(pilot, PickAdministrationScreen)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: view.form.row("administration").raw_text() == "22222222-bbbb",
                         what="the administration picked to be saved")
        assert view.form.row("administration").raw_text() == "22222222-bbbb"
    assert reload(demo_path).get(("interfaces", "accounting", "MYYUKI", "administration")) == "22222222-bbbb"


async def test_a_configuration_linked_from_the_companies_form_is_not_deleted(demo_path: Path, notes) -> None:
    add(demo_path, "MYONEA", {"integration": "onea", "api_key": ONEA_KEY})
    add(demo_path, "SPARE", {"integration": "bocount"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        companies = app.screen.open_section(schema.COMPANIES.id)
        await wait_until(pilot, lambda: companies.is_mounted, what="the companies view")
        companies.show_record("BETA")
        await wait_until(pilot, lambda: form_shown(companies, "BETA"), what="BETA's form")
        form = companies.form
        form.row("share_documents").editor.value = True
        form.row("accounting_configuration").editor.value = "MYONEA"
        form.row("accounting_file_id").editor.value = "BETA-7"
        edited = ("share_documents", "accounting_configuration", "accounting_file_id")
        await wait_until(pilot, lambda: all(form.row(key).has_class("-modified") for key in edited),
                         what="BETA's three fields marked modified")
        form.save()
        await wait_until(pilot, lambda: not form.has_changes and any("Saved" in n for n in notes),
                         what="BETA's fields to be saved")
        assert reload(demo_path).get(("companies", "BETA", "accounting_configuration")) == "MYONEA"
        view = await open_accounting(app, pilot)
        await select(view, pilot, "MYONEA")
        await pilot.press("f8")
        await wait_until(pilot, lambda: any("used by company(ies) BETA" in n for n in notes), what="the deletion refused")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("configuration MYONEA is used by company(ies) BETA" in n for n in notes)
        # An unused one goes, after confirmation.
        await select(view, pilot, "SPARE")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: "SPARE" not in view._names(), what="SPARE deleted")
        assert "SPARE" not in view._names()
    accounting = reload(demo_path).plain()["interfaces"]["accounting"]
    assert "MYONEA" in accounting and "SPARE" not in accounting
