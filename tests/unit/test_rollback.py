"""A rolled-back file is refused: an older copy may open with a passphrase revoked since."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.generations import generation_of, seen_path
from akadmin_tui.settings.store import ConfigFile, RolledBackError, backup_path_for
from tests.conftest import TEST_PASSPHRASE

NEW_PASSPHRASE = "a new passphrase, after the old one leaked"


def save_once(path: Path, key_file: Path, retries: int) -> None:
    SettingsEditor(ConfigFile.load(path, key_file=key_file)).apply(schema.CHORUS, None, {"retry_count": retries})


def test_each_save_is_a_new_generation_and_the_highest_is_kept_private(config_path: Path, key_file: Path) -> None:
    first = generation_of(ConfigFile.load(config_path, key_file=key_file).plain())
    save_once(config_path, key_file, 4)
    config = ConfigFile.load(config_path, key_file=key_file)
    assert generation_of(config.plain()) == first + 1
    record = seen_path(config.path, config.plain())
    assert f'"generation": {first + 1}' in record.read_text() and record.stat().st_mode & 0o777 == 0o600


def test_an_older_copy_is_refused_until_accepted_on_purpose(config_path: Path, key_file: Path, akadmin) -> None:
    save_once(config_path, key_file, 4)
    save_once(config_path, key_file, 5)
    shutil.copy(backup_path_for(config_path), config_path)  # the previous version, restored
    with pytest.raises(RolledBackError, match=r"older than generation .* --accept-older"):
        ConfigFile.load(config_path, key_file=key_file)
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 2 and "older copy" in err
    code, _, err = akadmin("check", "--accept-older", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 0 and "accepted on purpose" in err
    assert ConfigFile.load(config_path, key_file=key_file).get(("interfaces", "chorus", "retry_count")) == 4
    log = seen_path(config_path.resolve(), {}).with_name(seen_path(config_path.resolve(), {}).name + ".log")
    assert "accepted" in log.read_text()


def test_a_copy_from_before_a_passphrase_change_does_not_open_with_the_revoked_one(config_path: Path, key_file: Path,
                                                                                     akadmin, tmp_path: Path) -> None:
    save_once(config_path, key_file, 4)
    old_copy = tmp_path / "old-copy.toml"
    shutil.copy(config_path, old_copy)
    code, _, err = akadmin("rekey", "--change-passphrase", "--passphrase-stdin", "--config", str(config_path),
                           "--key-file", str(key_file), stdin=f"{TEST_PASSPHRASE}\n{NEW_PASSPHRASE}\n{NEW_PASSPHRASE}\n")
    assert code == 0, err
    shutil.copy(old_copy, config_path)  # someone puts the old file back
    code, _, err = akadmin("check", "--config", str(config_path), "--passphrase-stdin", stdin=TEST_PASSPHRASE + "\n")
    assert code == 2 and "revoked" in err
