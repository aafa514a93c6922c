"""Special parameters > Chorus keeps the asked tab shown and focused, in company order, with only the keys that apply."""

from __future__ import annotations

from pathlib import Path

from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.dialogs.copy_setup import CopyToCompanyScreen
from akadmin_tui.screens.chorus_setups import ChorusSetupsView
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from tests.waiting import run_from_palette, settle, wait_for_screen, wait_until

from .conftest import SIZE, make_app, reload

SECTION = schema.CHORUS_SPECIAL


def chorus_view(app) -> ChorusSetupsView:
    return app.screen.query_one(f"#section-{SECTION.id}", ChorusSetupsView)


def shown_tab(view: ChorusSetupsView) -> str:
    """The label of the tab on screen."""
    tabs = view.query_one(f"#setup-tabs-{view._generation}")
    return str(tabs.get_tab(tabs.active).label)


def focused_in_tab(app, view: ChorusSetupsView) -> bool:
    """True when the focus is inside the view, in the pane on screen or on its tab bar."""
    focused = app.focused
    if focused is None or view not in focused.ancestors:
        return False
    tabs = view.query_one(f"#setup-tabs-{view._generation}")
    pane = tabs.get_pane(tabs.active)
    return pane in focused.ancestors or focused in view.query("Tabs")


async def wait_on_tab(pilot, view: ChorusSetupsView, code: str) -> None:
    await wait_until(pilot, lambda: view._current == code and shown_tab(view) == code and focused_in_tab(pilot.app, view),
                     what=f"the {code} tab shown and focused")


def footer_keys(app) -> set[str]:
    return {active.binding.key for active in app.screen.active_bindings.values() if active.enabled}


async def test_the_palette_shows_and_focuses_the_company_tab(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "Chorus > BETA")
        view = chorus_view(app)
        await wait_on_tab(pilot, view, "BETA")
        assert "f6" in footer_keys(app)  # BETA has no setup: F6 enables one, F7 and F9 do not apply
        assert not {"f7", "f9"} & footer_keys(app)


async def test_after_a_copy_the_destination_tab_is_focused_and_the_tab_order_is_kept(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "Chorus > ACME")
        view = chorus_view(app)
        await wait_on_tab(pilot, view, "ACME")
        order = list(view._keys)
        await pilot.press("f9")
        await wait_for_screen(pilot, CopyToCompanyScreen)
        await pilot.press(*"BETA", "enter")
        await wait_until(pilot, lambda: SettingsEditor(reload(demo_path)).exists(SECTION, "BETA"), what="the copy saved")
        await wait_on_tab(pilot, view, "BETA")
        assert view._keys == order
        assert {"f5", "f7", "f9"} <= footer_keys(app) and "f6" not in footer_keys(app)


async def test_after_f7_the_tab_stays_focused_and_its_keys_work(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "Chorus > ACME")
        view = chorus_view(app)
        await wait_on_tab(pilot, view, "ACME")
        await pilot.press("f7")
        await wait_for_screen(pilot, ConfirmScreen)
        # The demo's ***** setup is off: the question says the invoices stop, not that they fall back.
        assert "will not be transferred" in app.screen.question and "fall back" not in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: not SettingsEditor(reload(demo_path)).exists(SECTION, "ACME"), what="the setup gone")
        await wait_on_tab(pilot, view, "ACME")
        assert "f6" in footer_keys(app) and not {"f7", "f9"} & footer_keys(app)
        await pilot.press("f6")
        await wait_until(pilot, lambda: SettingsEditor(reload(demo_path)).exists(SECTION, "ACME"), what="F6 to work")
        await wait_on_tab(pilot, view, "ACME")


async def test_an_empty_default_tab_offers_neither_disable_nor_copy(demo_path: Path) -> None:
    SettingsEditor(reload(demo_path)).clear(SECTION, "*****")
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "Chorus > *****")
        view = chorus_view(app)
        await wait_on_tab(pilot, view, "*****")
        assert not {"f6", "f7", "f9"} & footer_keys(app)
        assert tab_buttons(view, 0) == ["run_test"]  # nothing to disable or copy on an empty ***** tab


def tab_buttons(view, index: int) -> list[str]:
    """The actions the buttons of the index-th tab offer, in order."""
    pane = view.query_one(f"#setup-tabs-{view._generation}").get_pane(f"tab-{view._generation}-{index}")
    return [button.name for button in pane.query(".setup-action")]


async def test_each_tab_shows_only_the_buttons_that_apply(demo_path: Path) -> None:
    SettingsEditor(reload(demo_path)).remove(SECTION, "BETA")
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "Chorus > BETA")
        view = chorus_view(app)
        await wait_on_tab(pilot, view, "BETA")
        keys = view.editor.listed_keys(SECTION)
        assert tab_buttons(view, keys.index("BETA")) == ["enable_setup", "run_test"]  # no setup yet
        assert tab_buttons(view, keys.index("ACME")) == ["disable_setup", "copy_setup", "run_test"]
