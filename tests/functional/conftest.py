"""Helpers to drive the console with Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.app import AkadminApp
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings.session import ConfigOpener
from akadmin_tui.settings.store import ConfigFile

SIZE = (120, 40)


def make_app(path: Path, *, passphrase: str | None = DEMO_PASSPHRASE, read_only: bool = False) -> AkadminApp:
    """The app on `path`, already unlocked unless `passphrase` is None."""
    opener = ConfigOpener(path, read_only=read_only)
    config = opener.open(passphrase) if passphrase is not None else None
    return AkadminApp(opener, config, host_name="test-host")


def reload(path: Path) -> ConfigFile:
    """The file as a fresh process would read it."""
    return ConfigFile.load(path, passphrase=DEMO_PASSPHRASE)


@pytest.fixture
def demo_app(demo_path: Path) -> AkadminApp:
    return make_app(demo_path)
