"""`akadmin service unit|logrotate` and the scheduler's side of systemd's notification protocol."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from akadmin_tui.cli.sd_notify import Notifier


@pytest.fixture
def server(tmp_path: Path, akadmin) -> tuple[Path, Path]:
    """A config opened with a key file, as a server keeps it."""
    config, key = tmp_path / "etc" / "config.toml", tmp_path / "etc" / "akadmin.key"
    code, _, err = akadmin("init", "--config", str(config), "--key-file", str(key))
    assert code == 0, err
    return config, key


def test_the_unit_names_this_installation_and_loads_the_key_as_a_credential(akadmin, server) -> None:
    config, key = server
    code, unit, err = akadmin("service", "unit", "--config", str(config), "--key-file", str(key), "--user", "akadmin",
                              "--group", "akadmin")
    assert code == 0, err
    assert "@" not in unit.replace("multi-user.target", "")  # every placeholder filled
    lines = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    command = lines["ExecStart"].split()
    assert Path(command[0]).is_absolute() and Path(command[0]).name == "akadmin"
    assert command[1:6] == ["scheduler", "--config", str(config), "--key-file", "%d/akadmin.key"]
    assert lines["LoadCredential"] == f"akadmin.key:{key}"
    assert lines["RestartPreventExitStatus"] == "2" and lines["Type"] == "notify" and lines["UMask"] == "0077"
    assert str(config.parent) in lines["ReadWritePaths"].split()


def test_a_service_without_a_key_file_is_refused(akadmin, server, monkeypatch) -> None:
    monkeypatch.delenv("AKADMIN_KEY_FILE", raising=False)
    code, _, err = akadmin("service", "unit", "--config", str(server[0]))
    assert code == 2 and "--key-file" in err


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_verifies_the_unit(akadmin, server, tmp_path) -> None:
    config, key = server
    code, unit, _ = akadmin("service", "unit", "--config", str(config), "--key-file", str(key))
    assert code == 0
    path = tmp_path / "akadmin-scheduler.service"
    path.write_text(unit)
    verified = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    # A directive systemd does not understand is only a warning: none may name the unit.
    assert verified.returncode == 0 and path.name not in verified.stderr, verified.stderr


def test_the_logrotate_snippet_rotates_the_schedulers_log_and_signals_it(akadmin, server) -> None:
    config, key = server
    code, text, err = akadmin("service", "logrotate", "--config", str(config), "--key-file", str(key), "--user",
                              "akadmin", "--group", "akadmin")
    assert code == 0, err
    assert text.startswith("#") and f"{config.with_name('config.state.sqlite.scheduler.log')} {{" in text
    assert "create 0600 akadmin akadmin" in text and "--signal=HUP" in text


def test_the_notifier_does_nothing_outside_systemd() -> None:
    notifier = Notifier({})
    assert not notifier.send("READY=1") and notifier.watchdog_every_s is None


def test_the_scheduler_says_ready_feeds_the_watchdog_and_says_stopping(server, tmp_path) -> None:
    config, key = server
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(30)
        env = os.environ | {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"}
        host = subprocess.Popen([sys.executable, "-m", "akadmin_tui", "scheduler", "--config", str(config),
                                 "--key-file", str(key), "--log-file", str(tmp_path / "scheduler.log")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        messages: list[str] = []
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(m.startswith("WATCHDOG=1") for m in messages):
                messages.append(sock.recv(4096).decode())
            host.send_signal(signal.SIGTERM)
            messages.append(sock.recv(4096).decode())
        finally:
            if host.poll() is None:
                host.send_signal(signal.SIGTERM)
            host.wait(30)
    assert messages[0].startswith("READY=1\nSTATUS="), messages
    assert "WATCHDOG=1" in messages and messages[-1] == "STOPPING=1", messages
    assert host.returncode == 0, host.stderr.read() if host.stderr else ""
