"""Loading and saving the encrypted TOML file: tomlkit round-trip, MAC, atomic write, backup, lock."""

from __future__ import annotations

import errno
import hashlib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Item, Table
from tomlkit.toml_document import TOMLDocument

from . import generations
from .keys import KeyPath
from .lock import ConfigLock
from .vault import (
    FORMAT_VERSION,
    MAC_KEY,
    VAULT_TABLE,
    Vault,
    VaultError,
    read_key_file,
    unwrap_with_key_file,
    unwrap_with_passphrase,
)


class ConfigError(Exception):
    """The file cannot be used as it is; the text says why and never holds a secret."""


class NewerFormatError(ConfigError):
    """The file was written by a newer akadmin."""


class RolledBackError(ConfigError):
    """The file is older than a generation already seen here (a restored copy); the text says how to accept it."""


class SaveError(Exception):
    """A save failed; the file on disk is unchanged."""


class NeedsPassphrase(ConfigError):
    """No key file opens the vault and no passphrase was given."""


PassphraseSource = Callable[[], str]


@dataclass(frozen=True)
class Recipients:
    """Which recipients a vault has."""

    passphrase: bool
    key_file: bool
    key_fingerprint: str | None


def backup_path_for(path: Path) -> Path:
    """Where the previous version of `path` is kept."""
    return path.with_name(path.name + ".bak")


def read_document_text(path: Path) -> str:
    """Read the config file as text, with a clear message for each way that fails."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; create it with: akadmin init --config {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(f"{path} cannot be read: permission denied") from None
    except OSError as error:
        raise ConfigError(f"{path} cannot be read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: it is not UTF-8 text (byte {error.start})") from None


def parse_plain(text: str, path: Path) -> dict[str, Any]:
    """Parse with the standard library, which also proves the file is valid TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def vault_table(plain: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    """The [vault] table, after checking it exists and is of a format this akadmin reads."""
    table = plain.get(VAULT_TABLE)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path} has no [vault] table: it is not an akadmin config, or the table was removed")
    version = table.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(f"{path}: [vault] has no valid format version")
    if version > FORMAT_VERSION:
        raise NewerFormatError(
            f"{path} uses format {version}, written by a newer akadmin; this akadmin reads format "
            f"{FORMAT_VERSION}. Upgrade akadmin to open it."
        )
    if version < 1:
        raise ConfigError(f"{path}: [vault] format version {version} is not valid")
    return table


def recipients_of(table: Mapping[str, Any]) -> Recipients:
    """Which recipients the [vault] table lists."""
    key_entry = table.get("key_file")
    return Recipients(
        passphrase=isinstance(table.get("passphrase"), Mapping),
        key_file=isinstance(key_entry, Mapping),
        key_fingerprint=key_entry.get("fingerprint") if isinstance(key_entry, Mapping) else None,
    )


def open_vault(table: Mapping[str, Any], path: Path, key_file: Path | None,
               passphrase: str | PassphraseSource | None) -> tuple[Vault, str | None]:
    """Unwrap the data key with the key file if given, else the passphrase; return it and the passphrase used."""
    recipients = recipients_of(table)
    if key_file is not None:
        if not recipients.key_file:
            raise VaultError(f"{path} has no key-file recipient; open it with its passphrase instead of {key_file}")
        key = read_key_file(key_file)
        return Vault(unwrap_with_key_file(table["key_file"], key, key_file)), None
    if not recipients.passphrase:
        raise VaultError(f"{path} can only be opened with its key file: pass --key-file or set AKADMIN_KEY_FILE")
    if passphrase is None:
        raise NeedsPassphrase(f"{path} needs its passphrase")
    text = passphrase() if callable(passphrase) else passphrase
    return Vault(unwrap_with_passphrase(table["passphrase"], text)), text


def _item_like(old: Item | None, value: Any) -> Item:
    """A tomlkit item for `value` that keeps the old item's comment and layout."""
    new = tomlkit.item(value)
    if old is not None and hasattr(old, "trivia") and hasattr(new, "trivia"):
        new.trivia.indent = old.trivia.indent
        new.trivia.comment_ws = old.trivia.comment_ws
        new.trivia.comment = old.trivia.comment
        new.trivia.trail = old.trivia.trail
    return new


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file in the same folder, fsync and rename, mode 0600; OSError on failure.

    The file on disk is either the old one or the new one, never a part of either, whatever the umask.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass  # the temp file was never created, or is already gone
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write the config file whole or not at all; SaveError says why it could not be written."""
    try:
        write_whole(path, data)
    except OSError as error:
        reason = "no space left on device" if error.errno == errno.ENOSPC else (error.strerror or str(error))
        raise SaveError(f"could not write {path}: {reason}; the file on disk is unchanged") from None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ConfigFile:
    """An opened config: the editable tomlkit document, its vault, and where it lives.

    `path` is the real file (symbolic links resolved, so saves, backup and lock land beside it);
    `display_path` is the path as the admin gave it.
    """

    def __init__(self, path: Path, document: TOMLDocument, vault: Vault, *, read_only: bool = False,
                 passphrase: str | None = None, source: bytes | None = None) -> None:
        self.display_path = Path(path)
        self.path = Path(os.path.realpath(path))
        self.document = document
        self.vault = vault
        self.read_only = read_only
        self.lock = ConfigLock(self.path)
        self._passphrase = passphrase
        self._source_digest = _digest(source) if source is not None else None

    # --- opening -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, *, key_file: Path | None = None,
             passphrase: str | PassphraseSource | None = None, read_only: bool = False,
             verify: bool = True, older_allowed: bool = False) -> ConfigFile:
        """Read, authenticate and parse the file; raise ConfigError/VaultError with a clear text.

        An authentic file older than a generation already seen here is refused (RolledBackError) unless
        `older_allowed` (the admin restores it on purpose: `akadmin check --accept-older`).
        """
        text = read_document_text(path)
        plain = parse_plain(text, path)
        table = vault_table(plain, path)
        vault, used_passphrase = open_vault(table, path, key_file, passphrase)
        if verify:
            vault.verify(plain, str(path))
            if not older_allowed:
                try:
                    generations.check_and_record(Path(os.path.realpath(path)), plain)
                except generations.RolledBack as error:
                    raise RolledBackError(str(error)) from None
        document = tomlkit.parse(text)
        return cls(path, document, vault, read_only=read_only, passphrase=used_passphrase,
                   source=text.encode("utf-8"))

    def changed_on_disk(self) -> bool:
        """True when the file is no longer what this object loaded (another writer saved it)."""
        try:
            return _digest(self.path.read_bytes()) != self._source_digest
        except OSError:
            return True

    @property
    def passphrase(self) -> str | None:
        """The passphrase this file was opened with, kept in memory for rekeying."""
        return self._passphrase

    def plain(self) -> dict[str, Any]:
        """The document as plain Python values (ciphertexts left encrypted)."""
        return self.document.unwrap()

    # --- reading ------------------------------------------------------------------------------

    def get(self, path: KeyPath) -> Any:
        """The stored value at `path`, or None when absent; secrets stay encrypted."""
        node: Any = self.document
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node.unwrap() if hasattr(node, "unwrap") else node

    def reveal(self, path: KeyPath) -> str:
        """Decrypt the secret stored at `path` ("" when none is stored)."""
        token = self.get(path)
        if token in (None, ""):
            return ""
        return self.vault.decrypt(path, token)

    # --- changing -----------------------------------------------------------------------------

    def _container(self, table: KeyPath, create: bool) -> Any:
        node: Any = self.document
        for depth, part in enumerate(table):
            if part not in node:
                if not create:
                    return None
                # Intermediate tables stay implicit, so `[special_parameters.chorus."*****"]`
                # is written without an empty `[special_parameters]` header above it.
                node.append(part, tomlkit.table(is_super_table=depth < len(table) - 1))
            node = node[part]
        return node

    def set(self, path: KeyPath, value: Any, *, secret: bool = False) -> None:
        """Store `value` at `path` in memory, encrypting it when `secret` and not empty."""
        self._require_writable()
        if value is None:
            self.delete(path)
            return
        if secret and value != "":
            value = self.vault.encrypt(path, value)
        table = self._container(path[:-1], create=True)
        key = path[-1]
        if isinstance(value, str) and "\n" in value:
            value = tomlkit.string(value, multiline=True)  # a certificate stays readable, one line per line
        if key in table:
            old = table.item(key) if hasattr(table, "item") else None
            table[key] = _item_like(old, value)
        else:
            table[key] = value

    def delete(self, path: KeyPath) -> None:
        """Remove a key or a whole table; removing what is absent is not an error."""
        self._require_writable()
        table = self._container(path[:-1], create=False)
        if table is not None and path[-1] in table:
            del table[path[-1]]
        # Drop parents left empty, so removing the last bank leaves no empty [banks] behind.
        for depth in range(len(path) - 1, 0, -1):
            parent = self._container(path[:depth], create=False)
            holder = self._container(path[: depth - 1], create=False)
            if parent is None or len(parent) or holder is None:
                break
            del holder[path[depth - 1]]

    def ensure_table(self, path: KeyPath) -> None:
        """Create the table at `path` if it does not exist yet."""
        self._require_writable()
        self._container(path, create=True)

    def _require_writable(self) -> None:
        if self.read_only:
            raise SaveError(f"{self.path} is open read-only; nothing was changed")

    # --- vault --------------------------------------------------------------------------------

    def vault_entries(self) -> Table:
        """The [vault] table of the document."""
        return self.document[VAULT_TABLE]

    def recipients(self) -> Recipients:
        """Which recipients this file's vault has."""
        return recipients_of(self.plain()[VAULT_TABLE])

    def set_recipient(self, name: str, entry: Mapping[str, Any] | None) -> None:
        """Add, replace or (with None) remove a [vault.<name>] recipient."""
        self._require_writable()
        vault = self.vault_entries()
        if name in vault:
            del vault[name]
        if entry is not None:
            table = tomlkit.table()
            for key, value in entry.items():
                table[key] = value
            vault.append(name, table)

    def replace_vault(self, vault: Vault) -> None:
        """Re-encrypt every secret with a new data key (recipients must be re-wrapped by the caller)."""
        from .schema import SECTIONS  # local: schema imports nothing from here, keep it that way
        from .validate import records_of

        self._require_writable()
        plain = self.plain()
        moves = []
        for section in SECTIONS:
            for record_key, record in records_of(section, plain).items():
                base = section.table + ((record_key,) if record_key is not None else ())
                for field in section.fields:
                    if field.is_secret and record.get(field.key) not in (None, ""):
                        path = base + (field.key,)
                        moves.append((path, self.vault.decrypt(path, record[field.key])))
        self.vault = vault
        for path, plaintext in moves:
            self.set(path, plaintext, secret=True)

    # --- saving -------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The document with a fresh MAC, as the bytes that would be written.

        The MAC is computed over what the written text parses to, so it signs exactly what the
        next load will read (an empty table, for instance, vanishes from TOML text).
        """
        vault = self.vault_entries()
        if MAC_KEY in vault:
            del vault[MAC_KEY]
        mac = self.vault.sign(tomllib.loads(tomlkit.dumps(self.document)))
        inline = tomlkit.inline_table()
        inline["document"] = mac["document"]
        tables = tomlkit.inline_table()
        for name, tag in mac["tables"].items():
            tables[name] = tag
        inline["tables"] = tables
        vault.add(MAC_KEY, inline)
        return tomlkit.dumps(self.document).encode("utf-8")

    def save(self, *, keep_backup: bool = True) -> bool:
        """Write atomically, keeping the previous version as `<name>.bak`; True when something was written.

        The old file survives any failure. A save that changes nothing writes nothing, so the
        backup keeps the real previous version. With `keep_backup=False` (after a data-key
        rotation) the backup is removed, because it would still open with the revoked key.
        """
        self._require_writable()
        data = self.render()
        try:
            previous_text = self.path.read_bytes() if self.path.exists() else None
        except OSError:
            previous_text = None  # reading it again below says why, with nothing changed
        if data != previous_text:
            # A new generation, under the MAC: an older copy of the file can be told apart from this one.
            generation = generations.generation_of(self.plain()) + 1
            self.vault_entries()[generations.GENERATION_KEY] = generation
            data = self.render()
        # Prove the bytes are what we mean before they replace anything.
        check = parse_plain(data.decode("utf-8"), self.path)
        self.vault.verify(check, str(self.path))
        previous = None
        if self.path.exists():
            try:
                previous = self.path.read_bytes()
            except OSError as error:
                raise SaveError(f"could not read {self.path} to back it up: {error.strerror}; nothing was changed") from None
        if previous == data:
            return False
        if previous is not None and keep_backup:
            atomic_write(backup_path_for(self.path), previous)
        atomic_write(self.path, data)
        self._source_digest = _digest(data)
        plain = self.plain()
        generations.record(generations.seen_path(self.path, plain), generations.generation_of(plain))
        if not keep_backup:
            backup_path_for(self.path).unlink(missing_ok=True)
        return True
