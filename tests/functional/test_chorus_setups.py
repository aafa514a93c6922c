"""Special parameters > Chorus: tabs, enable, disable with fallback, copy to company, Test per tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.dialogs.copy_setup import CopyToCompanyScreen
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.screens.chorus_setups import ChorusSetupsView
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.test_panel import TestPanel
from tests.waiting import settle

from .conftest import SIZE, make_app, reload

SECTION = schema.CHORUS_SPECIAL


@pytest.fixture
def sandbox(demo_path: Path):
    with Sandbox() as running:
        running.point(SettingsEditor(reload(demo_path)), demo_path.parent)
        yield running


async def open_tab(app, pilot, code: str) -> ChorusSetupsView:
    app.screen.open_section(SECTION.id, focus=False)
    await settle(pilot)
    view = app.screen.query_one(f"#section-{SECTION.id}", ChorusSetupsView)
    view._activate(code)
    await settle(pilot)
    view.focus_first_field()  # keys reach the tab's bindings from inside the view, as after Enter
    await settle(pilot)
    return view


def text_of(view: ChorusSetupsView) -> str:
    return "\n".join(str(s.render()) for s in view.query(".setup-state, .setup-warning"))


async def test_tabs_follow_companies_and_show_the_fallback(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_tab(app, pilot, "*****")
        assert view._keys == ["*****", "ACME", "BETA"]
        assert "must not be used" in text_of(view)
        await open_tab(app, pilot, "BETA")
        assert "the ***** setup is not enabled: its invoices are not transferred" in text_of(view)


async def test_enable_fill_save_and_test_a_company_setup(demo_path: Path, sandbox) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_tab(app, pilot, "BETA")
        await pilot.press("f6")
        await settle(pilot)
        form = view.form
        form.row("piste_client_id").editor.value = "demo-acme-client"
        form.row("piste_secret").editor.value = "demo-acme-secret"
        form.row("chorus_login").editor.value = "TECH_1_ACME@cpro.fr"
        form.row("chorus_password").editor.value = "demo-acme-chorus"
        form.row("enabled").editor.value = True
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert reload(demo_path).get(("special_parameters", "chorus", "BETA", "enabled")) is True
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await settle(pilot)
        panel = view.query_one(f"#test-{view._generation}-2", TestPanel)
        assert panel.has_class("-passed")
        assert app.state.last_pass("chorus", "BETA").environment == "qualification"
    assert "demo-acme-secret" not in demo_path.read_text()


async def test_disabling_discards_the_values_and_the_fallback_applies(demo_path: Path) -> None:
    editor = SettingsEditor(reload(demo_path))
    editor.apply(SECTION, "*****", {"enabled": True, "piste_client_id": "default-id", "piste_secret": "default-secret",
                                    "chorus_login": "TECH_DEFAULT", "chorus_password": "default-pw"})
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_tab(app, pilot, "ACME")
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "fall back to the ***** setup" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        shown = text_of(view)
        assert "the ***** setup applies" in shown and "TECH_DEFAULT" in shown and "default-secret" not in shown
    assert not SettingsEditor(reload(demo_path)).exists(SECTION, "ACME")


async def test_copy_to_company_moves_the_setup_on_disk(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_tab(app, pilot, "ACME")
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, CopyToCompanyScreen)
        await pilot.press(*"bet", "enter")
        await settle(pilot)
    editor = SettingsEditor(reload(demo_path))  # loads only if the MAC is valid
    assert not editor.exists(SECTION, "ACME")
    assert editor.values(SECTION, "BETA")["piste_secret"] == "demo-acme-secret"
    assert "demo-acme-secret" not in demo_path.read_text()


async def test_a_cancelled_copy_changes_nothing(demo_path: Path) -> None:
    before = demo_path.read_bytes()
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_tab(app, pilot, "ACME")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CopyToCompanyScreen)
    assert demo_path.read_bytes() == before


async def test_copying_onto_a_company_with_its_own_setup_asks_first(demo_path: Path) -> None:
    SettingsEditor(reload(demo_path)).apply(SECTION, "BETA", {"chorus_login": "TECH_BETA"})
    before = demo_path.read_bytes()
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_tab(app, pilot, "ACME")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press(*"BETA", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "already has a specific setup" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
    assert demo_path.read_bytes() == before


async def test_the_palette_opens_a_company_tab_by_its_code(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Chorus > BETA")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        view = app.screen.query_one(f"#section-{SECTION.id}", ChorusSetupsView)
        assert view._current == "BETA"


async def test_the_tab_buttons_run_the_same_actions(demo_path: Path) -> None:
    from textual.widgets import Button

    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_tab(app, pilot, "BETA")
        pane = view.query_one(f"#tab-{view._generation}-2")
        enable = next(b for b in pane.query(Button) if b.name == "enable_setup")
        assert not enable.disabled
        enable.press()
        await settle(pilot)
        assert SettingsEditor(reload(demo_path)).exists(SECTION, "BETA")
