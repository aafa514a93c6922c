"""`akadmin edit`: the plain settings in $EDITOR, in a private file removed afterwards, saved only when valid."""

from __future__ import annotations

import sys
from pathlib import Path

from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile


def an_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that runs `body` (Python, with `path` the file to edit) and notes the file's mode and path."""
    script = tmp_path / "fake_editor.py"
    script.write_text("import os, sys\npath = sys.argv[1]\n"
                      f"open({str(tmp_path / 'seen')!r}, 'w').write(path + ' ' + oct(os.stat(path).st_mode & 0o777))\n"
                      + body)
    return f"{sys.executable} {script}"


def test_an_edit_is_applied_and_its_private_file_removed(akadmin, config_path: Path, key_file: Path, tmp_path,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", an_editor(tmp_path, (
        "text = open(path).read()\n"
        "open(path, 'w').write(text + '\\n[companies.DELTA]\\nname = \"Delta SA\"\\n')\n")))
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = akadmin("edit", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 0, err
    assert "+ companies.DELTA" in out
    edited, mode = (tmp_path / "seen").read_text().split()
    assert mode == "0o600" and not Path(edited).exists() and not Path(edited).parent.exists()
    assert SettingsEditor(ConfigFile.load(config_path, key_file=key_file)).exists(schema.COMPANIES, "DELTA")


def test_an_invalid_edit_changes_nothing(akadmin, config_path: Path, key_file: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", an_editor(tmp_path, (
        "text = open(path).read()\n"
        "open(path, 'w').write(text.replace('retry_count = 3', 'retry_count = -5'))\n")))
    monkeypatch.delenv("VISUAL", raising=False)
    before = config_path.read_bytes()
    code, _, err = akadmin("edit", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 2 and "not saved" in err and "retry_count" in err
    assert config_path.read_bytes() == before
    edited, _ = (tmp_path / "seen").read_text().split()
    assert not Path(edited).exists()


def test_an_edit_that_changes_nothing_writes_nothing(akadmin, config_path: Path, key_file: Path, tmp_path,
                                                      monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", an_editor(tmp_path, ""))
    monkeypatch.delenv("VISUAL", raising=False)
    before = config_path.read_bytes()
    code, out, _ = akadmin("edit", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 0 and out.strip() == "nothing to change" and config_path.read_bytes() == before
