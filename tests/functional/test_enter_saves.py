"""Enter saves the focused field, a switch's too; Space toggles a switch."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Switch

from akadmin_tui.settings import schema
from tests.waiting import burst, wait_for_focus, wait_until

from .conftest import SIZE, make_app, reload

ACTIVE = ("interfaces", "akuiteo_connect", "active")


async def test_space_toggles_a_switch_and_enter_saves_it(demo_path: Path) -> None:
    before = reload(demo_path).get(ACTIVE)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.open_section(schema.AKUITEO_CONNECT.id)
        switch = await wait_for_focus(pilot, "#section-akuiteo_connect #input-active")
        assert isinstance(switch, Switch) and switch.value is before
        burst(pilot, "space", "enter")
        await wait_until(pilot, lambda: reload(demo_path).get(ACTIVE) is (not before), what="the toggled value saved")
        assert switch.value is (not before)
