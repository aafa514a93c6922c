"""Shared fixtures: every test runs with its own XDG folders and never sees a developer's config."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pytest

from akadmin_tui import cli
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
from akadmin_tui.settings.lifecycle import init_config
from akadmin_tui.settings.store import ConfigFile
from akadmin_tui.settings.vault import ScryptParams

# Times shown depend on the server's zone: the suite reads them in UTC on every machine (subprocesses too);
# tests about zones name theirs.
os.environ["TZ"] = "UTC"
time.tzset()

# Tests use the cheapest scrypt cost the vault accepts; the product default is 2^15.
CHEAP = ScryptParams(n=2**10, r=8, p=1)
TEST_PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG folders at a temporary home and drop any AKADMIN_* variable."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("AKADMIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    return home


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """Where the test's key file lives (created by init)."""
    return tmp_path / "akadmin.key"


@pytest.fixture
def config_path(tmp_path: Path, key_file: Path) -> Path:
    """A fresh config made by `init`, openable with `key_file` or TEST_PASSPHRASE."""
    path = tmp_path / "config.toml"
    init_config(path, key_file=key_file, passphrase=TEST_PASSPHRASE, scrypt=CHEAP)
    return path


@pytest.fixture
def config(config_path: Path, key_file: Path) -> ConfigFile:
    """The fresh config, opened with its key file."""
    return ConfigFile.load(config_path, key_file=key_file)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """A complete demo config (every section filled), openable with the demo passphrase."""
    path = tmp_path / "demo" / "config.toml"
    path.parent.mkdir()
    build_demo_config(path, DEMO_PASSPHRASE, scrypt=CHEAP)
    return path


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, stdin: str = "") -> tuple[int, str, str]:
    """Run `akadmin ARGV` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def akadmin(monkeypatch, capsys):
    return lambda *argv, stdin="": run(list(argv), monkeypatch, capsys, stdin)
