"""The sandbox and a demo config pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.sandbox.smtp import SmtpSandbox
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


@pytest.fixture
def smtp_server():
    """Start an SmtpSandbox with the given options; every one started is stopped at the end."""
    started: list[SmtpSandbox] = []

    def start(*args, **kwargs) -> SmtpSandbox:
        server = SmtpSandbox(*args, **kwargs)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
