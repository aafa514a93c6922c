"""Any change made outside akadmin that alters the document is refused with a precise message."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigError, ConfigFile
from akadmin_tui.settings.vault import TamperedError, VaultError
from tests.conftest import TEST_PASSPHRASE


@pytest.fixture
def small_config(tmp_path: Path, config: ConfigFile, config_path: Path, key_file: Path) -> tuple[Path, Path]:
    """A saved config trimmed to a few tables, so every byte can be flipped in a second or two."""
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"akuiteo_password": "pw-1", "retry_count": 4})
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme", "siret": "73282932000074"})
    for table in ("exchange", "universign", "akuiteo_connect", "gmail", "google_api"):
        config.delete(("interfaces", table))
    for root in ("configuration", "mail", "management_rules", "office_automation"):
        config.delete((root,))
    config.save()
    return config_path, key_file


def _outcome(path: Path, key_file: Path) -> str | dict:
    """The loaded document, or the clear refusal (any other exception fails the test)."""
    try:
        return ConfigFile.load(path, key_file=key_file).plain()
    except ConfigError as error:
        return "invalid" if "not valid TOML" in str(error) else f"config: {error}"
    except VaultError as error:
        return f"vault: {error}"


def test_every_single_byte_change_is_refused_or_harmless(small_config: tuple[Path, Path], tmp_path: Path) -> None:
    path, key_file = small_config
    original = path.read_bytes()
    meaning = tomllib.loads(original.decode())
    mutated = tmp_path / "mutated.toml"
    accepted_changes = refused = 0
    for index in range(len(original)):
        for replacement in ((original[index] + 1) % 256,):
            data = bytearray(original)
            data[index] = replacement
            mutated.write_bytes(bytes(data))
            outcome = _outcome(mutated, key_file)
            if isinstance(outcome, dict):
                # Loaded: only a change that leaves the meaning intact (a comment, spacing) may load.
                loaded = tomllib.loads(bytes(data).decode())
                assert loaded == meaning, f"byte {index} -> {replacement!r} loaded a different document"
                accepted_changes += 1
            else:
                refused += 1
    # Edits inside comments are expected to be accepted, so the loop did exercise that branch.
    assert accepted_changes > 0 and refused > 0


def test_a_changed_value_names_its_table(small_config: tuple[Path, Path]) -> None:
    path, key_file = small_config
    path.write_text(path.read_text().replace("retry_count = 4", "retry_count = 9"))
    with pytest.raises(TamperedError, match=r"table \[interfaces.chorus\] was changed"):
        ConfigFile.load(path, key_file=key_file)


def test_a_removed_table_is_named(small_config: tuple[Path, Path]) -> None:
    path, key_file = small_config
    text = path.read_text()
    start = text.index("[companies.ACME]")
    path.write_text(text[:start])
    with pytest.raises(TamperedError) as error:
        ConfigFile.load(path, key_file=key_file)
    assert "table [companies.ACME] was removed" in str(error.value)


def test_an_added_key_is_refused(small_config: tuple[Path, Path]) -> None:
    path, key_file = small_config
    path.write_text(path.read_text().replace("[companies.ACME]\n", "[companies.ACME]\nextra = 1\n"))
    with pytest.raises(TamperedError, match=r"table \[companies.ACME\] was changed"):
        ConfigFile.load(path, key_file=key_file)


def test_a_moved_ciphertext_is_refused_and_named(config: ConfigFile, config_path: Path, key_file: Path) -> None:
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"akuiteo_password": "chorus-pw"})
    token = config.get(("interfaces", "chorus", "akuiteo_password"))
    text = config_path.read_text().replace(
        '[interfaces.universign]', '[interfaces.universign]\n# moved\n', 1
    )
    lines = text.splitlines()
    start = lines.index("[interfaces.universign]")
    for offset, line in enumerate(lines[start:], start):
        if line.startswith("akuiteo_password = "):
            lines[offset] = f'akuiteo_password = "{token}"'
            break
    config_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TamperedError) as error:
        ConfigFile.load(config_path, key_file=key_file)
    message = str(error.value)
    assert "table [interfaces.universign] was changed" in message
    assert "interfaces.universign.akuiteo_password does not belong to that key" in message
    assert "chorus-pw" not in message


def test_the_mac_is_checked_without_the_passphrase_path_decrypting_secrets(small_config: tuple[Path, Path]) -> None:
    path, _ = small_config
    # Opening with the passphrase authenticates the whole file before any secret is read.
    config = ConfigFile.load(path, passphrase=TEST_PASSPHRASE)
    assert config.get(("interfaces", "chorus", "akuiteo_password")).startswith("ENC[")


def test_extra_keys_in_the_mac_entry_are_refused(small_config: tuple[Path, Path]) -> None:
    path, key_file = small_config
    path.write_text(path.read_text().replace("mac = {", 'mac = {junk = "x", ', 1))
    with pytest.raises(TamperedError, match="no MAC"):
        ConfigFile.load(path, key_file=key_file)


def test_costly_scrypt_parameters_are_refused_before_deriving(small_config: tuple[Path, Path]) -> None:
    path, _ = small_config
    text = path.read_text()
    path.write_text(text.replace("n = 1024", "n = 1048576").replace("r = 8", "r = 32"))
    with pytest.raises(VaultError, match="more than 256 MiB"):
        ConfigFile.load(path, passphrase=TEST_PASSPHRASE)
