"""How long opening and saving the encrypted config takes, on the full demo configuration.

Run: .venv/bin/python bench/config_io.py
Prints median milliseconds per operation and ratios against a plain tomllib parse of the file.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tomllib
from pathlib import Path

from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.lifecycle import add_key_file
from akadmin_tui.settings.store import ConfigFile

ROUNDS = 30


def median_ms(action, rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path, key = Path(folder) / "config.toml", Path(folder) / "key"
        config = build_demo_config(path)  # product scrypt cost (n = 2^15)
        add_key_file(config, key)
        size = path.stat().st_size
        text = path.read_text()
        parse = median_ms(lambda: tomllib.loads(text))
        by_key = median_ms(lambda: ConfigFile.load(path, key_file=key))
        by_pass = median_ms(lambda: ConfigFile.load(path, passphrase=DEMO_PASSPHRASE), rounds=10)
        editor = SettingsEditor(ConfigFile.load(path, key_file=key))
        counter = iter(range(10**6))
        save = median_ms(lambda: editor.apply(schema.CHORUS, None, {"retry_delay_s": 10 + next(counter) % 50}))
        check = median_ms(lambda: editor.findings())
    print(f"config file: {size} bytes, {len(schema.SECTIONS)} sections")
    print(f"tomllib parse (reference)      {parse:8.2f} ms")
    print(f"open with key file (MAC check) {by_key:8.2f} ms  = {by_key / parse:6.1f} x parse")
    print(f"open with passphrase (scrypt)  {by_pass:8.2f} ms  = {by_pass / parse:6.1f} x parse")
    print(f"save one field (validate, MAC, backup, 2 fsync'd renames) {save:8.2f} ms  = {save / parse:6.1f} x parse")
    print(f"validate every section         {check:8.2f} ms  = {check / parse:6.1f} x parse")


if __name__ == "__main__":
    main()
