"""The file on disk: round-trip, comments, atomic save, backup, lock, clear errors."""

from __future__ import annotations

import difflib
import errno
import os
import tomllib
from pathlib import Path

import pytest

from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import ChangeRefused, SettingsEditor
from akadmin_tui.settings.lock import ConfigLock, LockedError
from akadmin_tui.settings.store import ConfigError, ConfigFile, NewerFormatError, SaveError, backup_path_for
from akadmin_tui.settings.vault import WrongKeyFile, WrongPassphrase
from tests.conftest import TEST_PASSPHRASE


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_saving_one_field_changes_that_line_the_generation_and_the_mac_line(config: ConfigFile,
                                                                           config_path: Path) -> None:
    before = config_path.read_text()
    SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 5})
    changed = _changed_lines(before, config_path.read_text())
    assert sorted(line[1:].split(" = ")[0] for line in changed) == ["generation", "generation", "mac", "mac",
                                                                    "retry_count", "retry_count"]
    assert "+retry_count = 5" in changed
    assert "-generation = 1" in changed and "+generation = 2" in changed


def test_comments_and_order_written_by_the_admin_survive(config_path: Path, key_file: Path) -> None:
    text = config_path.read_text().replace(
        "retry_count = 3", "# Raised after the March outage. -- ops\nretry_count = 3  # keep in sync with Chorus quotas"
    )
    config_path.write_text(text)  # comments are outside the MAC: the file still loads
    config = ConfigFile.load(config_path, key_file=key_file)
    SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 4, "akuiteo_user": "TECH"})
    after = config_path.read_text()
    assert "# Raised after the March outage. -- ops\nretry_count = 4  # keep in sync with Chorus quotas" in after
    assert after.index("[interfaces.chorus]") < after.index("[interfaces.exchange]")


def test_what_we_write_is_valid_toml_with_encrypted_secrets(config: ConfigFile, config_path: Path) -> None:
    SettingsEditor(config).apply(schema.CHORUS, None, {"akuiteo_password": "pa55 word"})
    text = config_path.read_text()
    assert "pa55 word" not in text
    parsed = tomllib.loads(text)
    assert parsed["interfaces"]["chorus"]["akuiteo_password"].startswith("ENC[AES256_GCM,")
    assert config.reveal(("interfaces", "chorus", "akuiteo_password")) == "pa55 word"
    assert oct(config_path.stat().st_mode & 0o777) == "0o600"


def test_every_save_keeps_the_previous_version(config: ConfigFile, config_path: Path) -> None:
    first = config_path.read_text()
    SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 5})
    assert backup_path_for(config_path).read_text() == first
    assert oct(backup_path_for(config_path).stat().st_mode & 0o777) == "0o600"


def test_a_crash_between_write_and_rename_leaves_the_old_file(config: ConfigFile, config_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = config_path.read_bytes()
    real_replace = os.replace

    def crash(src, dst):
        if Path(dst) == config_path:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(SaveError, match="the file on disk is unchanged"):
        SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 5})
    assert config_path.read_bytes() == before
    assert not [p for p in config_path.parent.iterdir() if p.name.endswith(".tmp")]
    # The in-memory document was rolled back too: a later save does not carry the failed change.
    assert config.get(("interfaces", "chorus", "retry_count")) == 3


def test_a_full_disk_is_a_clear_message_and_loses_nothing(config: ConfigFile, config_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    before = config_path.read_bytes()

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SaveError, match="no space left on device"):
        SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 5})
    monkeypatch.undo()
    assert config_path.read_bytes() == before


def test_invalid_values_never_reach_the_file(config: ConfigFile, config_path: Path) -> None:
    before = config_path.read_bytes()
    editor = SettingsEditor(config)
    with pytest.raises(ChangeRefused) as refused:
        editor.apply(schema.CHORUS, None, {"environment": "qualification", "max_calls_per_second": 5})
    assert refused.value.findings[0].where == "interfaces.chorus.max_calls_per_second"
    with pytest.raises(ChangeRefused):
        editor.apply(schema.CHORUS, None, {"retry_count": 99})
    assert config_path.read_bytes() == before


def test_choosing_an_environment_fills_its_urls(config: ConfigFile) -> None:
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"environment": "qualification", "max_calls_per_second": 1})
    values = editor.values(schema.CHORUS)
    assert values["auth_url"] == "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
    assert values["url"] == "https://sandbox-api.piste.gouv.fr/cpro/"


def test_opening_errors_are_precise(config_path: Path, key_file: Path, tmp_path: Path) -> None:
    assert ConfigFile.load(config_path, passphrase=TEST_PASSPHRASE).path == config_path
    with pytest.raises(WrongPassphrase):
        ConfigFile.load(config_path, passphrase="not it")
    with pytest.raises(WrongKeyFile, match="does not exist"):
        ConfigFile.load(config_path, key_file=tmp_path / "nope.key")
    with pytest.raises(ConfigError, match="does not exist; create it with: akadmin init"):
        ConfigFile.load(tmp_path / "absent.toml", key_file=key_file)
    newer = tmp_path / "newer.toml"
    newer.write_text(config_path.read_text().replace("version = 1", "version = 7"))
    with pytest.raises(NewerFormatError, match="format 7, written by a newer akadmin"):
        ConfigFile.load(newer, key_file=key_file)
    broken = tmp_path / "broken.toml"
    broken.write_text("[vault\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        ConfigFile.load(broken, key_file=key_file)
    plain = tmp_path / "plain.toml"
    plain.write_text("[interfaces.chorus]\nactive = true\n")
    with pytest.raises(ConfigError, match="has no \\[vault\\] table"):
        ConfigFile.load(plain, key_file=key_file)


def test_a_second_holder_is_told_who_has_the_lock(config_path: Path) -> None:
    first, second = ConfigLock(config_path), ConfigLock(config_path)
    first.acquire()
    try:
        with pytest.raises(LockedError) as error:
            second.acquire()
        assert f"(pid {os.getpid()})" in str(error.value)
    finally:
        first.release()
    second.acquire()
    second.release()


def test_read_only_refuses_changes(config_path: Path, key_file: Path) -> None:
    config = ConfigFile.load(config_path, key_file=key_file, read_only=True)
    with pytest.raises(SaveError, match="read-only"):
        SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 5})


def test_records_can_be_created_and_removed(config: ConfigFile, config_path: Path, key_file: Path) -> None:
    editor = SettingsEditor(config)
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme", "siret": "73282932000074"})
    with pytest.raises(ChangeRefused, match="already exists"):
        editor.create(schema.COMPANIES, "ACME", {"name": "Again"})
    with pytest.raises(ChangeRefused, match="not a valid code"):
        editor.create(schema.COMPANIES, "bad code!", {"name": "X"})
    editor.create(schema.BRIDGE_USER, None, {"name": "Fin", "email": "fin@acme.fr", "password": "pw"})
    editor.create(schema.BANKS, "B1", {"name": "Bank", "company": "ACME"})
    with pytest.raises(ChangeRefused, match="cannot be deleted while banks are attached"):
        editor.remove(schema.BRIDGE_USER, None)
    editor.remove(schema.BANKS, "B1")
    editor.remove(schema.BRIDGE_USER, None)
    reopened = SettingsEditor(ConfigFile.load(config_path, key_file=key_file))
    assert reopened.record_keys(schema.COMPANIES) == ["ACME"]
    assert not reopened.exists(schema.BRIDGE_USER)


def test_deleting_a_company_takes_its_chorus_setup_and_waits_for_its_banks(config: ConfigFile) -> None:
    editor = SettingsEditor(config)
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme"})
    editor.apply(schema.CHORUS_SPECIAL, "ACME", {"chorus_login": "TECH_1@cpro.fr"})
    assert editor.dependents(schema.COMPANIES, "ACME") == [(schema.CHORUS_SPECIAL, "ACME")]
    editor.create(schema.BRIDGE_USER, None, {"name": "Fin", "email": "fin@acme.fr", "password": "pw"})
    editor.create(schema.BANKS, "B1", {"name": "Bank", "company": "ACME"})
    with pytest.raises(ChangeRefused, match="linked to bank"):
        editor.remove(schema.COMPANIES, "ACME")
    editor.remove(schema.BANKS, "B1")
    editor.remove(schema.COMPANIES, "ACME")
    assert editor.record_keys(schema.CHORUS_SPECIAL) == ["*****"]
    assert editor.record_keys(schema.COMPANIES) == []
    with pytest.raises(ChangeRefused, match="cannot be deleted"):
        editor.remove(schema.CHORUS_SPECIAL, "*****")


def test_a_save_that_changes_nothing_keeps_the_backup(config: ConfigFile, config_path: Path) -> None:
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"retry_count": 1})
    editor.apply(schema.CHORUS, None, {"retry_count": 2})
    editor.apply(schema.CHORUS, None, {"retry_count": 2})
    assert "retry_count = 1" in backup_path_for(config_path).read_text()


def test_a_symlinked_config_is_saved_through_the_link(config_path: Path, key_file: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(config_path)
    config = ConfigFile.load(link, key_file=key_file)
    SettingsEditor(config).apply(schema.CHORUS, None, {"retry_count": 6})
    assert link.is_symlink() and "retry_count = 6" in config_path.read_text()
    assert backup_path_for(config_path).exists() and not backup_path_for(link).exists()


def test_warnings_returned_by_a_save_are_those_of_its_record(config: ConfigFile) -> None:
    editor = SettingsEditor(config)
    editor.apply(schema.UNIVERSIGN, None, {"retrieval_interval_s": 600})
    assert editor.apply(schema.CHORUS, None, {"retry_count": 4}) == []
    assert [w.where for w in editor.apply(schema.UNIVERSIGN, None, {"start_period_s": 5})] == [
        "interfaces.universign.retrieval_interval_s"]


def test_moving_a_chorus_setup_empties_the_source_in_one_save(config: ConfigFile, config_path: Path,
                                                              key_file: Path) -> None:
    editor = SettingsEditor(config)
    for code in ("ACME", "BETA"):
        editor.create(schema.COMPANIES, code, {"name": code})
    editor.apply(schema.CHORUS_SPECIAL, "ACME", {"enabled": True, "piste_client_id": "id-a", "piste_secret": "sec-a",
                                                 "chorus_login": "TECH_A", "chorus_password": "pw-a"})
    before = backup_path_for(config_path)
    editor.move(schema.CHORUS_SPECIAL, "ACME", "BETA")
    reopened = SettingsEditor(ConfigFile.load(config_path, key_file=key_file))
    assert reopened.values(schema.CHORUS_SPECIAL, "BETA")["piste_secret"] == "sec-a"
    assert reopened.values(schema.CHORUS_SPECIAL, "BETA")["enabled"] is True
    assert not reopened.exists(schema.CHORUS_SPECIAL, "ACME")
    assert "sec-a" not in config_path.read_text()
    assert before.exists()  # one save: the previous version is the one before the move
    with pytest.raises(ChangeRefused, match="nothing to move"):
        editor.move(schema.CHORUS_SPECIAL, "ACME", "BETA")
    with pytest.raises(ChangeRefused, match="NOPE is not a company"):
        editor.move(schema.CHORUS_SPECIAL, "BETA", "NOPE")


def test_the_default_setup_can_be_moved_and_stays_empty(config: ConfigFile) -> None:
    editor = SettingsEditor(config)
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme"})
    editor.apply(schema.CHORUS_SPECIAL, "*****", {"enabled": True, "piste_client_id": "id", "piste_secret": "s",
                                                  "chorus_login": "L", "chorus_password": "p"})
    editor.move(schema.CHORUS_SPECIAL, "*****", "ACME")
    assert editor.stored(schema.CHORUS_SPECIAL, "*****") == {}
    assert editor.values(schema.CHORUS_SPECIAL, "ACME")["chorus_login"] == "L"
