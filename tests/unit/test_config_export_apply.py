"""config export prints the plain settings; config apply of that file changes nothing, of an edited one what changed."""

from __future__ import annotations

import json
from pathlib import Path

from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

PASS = DEMO_PASSPHRASE + "\n"


def run(akadmin, demo_path: Path, *argv: str, stdin: str = PASS) -> tuple[int, str, str]:
    return akadmin("config", *argv, "--config", str(demo_path), "--passphrase-stdin", stdin=stdin)


def test_export_masks_secrets_and_apply_of_it_changes_nothing(akadmin, demo_path: Path, tmp_path: Path) -> None:
    code, out, _ = run(akadmin, demo_path, "export")
    data = json.loads(out)
    assert code == 0 and data["interfaces"]["chorus"]["akuiteo_password"] == "********"
    assert "ACME" in data["companies"] and data["interfaces"]["chorus"]["retry_count"] == 3
    code, toml_out, _ = run(akadmin, demo_path, "export", "--toml")
    plain = tmp_path / "plain.toml"
    plain.write_text(toml_out)
    before = demo_path.read_bytes()
    code, out, _ = run(akadmin, demo_path, "apply", str(plain))
    assert code == 0 and out.strip() == "nothing to change" and demo_path.read_bytes() == before


def test_apply_adds_and_changes_in_one_save_and_diff_writes_nothing(akadmin, demo_path: Path, tmp_path: Path) -> None:
    wanted = tmp_path / "wanted.toml"
    wanted.write_text('[interfaces.chorus]\nretry_count = 6\n\n[companies.DELTA]\nname = "Delta SA"\n'
                      'siret = "73282932000074"\n')
    before = demo_path.read_bytes()
    code, out, _ = run(akadmin, demo_path, "apply", str(wanted), "--diff")
    assert code == 0 and "~ interfaces.chorus.retry_count: 3 → 6" in out and "+ companies.DELTA" in out
    assert demo_path.read_bytes() == before
    code, _, err = run(akadmin, demo_path, "apply", str(wanted))
    assert code == 0 and "saved in one write" in err
    editor = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))
    assert editor.values(schema.CHORUS)["retry_count"] == 6 and editor.exists(schema.COMPANIES, "DELTA")
    assert "duplicate" in err.lower() or "already the SIRET" in err  # the warning the console gives, here too
    code, out, _ = run(akadmin, demo_path, "apply", str(wanted))
    assert out.strip() == "nothing to change"


def test_a_refused_value_changes_nothing_at_all(akadmin, demo_path: Path, tmp_path: Path) -> None:
    wanted = tmp_path / "wanted.toml"
    wanted.write_text('[interfaces.chorus]\nretry_count = 6\n\n[interfaces.chorus_typo]\nx = 1\n')
    before = demo_path.read_bytes()
    code, _, err = run(akadmin, demo_path, "apply", str(wanted))
    assert code == 2 and "not a table akadmin knows" in err and demo_path.read_bytes() == before
    wanted.write_text('[interfaces.chorus]\nretry_count = "many"\n')
    code, _, err = run(akadmin, demo_path, "apply", str(wanted))
    assert code == 2 and "retry_count" in err and demo_path.read_bytes() == before


def test_secrets_in_clear_only_from_standard_input(akadmin, demo_path: Path, tmp_path: Path) -> None:
    key = tmp_path / "demo.key"
    assert akadmin("rekey", "--add-key-file", str(key), "--config", str(demo_path), "--passphrase-stdin",
                   stdin=PASS)[0] == 0
    wanted = tmp_path / "wanted.toml"
    wanted.write_text('[mail]\npassword = "new-mail-password"\n')
    code, _, err = akadmin("config", "apply", str(wanted), "--config", str(demo_path), "--key-file", str(key))
    assert code == 2 and "standard input" in err
    code, _, err = akadmin("config", "apply", "-", "--config", str(demo_path), "--key-file", str(key),
                           stdin=wanted.read_text())
    assert code == 0, err
    editor = SettingsEditor(ConfigFile.load(demo_path, key_file=key))
    assert editor.values(schema.MAIL)["password"] == "new-mail-password"
    assert "new-mail-password" not in demo_path.read_text()
