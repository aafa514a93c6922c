"""A rolled-back config refused: each save counts a generation inside the signed document, and the highest
generation seen is kept outside it (beside the state database), so an older copy that still opens with a
revoked passphrase or key is not taken for the current file."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .locations import state_path_for
from .vault import VAULT_TABLE

GENERATION_KEY = "generation"  # in [vault], under the document's MAC


class RolledBack(Exception):
    """The file is an older generation than one already seen here."""

    def __init__(self, path: Path, found: int, seen: int, seen_at: str) -> None:
        self.path, self.found, self.seen = path, found, seen
        super().__init__(
            f"{path} is generation {found}, older than generation {seen} seen here on {seen_at}: it is an older "
            "copy (a restored backup?), which may still open with a passphrase or key file revoked since. "
            "If you restore it on purpose, accept it once with: akadmin check --accept-older")


def generation_of(plain: Mapping[str, Any]) -> int:
    """The generation the document says it is (0 for a file written before generations were counted)."""
    vault = plain.get(VAULT_TABLE)
    value = vault.get(GENERATION_KEY, 0) if isinstance(vault, Mapping) else 0
    return value if isinstance(value, int) and value >= 0 else 0


def seen_path(config_path: Path, plain: Mapping[str, Any]) -> Path:
    """Where the highest generation seen of this config is kept: beside its state database."""
    state = state_path_for(config_path, plain)
    return state.with_name(state.name + ".generation")


def _read_seen(path: Path) -> tuple[int, str]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return int(record["generation"]), str(record.get("at", "an unknown date"))
    except (OSError, ValueError, KeyError, TypeError):
        return 0, ""  # never seen here (or unreadable: the next open writes it again)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def check_and_record(config_path: Path, plain: Mapping[str, Any]) -> None:
    """Refuse an older generation than the highest seen; remember this one when it is the highest."""
    path = seen_path(config_path, plain)
    found = generation_of(plain)
    seen, seen_at = _read_seen(path)
    if found < seen:
        raise RolledBack(config_path, found, seen, seen_at)
    if found > seen:
        record(path, found)


def record(path: Path, generation: int) -> None:
    """Remember `generation` as the highest seen (best effort: a read-only folder keeps the previous record)."""
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        _write(path, json.dumps({"generation": generation, "at": stamp}) + "\n")
    except OSError:
        pass


def accept_older(config_path: Path, plain: Mapping[str, Any]) -> str:
    """Take this (older) generation as the current one on purpose; the acceptance is logged beside the record."""
    path = seen_path(config_path, plain)
    found = generation_of(plain)
    seen, _ = _read_seen(path)
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    line = (f"{stamp} {getpass.getuser()}@{socket.gethostname()} accepted {config_path} generation {found} "
            f"(generation {seen} had been seen)\n")
    log = path.with_name(path.name + ".log")
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(line)
    _write(path, json.dumps({"generation": found, "at": stamp}) + "\n")
    return line.strip()
