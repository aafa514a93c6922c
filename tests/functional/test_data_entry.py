"""Data entry in the console: pick-lists of companies and accounting configurations, the New company dialog, SIRETs."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.dialogs.new_record import NewRecordScreen
from akadmin_tui.screens.main import MainScreen
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.field_row import FieldRow
from tests.waiting import settle, shown_text, wait_for_focus, wait_for_screen, wait_until

from .conftest import SIZE, make_app, reload

ACME_SIRET = "73282932000074"  # the demo's ACME Ingénierie
GAMMA_SIRET = "44306184100047"


def options(select: Select) -> list[tuple[str, str]]:
    """What a Select offers: (label, value) pairs, in order."""
    return [(str(prompt), value) for prompt, value in select._options]


async def open_view(app, pilot, section_id: str):
    view = app.screen.open_section(section_id, focus=False)
    await wait_until(pilot, lambda: view.is_mounted and view.form is not None and view.form.is_mounted,
                     what=f"the {section_id} view and its form")
    return view


async def new_company_dialog(app, pilot) -> NewRecordScreen:
    view = await open_view(app, pilot, schema.COMPANIES.id)
    view.query_one("#records").focus()
    await pilot.press("ctrl+n")
    await wait_for_screen(pilot, NewRecordScreen)
    screen = app.screen
    assert isinstance(screen, NewRecordScreen)
    return screen


def code_message(screen: NewRecordScreen) -> str:
    message = screen.query_one("#new-code-message")
    return shown_text(message) if message.has_class("-invalid") else ""


# --- pick-lists ----------------------------------------------------------------------------------------

async def test_a_banks_company_is_picked_among_the_companies_and_follows_a_new_one(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        banks = await open_view(app, pilot, schema.BANKS.id)
        select = banks.form.row("company").editor
        assert isinstance(select, Select)
        assert options(select) == [("(pick one)", ""), ("ACME — ACME Ingénierie", "ACME"), ("BETA — Beta Conseil", "BETA")]
        assert select.value == "ACME"  # the demo bank's company, kept
        # A company created in the console is offered at once.
        await new_company_dialog(app, pilot)
        await pilot.press(*"GAMMA", "tab", *"Gamma SAS", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the dialog to close")
        await wait_until(pilot, lambda: ("GAMMA — Gamma SAS", "GAMMA") in options(select), what="GAMMA in the banks' list")
        assert select.value == "ACME" and not banks.form.has_changes
        # Picking it saves it.
        select.value = "GAMMA"
        await wait_until(pilot, lambda: banks.form.row("company").has_class("-modified"), what="the company modified")
        banks.form.save()
        await wait_until(pilot, lambda: not banks.form.has_changes, what="the bank to be saved")
    assert reload(demo_path).get(("interfaces", "akuiteo_connect", "banks", "BNP-ACME", "company")) == "GAMMA"


async def test_a_companys_accounting_software_is_picked_among_the_configurations(demo_path: Path, notes) -> None:
    SettingsEditor(reload(demo_path)).create(schema.ACCOUNTING, "SPARE", {"integration": "bocount"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        companies = await open_view(app, pilot, schema.COMPANIES.id)
        select = companies.form.row("accounting_configuration").editor
        assert isinstance(select, Select)
        values = [value for _, value in options(select)]
        assert values == ["", "INQOM", "SFTP", "EMAIL", "EXACT", "YUKI", "DROPBOX", "SPARE"]
        assert options(select)[0] == ("(none)", "")  # optional: a company that shares nothing names none
        assert {value: label for label, value in options(select)}["SPARE"] == "SPARE — BoCount · invoices"
        assert select.value == "INQOM"  # ACME's, kept
        # A configuration deleted in the console leaves the list.
        accounting = app.screen.open_section(schema.ACCOUNTING.id)
        await wait_for_focus(pilot, "#accounting-table")
        table = accounting.query_one("#accounting-table")
        table.move_cursor(row=table.get_row_index("SPARE"))
        await wait_until(pilot, lambda: accounting._current == "SPARE", what="SPARE to be the current configuration")
        await pilot.press("f8")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: any("Deleted" in n and "SPARE" in n for n in notes), what="SPARE deleted")
        await wait_until(pilot, lambda: "SPARE" not in [value for _, value in options(select)],
                         what="SPARE gone from the companies' list")
        assert select.value == "INQOM"


async def test_a_company_renamed_shows_its_new_name_in_the_banks_list(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        banks = await open_view(app, pilot, schema.BANKS.id)
        select = banks.form.row("company").editor
        companies = await open_view(app, pilot, schema.COMPANIES.id)
        companies.form.row("name").set_value("ACME Holding")
        await wait_until(pilot, lambda: companies.form.has_changes, what="the name modified")
        companies.form.save()
        await wait_until(pilot, lambda: ("ACME — ACME Holding", "ACME") in options(select),
                         what="the new name in the banks' list")
        await wait_until(pilot, lambda: shown_text(select.query_one("#label")) == "ACME — ACME Holding",
                         what="the bank's company shown with its new name")
        assert select.value == "ACME" and not banks.form.has_changes


# --- a SIRET used twice ----------------------------------------------------------------------------------

async def test_saving_another_companys_siret_warns_naming_it(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        companies = await open_view(app, pilot, schema.COMPANIES.id)
        companies.show_record("BETA")
        await wait_until(pilot, lambda: companies.form.record_key == "BETA" and companies.form.is_mounted,
                         what="BETA's form")
        row = companies.form.row("siret")
        row.editor.value = ACME_SIRET
        await wait_until(pilot, lambda: row.has_class("-modified"), what="the SIRET modified")
        companies.form.save([row])
        await wait_until(pilot, lambda: not companies.form.has_changes, what="the SIRET saved")
        await settle(pilot)
        assert row.has_class("-warning") and not row.has_class("-invalid")
        assert "ACME (ACME Ingénierie)" in row.problem and ACME_SIRET in row.problem
        # Editing another field of the form keeps the warning shown.
        companies.form.row("accounting_file_id").editor.value = "B-1"
        await wait_until(pilot, lambda: companies.form.row("accounting_file_id").has_class("-modified"),
                         what="another field modified")
        assert "ACME (ACME Ingénierie)" in row.problem
    assert reload(demo_path).get(("companies", "BETA", "siret")) == ACME_SIRET


# --- the New company dialog -------------------------------------------------------------------------------

async def test_the_new_company_code_is_judged_as_it_is_typed(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await new_company_dialog(app, pilot)
        await pilot.press(*"AC ME")
        await wait_until(pilot, lambda: "contains a space" in code_message(screen), what="the bad character named")
        await pilot.press("backspace", "backspace", "backspace", *"ME")
        await wait_until(pilot, lambda: "ACME already exists" in code_message(screen), what="the code already used")
        assert "already exists" not in shown_text(screen.query_one("#new-error"))  # before Create
        await pilot.press(*["backspace"] * 4)
        await wait_until(pilot, lambda: "The code is empty" in code_message(screen), what="the empty code")
        await pilot.press(*"ACME", "tab", *"Again", "ctrl+s")
        await wait_until(pilot, lambda: "ACME already exists" in shown_text(screen.query_one("#new-error")),
                         what="Create refused with the same message")
        assert isinstance(app.screen, NewRecordScreen) and "ACME already exists" in code_message(screen)
        await wait_for_focus(pilot, "#new-code")  # back on the code, to correct it
        await pilot.press("end", *["backspace"] * 4, *"GAMMA")
        await wait_until(pilot, lambda: code_message(screen) == "", what="a free code accepted")
    assert "ACME" in reload(demo_path).plain()["companies"] and reload(demo_path).get(("companies", "ACME", "name")) != "Again"


async def test_the_new_company_dialog_asks_its_siret_and_saves_it(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await new_company_dialog(app, pilot)
        row = screen.query_one("#row-siret", FieldRow)
        await pilot.press(*"GAMMA", "tab", *"Gamma SAS", "tab")
        assert app.focused is row.editor and isinstance(row.editor, Input)
        await pilot.press(*"44306184100048")  # one digit off: the Luhn check fails
        await wait_until(pilot, lambda: "check digit" in row.problem and row.has_class("-invalid"),
                         what="the bad SIRET flagged as it is typed")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "check digit" in shown_text(screen.query_one("#new-error")),
                         what="Create refused for the SIRET")
        assert isinstance(app.screen, NewRecordScreen)
        await pilot.press("backspace", "7")
        await wait_until(pilot, lambda: row.problem == "", what="the good SIRET accepted")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the dialog to close")
    assert reload(demo_path).get(("companies", "GAMMA", "siret")) == GAMMA_SIRET
    assert reload(demo_path).get(("companies", "GAMMA", "name")) == "Gamma SAS"


async def test_the_new_company_dialog_warns_of_a_siret_already_used(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await new_company_dialog(app, pilot)
        row = screen.query_one("#row-siret", FieldRow)
        await pilot.press(*"GAMMA", "tab", *"Gamma SAS", "tab", *ACME_SIRET)
        await wait_until(pilot, lambda: "ACME (ACME Ingénierie)" in row.problem and row.has_class("-warning"),
                         what="the duplicate SIRET warned about")
        await pilot.press("ctrl+s")  # a warning lets the company be created
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the dialog to close")
    assert reload(demo_path).get(("companies", "GAMMA", "siret")) == ACME_SIRET


async def test_the_new_bank_dialog_picks_its_company_among_the_companies(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        banks = await open_view(app, pilot, schema.BANKS.id)
        banks.query_one("#records").focus()
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewRecordScreen)
        screen = app.screen
        select = screen.query_one("#row-company", FieldRow).editor
        assert isinstance(select, Select)
        assert options(select) == [("(pick one)", ""), ("ACME — ACME Ingénierie", "ACME"), ("BETA — Beta Conseil", "BETA")]
        assert select.value == ""  # no company is picked for the admin
        await pilot.press(*"CIC-BETA", "tab", *"CIC", "ctrl+s")
        await wait_until(pilot, lambda: "'Company' is required" in shown_text(screen.query_one("#new-error")),
                         what="Create refused without a company")
        select.value = "BETA"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the dialog to close")
    assert reload(demo_path).get(("interfaces", "akuiteo_connect", "banks", "CIC-BETA", "company")) == "BETA"
