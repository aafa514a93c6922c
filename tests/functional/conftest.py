"""Helpers to drive the console with Pilot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from akadmin_tui.app import AkadminApp
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings.session import ConfigOpener
from akadmin_tui.settings.store import ConfigFile

SIZE = (120, 40)
QUIET_CLOCK = dt.datetime(2031, 1, 5, 3, 0, tzinfo=dt.UTC)


def make_app(path: Path, *, passphrase: str | None = DEMO_PASSPHRASE, read_only: bool = False) -> AkadminApp:
    """The app on `path`, already unlocked unless `passphrase` is None."""
    opener = ConfigOpener(path, read_only=read_only)
    config = opener.open(passphrase) if passphrase is not None else None
    # A fixed clock far from any demo schedule: no batch fires on its own during a test.
    return AkadminApp(opener, config, host_name="test-host", batch_clock=lambda: QUIET_CLOCK)


def reload(path: Path) -> ConfigFile:
    """The file as a fresh process would read it."""
    return ConfigFile.load(path, passphrase=DEMO_PASSPHRASE)


@pytest.fixture
def demo_app(demo_path: Path) -> AkadminApp:
    return make_app(demo_path)


@pytest.fixture
def notes(monkeypatch) -> list[str]:
    """Every notification's text, whatever app shows it."""
    seen: list[str] = []
    original = AkadminApp.notify

    def notify(self, message, **kwargs):
        seen.append(message)
        original(self, message, **kwargs)

    monkeypatch.setattr(AkadminApp, "notify", notify)
    return seen
