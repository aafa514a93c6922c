"""Encryption of secret values, the wrapped data key, and the document MAC (DESIGN §4).

A random 32-byte data key never touches the disk in clear. From it, HKDF derives one key that
encrypts values (AES-256-GCM, the dotted key path as associated data, so a ciphertext cannot be
moved to another key) and one key that signs the document (HMAC-SHA-256). The data key is stored
wrapped once per recipient: a passphrase (scrypt) and/or a key file of 32 random bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .keys import KeyPath, format_key

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
SCRYPT_MAX_MEMORY = 256 * 2**20
VAULT_TABLE = "vault"
MAC_KEY = "mac"

_CIPHERTEXT = re.compile(r"^ENC\[AES256_GCM,([A-Za-z0-9_-]+={0,2})\]$")


class VaultError(Exception):
    """A problem opening or using the vault; its text is safe to show and never holds a secret."""


class WrongPassphrase(VaultError):
    """The passphrase does not unwrap the data key."""


class WrongKeyFile(VaultError):
    """The key file does not unwrap the data key, or is not a key file."""


class TamperedError(VaultError):
    """The document does not match its MAC, or a ciphertext does not belong to its key."""


@dataclass(frozen=True)
class ScryptParams:
    """Cost parameters of scrypt; stored with the wrapped key so they can be raised later."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def check_bounds(self) -> None:
        """Refuse parameters too weak, or costly enough to exhaust the host: they are read before the MAC is checked."""
        if not (2**10 <= self.n <= 2**20 and self.n & (self.n - 1) == 0):
            raise VaultError(f"unsupported scrypt cost n={self.n} (expected a power of two, 2^10 to 2^20)")
        if not (1 <= self.r <= 32 and 1 <= self.p <= 4):
            raise VaultError(f"unsupported scrypt parameters r={self.r}, p={self.p}")
        if 128 * self.r * self.n > SCRYPT_MAX_MEMORY:
            raise VaultError(f"scrypt parameters n={self.n}, r={self.r} would need more than 256 MiB of memory")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    return base64.urlsafe_b64decode(text.encode("ascii"))


def _hkdf(data_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(data_key)


def is_ciphertext(value: Any) -> bool:
    """True when `value` has the shape of an encrypted value (it is not decrypted)."""
    return isinstance(value, str) and bool(_CIPHERTEXT.match(value))


# --- canonical form of a document, for the MAC ------------------------------------------------------

def _tagged(value: Any) -> Any:
    """Tag every value with its TOML type, so no two different documents encode alike."""
    if isinstance(value, Mapping):
        return ["T", {str(k): _tagged(v) for k, v in value.items()}]
    if isinstance(value, list):
        return ["A", [_tagged(v) for v in value]]
    if isinstance(value, bool):
        return ["B", value]
    if isinstance(value, int):
        return ["I", value]
    if isinstance(value, float):
        return ["F", repr(value)]
    if isinstance(value, str):
        return ["S", value]
    if isinstance(value, dt.datetime):
        return ["DT", value.isoformat()]
    if isinstance(value, dt.date):
        return ["D", value.isoformat()]
    if isinstance(value, dt.time):
        return ["TM", value.isoformat()]
    raise TypeError(f"cannot sign a value of type {type(value).__name__}")


def canonical_bytes(value: Any) -> bytes:
    """A byte form of a parsed TOML value that ignores order, comments and layout."""
    return json.dumps(_tagged(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def iter_tables(document: Mapping[str, Any], prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, dict]]:
    """Yield (path, own scalar values) for every table of the document, outside the vault."""
    own = {k: v for k, v in document.items() if not isinstance(v, Mapping)}
    if prefix:
        yield prefix, own
    for key, value in document.items():
        if isinstance(value, Mapping) and not (not prefix and key == VAULT_TABLE):
            yield from iter_tables(value, prefix + (key,))


def _without_mac(document: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(document)
    vault = dict(copy.get(VAULT_TABLE, {}))
    vault.pop(MAC_KEY, None)
    copy[VAULT_TABLE] = vault
    return copy


class Vault:
    """An opened vault: encrypts and decrypts values and signs documents with one data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise VaultError("a data key must be 32 bytes")
        self._data_key = data_key
        self._aead = AESGCM(_hkdf(data_key, b"akadmin values v1"))
        self._mac_key = _hkdf(data_key, b"akadmin mac v1")

    @classmethod
    def generate(cls) -> Vault:
        """A vault with a fresh random data key."""
        return cls(os.urandom(KEY_BYTES))

    @property
    def data_key(self) -> bytes:
        """The raw data key, only for wrapping it for a recipient."""
        return self._data_key

    def encrypt(self, path: KeyPath, plaintext: str) -> str:
        """Encrypt `plaintext` for the key at `path`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), format_key(path).encode("utf-8"))
        return f"ENC[AES256_GCM,{_b64(nonce + sealed)}]"

    def decrypt(self, path: KeyPath, token: str) -> str:
        """Decrypt the value stored at `path`; refuses a ciphertext made for another key."""
        match = _CIPHERTEXT.match(token) if isinstance(token, str) else None
        if not match:
            raise TamperedError(f"{format_key(path)} does not hold an encrypted value")
        try:
            raw = _unb64(match.group(1))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], format_key(path).encode("utf-8"))
        except (InvalidTag, ValueError):
            raise TamperedError(
                f"the encrypted value of {format_key(path)} does not belong to that key "
                "(it was moved from another key, altered, or encrypted with another data key)"
            ) from None
        return plain.decode("utf-8")

    def _tag(self, payload: bytes) -> str:
        return hmac.new(self._mac_key, payload, hashlib.sha256).hexdigest()

    def sign(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The MAC entry for `document`: one tag over everything, one short tag per table."""
        tables = {
            format_key(path): self._tag(canonical_bytes([list(path), own]))[:16]
            for path, own in iter_tables(document)
        }
        # The per-table tags are signed too, so not one byte of the parsed file is left unsigned.
        return {"document": self._tag(canonical_bytes([_without_mac(document), tables])), "tables": tables}

    def verify(self, document: Mapping[str, Any], label: str) -> None:
        """Check the document's MAC; on mismatch say which tables were added, removed or changed."""
        stored = document.get(VAULT_TABLE, {}).get(MAC_KEY)
        well_formed = isinstance(stored, Mapping) and set(stored) == {"document", "tables"}
        if not well_formed or not isinstance(stored.get("document"), str):
            raise TamperedError(f"{label} has no MAC in its [vault] table: it was not written by akadmin or was altered")
        expected = self.sign(document)
        if hmac.compare_digest(expected["document"], stored["document"]) and stored.get("tables") == expected["tables"]:
            return
        raise TamperedError(self._explain(document, stored, expected, label))

    def _explain(self, document: Mapping[str, Any], stored: Mapping[str, Any],
                 expected: Mapping[str, Any], label: str) -> str:
        old = stored.get("tables")
        old = old if isinstance(old, Mapping) else {}
        new = expected["tables"]
        findings = [f"table [{name}] was removed" for name in old if name not in new]
        findings += [f"table [{name}] was added" for name in new if name not in old]
        for name, tag in new.items():
            if name in old and not hmac.compare_digest(str(old[name]), tag):
                findings.append(f"table [{name}] was changed (a value or key was added, edited or removed)")
                findings += self._moved_secrets(document, name)
        if not findings:
            findings.append("the [vault] table or its MAC was altered")
        lines = "\n".join(f"  - {finding}" for finding in findings)
        return (
            f"{label} was changed outside akadmin and is refused:\n{lines}\n"
            "Undo the change, or restore the previous version from the .bak file beside it."
        )

    def _moved_secrets(self, document: Mapping[str, Any], table_name: str) -> list[str]:
        findings = []
        for path, own in iter_tables(document):
            if format_key(path) != table_name:
                continue
            for key, value in own.items():
                if is_ciphertext(value):
                    try:
                        self.decrypt(path + (key,), value)
                    except TamperedError as error:
                        findings.append(str(error))
        return findings


# --- recipients -------------------------------------------------------------------------------------

_WRAP_AAD = b"akadmin vault v1 recipient:"


def _wrap(kek: bytes, data_key: bytes, kind: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return _b64(nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD + kind.encode()))


def _unwrap(kek: bytes, wrapped: str, kind: str) -> bytes:
    raw = _unb64(wrapped)
    return AESGCM(kek).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _WRAP_AAD + kind.encode())


def _passphrase_kek(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    # NFC, so an accented passphrase typed on another system derives the same key.
    text = unicodedata.normalize("NFC", passphrase)
    return Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p).derive(text.encode("utf-8"))


def wrap_for_passphrase(data_key: bytes, passphrase: str, params: ScryptParams | None = None) -> dict[str, Any]:
    """The [vault.passphrase] entry that unwraps `data_key` with `passphrase`."""
    params = params or ScryptParams()
    salt = os.urandom(16)
    kek = _passphrase_kek(passphrase, salt, params)
    return {"kdf": "scrypt", "n": params.n, "r": params.r, "p": params.p, "salt": _b64(salt),
            "wrapped_key": _wrap(kek, data_key, "passphrase")}


def unwrap_with_passphrase(entry: Mapping[str, Any], passphrase: str) -> bytes:
    """Recover the data key from a [vault.passphrase] entry."""
    try:
        params = ScryptParams(int(entry["n"]), int(entry["r"]), int(entry["p"]))
        salt, wrapped = _unb64(entry["salt"]), entry["wrapped_key"]
    except (KeyError, TypeError, ValueError):
        raise VaultError("the [vault.passphrase] table is incomplete or damaged") from None
    if entry.get("kdf") != "scrypt":
        raise VaultError(f"unsupported key derivation {entry.get('kdf')!r} in [vault.passphrase]")
    params.check_bounds()
    try:
        return _unwrap(_passphrase_kek(passphrase, salt, params), wrapped, "passphrase")
    except (InvalidTag, ValueError):
        raise WrongPassphrase("wrong passphrase: it does not open this vault") from None


def key_fingerprint(key: bytes) -> str:
    """A short, non-secret identifier of a key file, so a wrong one can be named."""
    return hashlib.sha256(b"akadmin key file:" + key).hexdigest()[:16]


def wrap_for_key_file(data_key: bytes, key: bytes) -> dict[str, Any]:
    """The [vault.key_file] entry that unwraps `data_key` with the key file's bytes."""
    return {"fingerprint": key_fingerprint(key), "wrapped_key": _wrap(key, data_key, "key_file")}


def unwrap_with_key_file(entry: Mapping[str, Any], key: bytes, key_path: Path) -> bytes:
    """Recover the data key from a [vault.key_file] entry."""
    expected = entry.get("fingerprint")
    if expected and expected != key_fingerprint(key):
        raise WrongKeyFile(
            f"wrong key file: {key_path} (fingerprint {key_fingerprint(key)}) is not the key of "
            f"this vault (it expects fingerprint {expected})"
        )
    try:
        return _unwrap(key, entry["wrapped_key"], "key_file")
    except (KeyError, InvalidTag, ValueError):
        raise WrongKeyFile(f"wrong key file: {key_path} does not open this vault") from None


def read_key_file(path: Path) -> bytes:
    """Read a key file, refusing one that is missing, mis-sized or readable by others."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise WrongKeyFile(f"key file {path} is a directory")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise WrongKeyFile(
                f"key file {path} is accessible by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
                f"run: chmod 600 {path}"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise WrongKeyFile(f"key file {path} does not exist") from None
    except IsADirectoryError:
        raise WrongKeyFile(f"key file {path} is a directory") from None
    except PermissionError:
        raise WrongKeyFile(f"key file {path} cannot be read: permission denied") from None
    except OSError as error:
        raise WrongKeyFile(f"key file {path} cannot be read: {error.strerror or error}") from None
    if len(data) != KEY_BYTES:
        raise WrongKeyFile(f"{path} is not an akadmin key file (expected {KEY_BYTES} bytes, found {len(data)})")
    return data


def create_key_file(path: Path) -> bytes:
    """Write a new key file of 32 random bytes, mode 0600; refuses to overwrite one."""
    key = os.urandom(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VaultError(f"key file {path} already exists; it was not overwritten") from None
    except OSError as error:
        raise VaultError(f"cannot create key file {path}: {error.strerror or error}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key
