"""The console driven from the keyboard, checked on screen and on disk."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Switch

from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.dialogs.new_record import ImportCertificateScreen, NewRecordScreen
from akadmin_tui.screens.main import MainScreen
from akadmin_tui.screens.section_view import SectionView
from akadmin_tui.screens.unlock import UnlockScreen
from akadmin_tui.settings.lock import ConfigLock
from tests.waiting import run_from_palette, shown_text, wait_for_focus, wait_for_screen, wait_for_workers, wait_until

from .conftest import SIZE, make_app, reload

RETRY = ("interfaces", "chorus", "retry_count")


def current_view(app) -> SectionView:
    switcher = app.screen.query_one("#content")
    return switcher.query_one(f"#{switcher.current}", SectionView)


async def wait_for_view(pilot, section_id: str) -> SectionView:
    """Wait until the section on screen is `section_id`, mounted with its children."""
    await wait_until(pilot, lambda: current_view(pilot.app).section.id == section_id and current_view(pilot.app).is_mounted,
                     what=f"the {section_id} view")
    return current_view(pilot.app)


async def open_dematerialization_retry(pilot) -> Input:
    await pilot.press("enter")  # the menu opens on Dematerialization; Enter goes to its first field
    await wait_for_focus(pilot, "#section-chorus *")
    for _ in range(7):
        await pilot.press("tab")
    focused = pilot.app.focused
    assert isinstance(focused, Input) and focused.id == "input-retry_count"
    return focused


async def test_change_the_retry_count_save_and_reload(demo_app, demo_path: Path) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await open_dematerialization_retry(pilot)
        await pilot.press("ctrl+u", "5")
        view = current_view(demo_app)
        assert view.form.row("retry_count").modified
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not view.form.row("retry_count").modified, what="the retry count to be saved")
    assert reload(demo_path).get(RETRY) == 5


async def test_an_invalid_value_is_refused_with_its_message_and_not_written(demo_app, demo_path: Path, notes) -> None:
    before = demo_path.read_bytes()
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await open_dematerialization_retry(pilot)
        await pilot.press("ctrl+u", "1", "1")
        retry = current_view(demo_app).form.row("retry_count")
        await wait_until(pilot, lambda: retry.has_class("-invalid"), what="the retry count flagged invalid")
        assert "must be a whole number from 0 to 10; got 11" in retry.problem
        await pilot.press("enter")  # Enter saves the field: refused
        await wait_until(pilot, lambda: any("got 11" in n for n in notes), what="the refusal to be notified")
        assert retry.modified
    assert demo_path.read_bytes() == before


async def test_a_secret_typed_in_the_form_is_encrypted_on_disk(demo_app, demo_path: Path) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        await wait_for_focus(pilot, "#section-chorus *")
        for _ in range(5):
            await pilot.press("tab")
        secret = demo_app.focused
        assert isinstance(secret, Input) and secret.id == "input-akuiteo_password" and secret.password
        await pilot.press("ctrl+u", *"N3w-Pa55")
        await pilot.press("ctrl+t")
        assert not secret.password  # revealed on demand
        await pilot.press("ctrl+s")
        row = current_view(demo_app).form.row("akuiteo_password")
        await wait_until(pilot, lambda: not row.modified, what="the password to be saved")
    text = demo_path.read_text()
    assert "N3w-Pa55" not in text
    assert reload(demo_path).reveal(("interfaces", "chorus", "akuiteo_password")) == "N3w-Pa55"


async def test_the_command_palette_reaches_a_field(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await run_from_palette(pilot, "Distance Matrix API Key")
        focused = await wait_for_focus(pilot, "#input-distance_matrix_key")
        assert isinstance(focused, Input) and focused.id == "input-distance_matrix_key"
        assert current_view(demo_app).section.id == "google_api"


async def test_choosing_qualification_fills_the_urls_and_flags_the_call_rate(demo_path: Path, notes) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        await wait_for_focus(pilot, "#section-chorus *")
        form = current_view(app).form
        form.row("environment").query_one(Select).value = "production"
        await wait_until(pilot, lambda: form.row("url").raw_text() == "https://api.piste.gouv.fr/cpro/",
                         what="the production URL to be filled")
        form.row("max_calls_per_second").editor.value = "20"
        form.row("environment").query_one(Select).value = "qualification"
        await wait_until(pilot, lambda: form.row("auth_url").raw_text()
                         == "https://sandbox-oauth.piste.gouv.fr/api/oauth/token", what="the qualification URLs")
        await wait_until(pilot, lambda: "at most 1" in form.row("max_calls_per_second").problem,
                         what="the call rate to be flagged")
        seen = len(notes)
        await pilot.press("f2")  # Save all is refused while the rule is broken
        await wait_until(pilot, lambda: len(notes) > seen, what="the answer to Save all")
    assert reload(app.opener.path).get(("interfaces", "chorus", "max_calls_per_second")) == 1


async def test_save_all_writes_every_modified_field(demo_app, demo_path: Path) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        await wait_for_focus(pilot, "#section-chorus *")
        form = current_view(demo_app).form
        form.row("retry_count").editor.value = "6"
        form.row("retry_delay_s").editor.value = "30"
        form.row("active").query_one(Switch).value = False
        await wait_until(pilot, lambda: len(form.modified_rows()) == 3, what="three fields marked modified")
        await pilot.press("f2")
        await wait_until(pilot, lambda: form.modified_rows() == [], what="every field to be saved")
    saved = reload(demo_path)
    chorus = ("interfaces", "chorus")
    assert (saved.get(RETRY), saved.get((*chorus, "retry_delay_s")), saved.get((*chorus, "active"))) == (6, 30, False)


async def test_revert_puts_the_saved_value_back(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        retry = await open_dematerialization_retry(pilot)
        await pilot.press("ctrl+u", "9")
        await pilot.press("ctrl+r")
        assert retry.value == "3"


async def test_unlock_screen_refuses_a_wrong_passphrase_then_opens(demo_path: Path) -> None:
    app = make_app(demo_path, passphrase=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, UnlockScreen)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"not the passphrase", "enter")
        await wait_until(pilot, lambda: "wrong passphrase" in shown_text(app.screen.query_one("#unlock-error")),
                         what="the wrong passphrase to be refused")
        await pilot.press(*"akadmin-demo", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen after unlocking")


async def test_quitting_with_unsaved_changes_asks_first(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await open_dematerialization_retry(pilot)
        await pilot.press("ctrl+u", "7", "ctrl+q")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, MainScreen), what="the question to close")
        assert demo_app.is_running
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: demo_app.return_value is not None, what="the console to quit")
    assert demo_app.return_value == 0


async def test_a_second_console_opens_read_only_and_says_who_holds_the_lock(demo_path: Path) -> None:
    holder = ConfigLock(demo_path)
    holder.acquire()
    try:
        app = make_app(demo_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_focus(pilot, "#menu")
            banner = str(app.screen.query_one("#banner").render())
            assert "Read-only" in banner and "is being edited by" in banner
            await pilot.press("enter")
            await wait_for_view(pilot, "chorus")
            assert current_view(app).form.row("retry_count").editor.disabled
    finally:
        holder.release()


async def test_companies_are_created_and_deleted_from_the_keyboard(demo_app, demo_path: Path, notes) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("companies", focus=False)
        await wait_for_view(pilot, "companies")
        current_view(demo_app).query_one("#records").focus()
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewRecordScreen)
        await pilot.press(*"GAMMA", "tab", *"Gamma SAS", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, MainScreen), what="the dialog to close")
        assert "GAMMA" in reload(demo_path).plain()["companies"]
        view = current_view(demo_app)
        view.query_one("#records").focus()
        await wait_until(pilot, lambda: view._current == "GAMMA", what="GAMMA to be the current company")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: any("Deleted" in n and "GAMMA" in n for n in notes), what="GAMMA deleted")
    assert "GAMMA" not in reload(demo_path).plain()["companies"]


async def test_a_duplicate_company_code_keeps_the_dialog_open_with_the_reason(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("companies")
        await wait_for_focus(pilot, "#section-companies *")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewRecordScreen)
        await pilot.press(*"ACME", "tab", *"Again", "ctrl+s")
        await wait_until(pilot, lambda: "already exists" in shown_text(demo_app.screen.query_one("#new-error")),
                         what="the reason in the dialog")
        assert isinstance(demo_app.screen, NewRecordScreen)


async def test_the_bridge_user_cannot_be_deleted_while_banks_are_attached(demo_app, demo_path: Path, notes) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("bridge_user")
        await wait_for_focus(pilot, "#section-bridge_user *")
        seen = len(notes)
        await pilot.press("f8", "y")
        await wait_until(pilot, lambda: len(notes) > seen, what="the answer to Delete")
    assert reload(demo_path).get(("interfaces", "akuiteo_connect", "bridge_user", "name")) == "ACME Finance"


async def test_read_only_flag_saves_nothing(demo_path: Path, notes) -> None:
    before = demo_path.read_bytes()
    app = make_app(demo_path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        assert "--read-only" in str(app.screen.query_one("#banner").render())
        await pilot.press("enter")
        await wait_for_view(pilot, "chorus")
        await pilot.press("f2")
        await wait_until(pilot, lambda: any("read-only" in n for n in notes), what="the read-only notice")
    assert demo_path.read_bytes() == before


async def test_escape_returns_to_the_menu_and_help_opens(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        await wait_for_focus(pilot, "#section-chorus *")
        await pilot.press("escape")
        assert demo_app.focused.id == "menu"
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: demo_app.screen.__class__.__name__ == "HelpScreen", what="the help")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, MainScreen), what="the help to close")


async def test_brackets_typed_or_stored_are_shown_as_text(demo_path: Path) -> None:
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    SettingsEditor(reload(demo_path)).create(schema.COMPANIES, "EVIL", {"name": "Evil [/] Corp [@click=app.quit]"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        app.screen.open_section("companies", focus=False)
        await wait_for_view(pilot, "companies")
        shown = [o.prompt.plain for o in current_view(app).query_one("#records").options]
        assert "EVIL  Evil [/] Corp [@click=app.quit]" in shown
        app.screen.open_section("chorus")
        await wait_for_focus(pilot, "#section-chorus *")
        current_view(app).form.row("url").editor.value = "http://x/[/]"
        await wait_until(pilot, lambda: "[/]" in current_view(app).form.row("url").problem, what="the URL flagged")
        assert app.is_running


async def test_quit_from_a_dialog_still_guards_unsaved_changes(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await open_dematerialization_retry(pilot)
        await pilot.press("ctrl+u", "7", "f1")
        await wait_until(pilot, lambda: demo_app.screen.__class__.__name__ == "HelpScreen", what="the help")
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmScreen)


async def test_a_new_company_appears_in_the_chorus_setups(demo_app) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("chorus_special", focus=False)
        await wait_for_view(pilot, "chorus_special")
        demo_app.screen.open_section("companies")
        await wait_for_focus(pilot, "#section-companies *")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewRecordScreen)
        await pilot.press(*"NEWCO", "tab", *"New Co", "ctrl+s")
        chorus = demo_app.screen.section_view("chorus_special")
        await wait_until(pilot, lambda: "NEWCO" in chorus._keys, what="NEWCO in the Chorus setups")


async def test_deleting_a_company_says_what_goes_with_it(demo_app, demo_path: Path, notes) -> None:
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("companies", focus=False)
        await wait_for_view(pilot, "companies")
        view = current_view(demo_app)
        assert view._current == "ACME"
        view.query_one("#records").focus()
        seen = len(notes)
        await pilot.press("f8")
        await wait_until(pilot, lambda: len(notes) > seen, what="the refusal to delete ACME")
        # ACME has a bank: deletion is refused before any question.
        assert isinstance(demo_app.screen, MainScreen)
        await pilot.press("down")
        await wait_until(pilot, lambda: view._current == "BETA", what="BETA to be the current company")
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor
    editor = SettingsEditor(reload(demo_path))
    editor.apply(schema.CHORUS_SPECIAL, "BETA", {"chorus_login": "TECH_2@cpro.fr"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        app.screen.open_section("companies", focus=False)
        await wait_for_view(pilot, "companies")
        view = current_view(app)
        view.query_one("#records").focus()
        await pilot.press("down")
        await wait_until(pilot, lambda: view._current == "BETA", what="BETA to be the current company")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        assert "Special parameters > Chorus BETA" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: any("Deleted" in n and "BETA" in n for n in notes), what="BETA deleted")
    plain = reload(demo_path).plain()
    assert "BETA" not in plain["companies"] and "BETA" not in plain["special_parameters"]["chorus"]


async def test_the_console_rereads_a_file_saved_between_reading_and_locking(demo_path: Path) -> None:
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    app = make_app(demo_path)  # reads the file now
    SettingsEditor(reload(demo_path)).apply(schema.CHORUS, None, {"retry_count": 8})  # another writer
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        await wait_for_focus(pilot, "#section-chorus *")
        assert current_view(app).form.row("retry_count").editor.value == "8"
        form = current_view(app).form
        form.row("retry_delay_s").editor.value = "20"
        await wait_until(pilot, lambda: form.row("retry_delay_s").modified, what="the delay marked modified")
        await pilot.press("f2")
        await wait_until(pilot, lambda: form.modified_rows() == [], what="the delay to be saved")
    saved = reload(demo_path)
    assert (saved.get(RETRY), saved.get(("interfaces", "chorus", "retry_delay_s"))) == (8, 20)


async def test_opening_a_form_changes_nothing(demo_path: Path) -> None:
    from akadmin_tui.settings import schema
    from akadmin_tui.settings.editor import SettingsEditor

    # URLs that differ from the environment's own: building the form must not "fill" them.
    SettingsEditor(reload(demo_path)).apply(schema.CHORUS, None, {"auth_url": "http://127.0.0.1:9/token",
                                                                   "url": "http://127.0.0.1:9/cpro/"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")
        # The focus moves in once the form is mounted and its first events handled; a fill would be done by then.
        await wait_for_focus(pilot, "#section-chorus *")
        await wait_for_workers(pilot)
        assert current_view(app).form.modified_rows() == []
        assert current_view(app).form.row("url").raw_text() == "http://127.0.0.1:9/cpro/"


async def test_a_certificate_is_imported_from_the_certificates_screen(demo_app, demo_path: Path, tmp_path: Path) -> None:
    from tests.connectors.tls import make_ca_and_server

    ca_pem, _ = make_ca_and_server(tmp_path)
    (tmp_path / "ca.pem").write_text(ca_pem)
    async with demo_app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        demo_app.screen.open_section("certificates", focus=False)
        await wait_for_view(pilot, "certificates")
        current_view(demo_app).query_one("#records").focus()
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, ImportCertificateScreen)
        await pilot.press(*str(tmp_path / "ca.pem"))
        await wait_until(pilot, lambda: "CN=Sandbox Test Root CA" in shown_text(demo_app.screen.query_one("#cert-preview")),
                         what="the certificate's preview")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, MainScreen), what="the dialog to close")
        await wait_until(pilot, lambda: current_view(demo_app)._current == "sandbox-test-root-ca",
                         what="the imported certificate to be the current one")
        card = current_view(demo_app).form
        assert "SHA-256" in str(card.query_one(".certificate-card").render())
    assert "sandbox-test-root-ca" in reload(demo_path).plain()["certificates"]
