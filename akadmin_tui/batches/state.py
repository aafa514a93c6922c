"""The state database beside the config (SQLite, WAL): what akadmin remembers between runs."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..settings import schema
from ..settings.locations import state_path_for
from ..settings.store import ConfigFile
from ..settings.validate import codes_of, effective, records_of
from .migrations import MIGRATIONS


class StateError(Exception):
    """The state database cannot be used; the text says why."""


@dataclass(frozen=True)
class LastPass:
    """When a Test last passed for a target, and against which environment."""

    environment: str
    passed_at: dt.datetime


def invoice_files_dir(state_path: Path) -> Path:
    """Where imported invoice files are kept, so a deposit never depends on the original file."""
    return state_path.with_name(state_path.name + ".invoices")


class StateStore:
    """A small SQLite database, migrated on open, safe to share between the console and commands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # One connection shared by the event loop and worker threads, serialised by a lock.
            self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            path.chmod(0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StateError(f"the state database {path} cannot be used: {error}") from None
        except OSError as error:
            raise StateError(f"the state database {path} cannot be opened: {error.strerror or error}") from None

        self._lock = threading.RLock()
        self._seen_version = self._data_version()

    def _data_version(self) -> int:
        # SQLite bumps it for this connection only when another connection (another process) commits.
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """True once after another process committed a change since the last call (a cheap, local check)."""
        with self._lock:
            version = self._data_version()
            changed, self._seen_version = version != self._seen_version, version
            return changed

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT), rolled back when the block raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Rows of a read query, as sqlite3.Row (by name or index)."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """One statement in its own implicit transaction (autocommit)."""
        with self._lock:
            return self._db.execute(sql, params)

    def _migrate(self) -> None:
        # The version is read inside the write transaction: two processes opening a new database at once
        # (a console and `akadmin scheduler`) must not both run the same migration.
        while True:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise StateError(f"{self.path} was written by a newer akadmin (schema {version}); upgrade akadmin")
                if version == len(MIGRATIONS):
                    self._db.execute("COMMIT")
                    return
                for statement in (part for part in MIGRATIONS[version].split(";") if part.strip()):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_pass(self, section: str, target: str, environment: str, when: dt.datetime | None = None) -> None:
        """Remember that a Test passed now (or at `when`)."""
        stamp = (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        self._db.execute(
            "INSERT INTO test_results (section, target, environment, passed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(section, target) DO UPDATE SET environment = excluded.environment, passed_at = excluded.passed_at",
            (section, target, environment, stamp))

    def last_pass(self, section: str, target: str) -> LastPass | None:
        """When the Test of `target` last passed, if ever."""
        row = self._db.execute("SELECT environment, passed_at FROM test_results WHERE section = ? AND target = ?",
                               (section, target)).fetchone()
        return LastPass(row[0], dt.datetime.fromisoformat(row[1])) if row else None

    def close(self) -> None:
        """Close the connection, once no thread is in a query (closing under a running statement can crash)."""
        with self._lock:
            self._db.close()


def open_state(config: ConfigFile) -> StateStore:
    """The state database of an opened config; StateError says why it cannot be used."""
    return StateStore(state_path_for(config.path, config.plain()))


def chorus_environment_warnings(document: dict, store: StateStore) -> dict[str, str]:
    """Chorus setups whose last passing Test was against the other environment, with the warning."""
    current = effective(schema.CHORUS, records_of(schema.CHORUS, document).get(None)).get("environment", "")
    warnings = {}
    for key in codes_of(schema.CHORUS_SPECIAL, document):
        last = store.last_pass("chorus", key)
        if last is not None and last.environment and last.environment != current:
            warnings[key] = (f"its Test last passed on {last.environment} ({last.passed_at:%Y-%m-%d}), but the "
                             f"environment is now {current}: the Piste Client ID and Piste Secret must differ "
                             "between production and test environments; update them and run the Test again.")
    return warnings
