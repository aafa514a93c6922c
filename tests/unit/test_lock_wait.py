"""A command waits for another short-lived command holding the config; a console makes it fail at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from akadmin_tui.settings.lock import ConfigLock


def hold(config: Path, kind: str, seconds: float) -> threading.Thread:
    lock = ConfigLock(config.resolve(), kind=kind)
    lock.acquire()

    def release_later() -> None:
        time.sleep(seconds)
        lock.release()

    thread = threading.Thread(target=release_later)
    thread.start()
    return thread


def test_config_set_waits_for_another_command(akadmin, config_path: Path, key_file: Path) -> None:
    holder = hold(config_path, "command", 1.0)
    began = time.monotonic()
    code, _, err = akadmin("config", "set", "interfaces.chorus.retry_count", "4", "--config", str(config_path),
                           "--key-file", str(key_file))
    holder.join()
    assert code == 0, err
    assert time.monotonic() - began >= 0.9  # it waited for the other command instead of failing


def test_a_console_holding_the_file_makes_it_fail_at_once(akadmin, config_path: Path, key_file: Path) -> None:
    holder = hold(config_path, "console", 3.0)
    began = time.monotonic()
    code, _, err = akadmin("config", "set", "interfaces.chorus.retry_count", "4", "--config", str(config_path),
                           "--key-file", str(key_file))
    took = time.monotonic() - began
    holder.join()
    assert code == 1 and "being edited by" in err and "close that console" in err
    assert took < 1.0
