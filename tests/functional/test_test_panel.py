"""Pressing Test in the console: steps appear, a fault shows its diagnosis, Escape cancels."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.test_panel import TestPanel
from tests.waiting import settle, wait_until

from .conftest import SIZE, make_app, reload


@pytest.fixture
def sandbox(demo_path: Path):
    with Sandbox() as running:
        running.point(SettingsEditor(reload(demo_path)), demo_path.parent)
        yield running


def panel_text(app) -> str:
    panel = app.screen.query_one("#section-chorus").query_one(TestPanel)
    return "\n".join(str(static.render()) for static in panel.query("Static"))


async def press_test(app, pilot) -> None:
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("f5")
    await app.workers.wait_for_complete()
    await settle(pilot)


async def test_dematerialization_test_passes_step_by_step(demo_path: Path, sandbox) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_test(app, pilot)
        text = panel_text(app)
        assert "✓ PISTE token" in text and "✓ Supplier structures" in text
        assert "idStructureCPP 26073616" in text and "PASSED (setup ACME, qualification)" in text
        assert "demo-acme-secret" not in text
        assert app.screen.query_one(TestPanel).has_class("-passed")


async def test_a_fault_shows_the_failed_step_and_its_diagnosis(demo_path: Path, sandbox) -> None:
    sandbox.piste.set_fault(Fault.ERROR_503)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_test(app, pilot)
        text = panel_text(app)
        assert "✗ PISTE token" in text and "The service failed (503)" in text and "FAILED" in text
        assert app.screen.query_one(TestPanel).has_class("-failed")


async def test_unsaved_changes_are_announced_and_escape_cancels(demo_path: Path, sandbox) -> None:
    sandbox.piste.set_fault(Fault.SLOW, delay_s=1.0)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#section-chorus").form.row("retry_count").editor.value = "5"
        await settle(pilot)
        await pilot.press("f5")
        # The PISTE emulator answers after 1 s: Escape lands while the Test runs.
        await wait_until(pilot, lambda: "1 field(s) of this form are not saved" in panel_text(app),
                         what="the notice of the unsaved field")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "Cancelled." in panel_text(app), what="the Test to be cancelled")
        assert app.focused.id != "menu"  # the first Escape cancels; the next one goes back
        await pilot.press("escape")
        assert app.focused.id == "menu"


async def test_sirene_try_it_fills_a_customer_from_its_siret(demo_path: Path, sandbox) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_section("sirene", focus=False)
        await settle(pilot)
        view = app.screen.query_one("#section-sirene")
        view.query_one("#try-0").focus()
        await pilot.press(*"73282932000074", "enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        answer = str(view.query_one(".try-answer").render())
        assert "ACME INGENIERIE" in answer and "8 RUE DE LONDRES, 75009 PARIS 9" in answer
        view.query_one("#try-0").value = "000"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "type a SIRET (14 digits)" in str(view.query_one(".try-answer").render())


async def test_a_fault_switched_on_in_the_sandbox_screen_fails_the_test(demo_path: Path, sandbox) -> None:
    from textual.widgets import Select

    from akadmin_tui.app import AkadminApp
    from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
    from akadmin_tui.settings.session import ConfigOpener

    opener = ConfigOpener(demo_path)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="test-host", sandbox=sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_section("sandbox")
        await settle(pilot)
        app.screen.query_one("#fault-piste", Select).value = "wrong_credentials"
        await settle(pilot)
        assert sandbox.piste.wrong_credentials
        app.screen.open_section("chorus")
        await settle(pilot)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await settle(pilot)
        text = panel_text(app)
        assert "✗ PISTE token" in text and "invalid_client" in text


async def test_a_company_name_is_filled_from_its_siret(demo_path: Path, sandbox) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_section("companies")
        await settle(pilot)
        view = app.screen.query_one("#section-companies")
        view.form.row("siret").editor.value = "44163946500018"
        await settle(pilot)
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert view.form.row("name").raw_text() == "GAMMA SERVICES"
        assert view.form.row("name").modified
