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

from ..connectors.http import HttpClient
from ..connectors.probe import MASK, secret_forms
from ..settings import schema
from ..settings.batch_params import DEFAULT_LOG_LEVELS, split_list
from ..settings.editor import SettingsEditor
from ..settings.fields import Shape
from ..settings.schedules import Schedule
from .kinds import EventKind, Outcome, Trigger
from .queries import runs
from .state import StateStore


class Level(StrEnum):
    """Log levels, as BATCH_LOG_LEVEL names them."""

    DEBUG = "DEBUG"
    LOG = "LOG"
    WARN = "WARN"
    ERROR = "ERROR"


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
    kind: EventKind
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
                 client: HttpClient, listener: Listener | None = None,
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
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
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
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
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
        runs.add_log_line(self.state, run_id=self.run_id, seq=self._seq, at=at.isoformat(timespec="seconds"),
                          level=level.value, text=text)
        line = f"{at:%Y-%m-%d %H:%M:%S} {level.value:<5} {text}"
        self.lines.append(line)
        for stream in (self._console, self._file):
            if stream is not None:
                try:
                    stream.write(f"[{self.spec.code}] {line}\n" if stream is self._console else line + "\n")
                    stream.flush()
                except OSError:
                    pass  # a full disk must not stop the batch; the line is in the database
        self._emit(RunEvent(self.run_id, self.spec.code, EventKind.LOG, level=level.value, text=text))

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
        self._emit(RunEvent(self.run_id, self.spec.code, EventKind.PROGRESS, done=done, total=total))

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


def begin_run(state: StateStore, spec: BatchSpec, trigger: Trigger, when: dt.datetime) -> int:
    """Record the start of a run; returns its id."""
    return runs.start_run(state, code=spec.code, template=spec.template, trigger=trigger, started_by=spec.started_by,
                          host=host_label(), started_at=when.isoformat(timespec="seconds"))


def end_run(state: StateStore, run_id: int, outcome: Outcome, summary: str, counts: dict[str, int],
            errors: int, warnings: int, when: dt.datetime) -> None:
    """Record how a run ended."""
    runs.finish_run(state, run_id=run_id, ended_at=when.isoformat(timespec="seconds"), outcome=outcome,
                    summary=summary, counts=json.dumps(counts, sort_keys=True), errors=errors, warnings=warnings)


def mark_interrupted(state: StateStore, is_dead: Callable[[str], bool] = lambda code: True) -> int:
    """Runs still 'running' whose process died (`is_dead(code)`): mark them interrupted; returns how many."""
    dead = [run_id for run_id, code in runs.running_runs(state) if is_dead(code)]
    for run_id in dead:
        runs.mark_run_interrupted(state, run_id)
    return len(dead)
