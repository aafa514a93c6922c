"""The vault: value encryption bound to its key path, wrapped data keys, key files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from akadmin_tui.settings.vault import (
    ScryptParams,
    TamperedError,
    Vault,
    VaultError,
    WrongKeyFile,
    WrongPassphrase,
    create_key_file,
    is_ciphertext,
    read_key_file,
    unwrap_with_key_file,
    unwrap_with_passphrase,
    wrap_for_key_file,
    wrap_for_passphrase,
)

CHEAP = ScryptParams(n=2**10)
PATH = ("interfaces", "chorus", "akuiteo_password")


def test_round_trip_and_fresh_nonce() -> None:
    vault = Vault.generate()
    first, second = vault.encrypt(PATH, "s3cret é"), vault.encrypt(PATH, "s3cret é")
    assert is_ciphertext(first) and first != second
    assert "s3cret" not in first
    assert vault.decrypt(PATH, first) == "s3cret é"


def test_a_ciphertext_moved_to_another_key_is_refused() -> None:
    vault = Vault.generate()
    token = vault.encrypt(PATH, "s3cret")
    with pytest.raises(TamperedError, match="does not belong to that key") as error:
        vault.decrypt(("interfaces", "universign", "akuiteo_password"), token)
    assert "s3cret" not in str(error.value)


def test_another_data_key_cannot_decrypt() -> None:
    token = Vault.generate().encrypt(PATH, "s3cret")
    with pytest.raises(TamperedError):
        Vault.generate().decrypt(PATH, token)


def test_passphrase_wrap_and_wrong_passphrase() -> None:
    vault = Vault.generate()
    entry = wrap_for_passphrase(vault.data_key, "right passphrase", CHEAP)
    assert unwrap_with_passphrase(entry, "right passphrase") == vault.data_key
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        unwrap_with_passphrase(entry, "wrong passphrase")


def test_scrypt_parameters_from_a_file_are_bounded() -> None:
    entry = wrap_for_passphrase(Vault.generate().data_key, "pw", CHEAP)
    entry["n"] = 2**30
    with pytest.raises(VaultError, match="unsupported scrypt cost"):
        unwrap_with_passphrase(entry, "pw")


def test_key_file_wrap_wrong_file_and_permissions(tmp_path: Path) -> None:
    vault = Vault.generate()
    right = create_key_file(tmp_path / "right.key")
    other = create_key_file(tmp_path / "other.key")
    assert (tmp_path / "right.key").stat().st_mode & 0o777 == 0o600
    entry = wrap_for_key_file(vault.data_key, right)
    assert unwrap_with_key_file(entry, right, tmp_path / "right.key") == vault.data_key
    with pytest.raises(WrongKeyFile, match="is not the key of this vault"):
        unwrap_with_key_file(entry, other, tmp_path / "other.key")
    with pytest.raises(VaultError, match="already exists"):
        create_key_file(tmp_path / "right.key")


def test_read_key_file_refusals(tmp_path: Path) -> None:
    with pytest.raises(WrongKeyFile, match="does not exist"):
        read_key_file(tmp_path / "missing.key")
    short = tmp_path / "short.key"
    short.write_bytes(b"123")
    short.chmod(0o600)
    with pytest.raises(WrongKeyFile, match="expected 32 bytes, found 3"):
        read_key_file(short)
    loose = tmp_path / "loose.key"
    loose.write_bytes(os.urandom(32))
    loose.chmod(0o644)
    with pytest.raises(WrongKeyFile, match="chmod 600"):
        read_key_file(loose)
