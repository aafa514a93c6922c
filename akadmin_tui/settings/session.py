"""Deciding how to open a config (key file or passphrase) before anything is decrypted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .store import ConfigFile, PassphraseSource, parse_plain, read_document_text, recipients_of, vault_table


@dataclass(frozen=True)
class ConfigOpener:
    """A config path and the key file to try; says whether a passphrase will be needed."""

    path: Path
    key_file: Path | None = None
    key_file_explicit: bool = False
    read_only: bool = False

    def key_file_to_use(self) -> Path | None:
        """The key file to unlock with: an explicit one always, a default one only if the vault has a key-file recipient."""
        if self.key_file is None:
            return None
        if self.key_file_explicit:
            return self.key_file
        plain = parse_plain(read_document_text(self.path), self.path)
        return self.key_file if recipients_of(vault_table(plain, self.path)).key_file else None

    def needs_passphrase(self) -> bool:
        """True when no key file will open the vault (raises ConfigError if the file is unusable)."""
        parse_plain(read_document_text(self.path), self.path)
        return self.key_file_to_use() is None

    def open(self, passphrase: str | PassphraseSource | None = None, *, older_allowed: bool = False) -> ConfigFile:
        """Load, unlock and authenticate the file (an older generation than seen here only when allowed)."""
        return ConfigFile.load(self.path, key_file=self.key_file_to_use(), passphrase=passphrase,
                               read_only=self.read_only, older_allowed=older_allowed)
