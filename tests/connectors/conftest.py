"""The sandbox and a demo config pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


@pytest.fixture
def editor(demo_path: Path, sandbox: Sandbox) -> SettingsEditor:
    editor = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))
    sandbox.point(editor, demo_path.parent)
    return editor
