"""One rule wherever it runs: a Test records the same thing from the console and the CLI; the keymap file is read."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from akadmin_tui.batches.state import state_path_for
from akadmin_tui.dialogs.help import HelpScreen
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.test_panel import TestPanel
from tests.waiting import wait_for_focus, wait_for_screen, wait_until

from .conftest import SIZE, make_app, reload


@pytest.fixture
def sandbox(demo_path: Path):
    with Sandbox() as running:
        running.point(SettingsEditor(reload(demo_path)), demo_path.parent)
        yield running


def recorded_passes(config_path: Path) -> set[tuple[str, str, str]]:
    """What the state database holds about passed Tests (without the times)."""
    with sqlite3.connect(state_path_for(config_path, reload(config_path).plain())) as db:
        return set(db.execute("SELECT section, target, environment FROM test_results"))


def forget_passes(config_path: Path) -> None:
    with sqlite3.connect(state_path_for(config_path, reload(config_path).plain())) as db:
        db.execute("DELETE FROM test_results")


async def run_the_dematerialization_test(config_path: Path) -> None:
    """Open the console, press F5 on Dematerialization and wait for the verdict, as an admin does."""
    app = make_app(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("enter")  # the menu opens on Dematerialization
        await wait_for_focus(pilot, "#section-chorus *")
        await pilot.press("f5")
        panel = app.screen.query_one("#section-chorus TestPanel", TestPanel)
        await wait_until(pilot, lambda: panel.has_class("-passed") or panel.has_class("-failed"), what="the verdict")
        assert panel.has_class("-passed")


def test_the_console_and_the_cli_chorus_tests_record_the_same_thing(demo_path: Path, sandbox, akadmin) -> None:
    # Synchronous: the CLI runs its own event loop, as it does from a shell.
    asyncio.run(run_the_dematerialization_test(demo_path))
    from_console = recorded_passes(demo_path)
    assert from_console == {("chorus", "ACME", "qualification")}  # the setup of the connection's company code
    forget_passes(demo_path)
    code, out, err = akadmin("test", "chorus", "--config", str(demo_path), "--passphrase-stdin",
                             stdin=DEMO_PASSPHRASE + "\n")
    assert code == 0, out + err
    assert recorded_passes(demo_path) == from_console


async def test_a_keymap_in_the_ui_preferences_remaps_a_key(demo_path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "prefs"))
    preferences = tmp_path / "prefs" / "akadmin" / "ui.toml"
    preferences.parent.mkdir(parents=True)
    preferences.write_text('[keymap]\n"akadmin.help" = "f10"\n', encoding="utf-8")
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("f10")
        await wait_for_screen(pilot, HelpScreen)


def test_every_key_of_the_console_has_an_id_a_keymap_can_name() -> None:
    from textual.binding import Binding
    from textual.dom import DOMNode

    from akadmin_tui import app  # noqa: F401 - loads every screen, view and dialog

    missing, pending = [], [DOMNode]
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if kind.__module__.startswith("akadmin_tui."):
            missing += [f"{kind.__name__}: {b.key}" for b in vars(kind).get("BINDINGS", [])
                        if not isinstance(b, Binding) or not b.id]
    assert missing == []
