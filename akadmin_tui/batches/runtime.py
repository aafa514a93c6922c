"""One run of a batch: its log, progress, counts and cancellation, recorded in the state database."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import httpx

from ..connectors.probe import MASK, secret_forms
from ..settings import schema
from ..settings.batch_params import DEFAULT_LOG_LEVELS, split_list
from ..settings.editor import SettingsEditor
from ..settings.fields import Shape
from ..settings.schedules import Schedule
from .state import StateStore


class Level(StrEnum):
    """Log levels, as BATCH_LOG_LEVEL names them."""

    DEBUG = "DEBUG"
    LOG = "LOG"
    WARN = "WARN"
    ERROR = "ERROR"


class Outcome(StrEnum):
    """How a run ended."""

    RUNNING = "running"
    OK = "ok"
    ERRORS = "errors"  # it finished, but logged errors (some items failed)
    FAILED = "failed"  # it stopped early on an error
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the host stopped while it ran (found on the next start)


class BatchCancelled(Exception):
    """Raised inside a runner when the admin cancelled the run."""


class BatchFailure(Exception):
    """A runner cannot go on; the text is shown as the run's summary (never a traceback)."""


@dataclass(frozen=True)
class BatchSpec:
    """A batch as the host runs it: from a `[batches.<CODE>]` record, or a built-in scheduled task."""

    code: str
    label: str
    template: str
    schedule: Schedule
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    builtin: bool = False  # the signature and statement retrievals, scheduled by their interface
    first_delay_s: int | None = None  # built-in tasks first run this long after the host starts
    log_mail_to: str = ""  # built-in tasks e-mail their execution log here after every run

    @property
    def started_by(self) -> str:
        """The login the run is recorded under (BATCH_USER), or the host's own user."""
        return str(self.params.get("BATCH_USER") or os.environ.get("USER", "akadmin"))


@dataclass(frozen=True)
class RunEvent:
    """What a run tells its listeners (the console, the headless log): a log line, progress, the end."""

    run_id: int
    batch_code: str
    kind: str  # "started", "log", "progress", "finished"
    level: str = ""
    text: str = ""
    done: int = 0
    total: int = 0
    outcome: str = ""


Listener = Callable[[RunEvent], None]
Runner = Callable[["RunContext"], Awaitable[None]]


def all_secrets(editor: SettingsEditor) -> list[str]:
    """Every secret value of the settings, decrypted, so a log line can never show one."""
    found: list[str] = []
    for section in schema.SECTIONS:
        if not any(f.is_secret for f in section.fields):
            continue
        keys = editor.record_keys(section) if section.shape is Shape.COLLECTION else [None]
        for key in keys:
            if section.shape is not Shape.TABLE and not editor.exists(section, key):
                continue
            values = editor.values(section, key)
            found += [str(values[f.key]) for f in section.fields if f.is_secret and values.get(f.key)]
    return found


class RunContext:
    """What a runner uses: settings, state, parameters, an HTTP client, the log and progress."""

    def __init__(self, spec: BatchSpec, run_id: int, *, editor: SettingsEditor, state: StateStore,
                 client: httpx.AsyncClient, listener: Listener | None = None,
                 cancel: threading.Event | None = None, now: Callable[[], dt.datetime] | None = None,
                 mailer: Callable[..., Awaitable[str]] | None = None) -> None:
        self.spec = spec
        self.run_id = run_id
        self.editor = editor
        self.state = state
        self.client = client
        self.params = spec.params
        self.counts: dict[str, int] = {}
        self.errors = 0
        self.warnings = 0
        self.lines: list[str] = []  # the run's log as written, for the error e-mail
        self.cancel = cancel or threading.Event()
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.mailer = mailer
        self._listener = listener
        self._seq = 0
        forms = {form for s in all_secrets(editor) if len(s) >= 3 for form in secret_forms(s)}
        self._secrets = sorted(forms, key=len, reverse=True)
        chosen = [level.upper() for level in split_list(self.params.get("BATCH_LOG_LEVEL"))]
        self._levels = set(chosen or DEFAULT_LOG_LEVELS) | {Level.ERROR.value}
        self._console: TextIO | None = sys.stderr if self.params.get("BATCH_LOG_CONSOLE") is True else None
        self._file: TextIO | None = None
        self.log_file: Path | None = None

    # --- the log ---------------------------------------------------------------------------------

    def open_log_file(self) -> None:
        """Open BATCH_LOG_FILE/<BATCH_LOG_ID>_<date>.log when the batch asks for one (an error is logged)."""
        folder = self.params.get("BATCH_LOG_FILE")
        if not folder:
            return
        name = f"{self.params.get('BATCH_LOG_ID') or self.spec.code}_{self.now():%Y%m%d-%H%M%S}_{self.run_id}.log"
        path = Path(str(folder)).expanduser() / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            self._file = os.fdopen(fd, "a", encoding="utf-8")
            self.log_file = path
        except OSError as error:
            self.error(f"The log file {path} cannot be written ({error.strerror or error}); the log stays in "
                       "the run history.")

    def redact(self, text: str) -> str:
        """`text` with every known secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def log(self, level: Level, text: str) -> None:
        """Write one line at `level` (kept only when BATCH_LOG_LEVEL includes it; errors always are)."""
        if level is Level.ERROR:
            self.errors += 1
        elif level is Level.WARN:
            self.warnings += 1
        if level.value not in self._levels:
            return
        text = self.redact(text)
        at = self.now()
        self._seq += 1
        self.state.execute("INSERT INTO run_log (run_id, seq, at, level, text) VALUES (?, ?, ?, ?, ?)",
                           (self.run_id, self._seq, at.isoformat(timespec="seconds"), level.value, text))
        line = f"{at:%Y-%m-%d %H:%M:%S} {level.value:<5} {text}"
        self.lines.append(line)
        for stream in (self._console, self._file):
            if stream is not None:
                try:
                    stream.write(f"[{self.spec.code}] {line}\n" if stream is self._console else line + "\n")
                    stream.flush()
                except OSError:
                    pass  # a full disk must not stop the batch; the line is in the database
        self._emit(RunEvent(self.run_id, self.spec.code, "log", level=level.value, text=text))

    def debug(self, text: str) -> None:
        """A DEBUG line."""
        self.log(Level.DEBUG, text)

    def info(self, text: str) -> None:
        """A LOG line."""
        self.log(Level.LOG, text)

    def warn(self, text: str) -> None:
        """A WARN line."""
        self.log(Level.WARN, text)

    def error(self, text: str) -> None:
        """An ERROR line: the run ends with outcome 'errors' and the log is e-mailed."""
        self.log(Level.ERROR, text)

    # --- progress, counts, cancellation -----------------------------------------------------------

    def progress(self, done: int, total: int) -> None:
        """Tell listeners how far the run is."""
        self._emit(RunEvent(self.run_id, self.spec.code, "progress", done=done, total=total))

    def count(self, name: str, n: int = 1) -> None:
        """Add to one of the run's counters (shown in the history)."""
        self.counts[name] = self.counts.get(name, 0) + n

    def check_cancelled(self) -> None:
        """Raise BatchCancelled when the admin asked to stop; call it between items."""
        if self.cancel.is_set():
            raise BatchCancelled()

    def _emit(self, event: RunEvent) -> None:
        if self._listener is not None:
            self._listener(event)

    def close(self) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def host_label() -> str:
    """user@host (pid), as the run history and the host lock show it."""
    return f"{os.environ.get('USER', 'akadmin')}@{socket.gethostname()} (pid {os.getpid()})"


def begin_run(state: StateStore, spec: BatchSpec, trigger: str, when: dt.datetime) -> int:
    """Record the start of a run; returns its id."""
    with state.transaction() as db:
        cursor = db.execute(
            "INSERT INTO batch_runs (batch_code, template, trigger, started_by, host, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (spec.code, spec.template, trigger, spec.started_by, host_label(), when.isoformat(timespec="seconds")))
        return int(cursor.lastrowid)


def end_run(state: StateStore, run_id: int, outcome: Outcome, summary: str, counts: dict[str, int],
            errors: int, warnings: int, when: dt.datetime) -> None:
    """Record how a run ended."""
    state.execute("UPDATE batch_runs SET ended_at = ?, outcome = ?, summary = ?, counts = ?, errors = ?, warnings = ? "
                  "WHERE id = ?", (when.isoformat(timespec="seconds"), outcome.value, summary,
                                   json.dumps(counts, sort_keys=True), errors, warnings, run_id))


def mark_interrupted(state: StateStore, is_dead: Callable[[str], bool] = lambda code: True) -> int:
    """Runs still 'running' whose process died (`is_dead(code)`): mark them interrupted; returns how many."""
    rows = state.query("SELECT id, batch_code FROM batch_runs WHERE outcome = ?", (Outcome.RUNNING.value,))
    dead = [row["id"] for row in rows if is_dead(row["batch_code"])]
    for run_id in dead:
        state.execute("UPDATE batch_runs SET outcome = ?, summary = ?, ended_at = started_at WHERE id = ?",
                      (Outcome.INTERRUPTED.value, "the process running it stopped before it ended", run_id))
    return len(dead)
