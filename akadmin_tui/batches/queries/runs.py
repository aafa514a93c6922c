"""Batch runs and their log lines: recording a run, reading the history, the last run of the schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..kinds import BY_HAND, Outcome
from ..state import StateStore

RUNS_PAGE = 200  # runs read at once for the history
INTERRUPTED_SUMMARY = "the process running it stopped before it ended"
_RUN_COLUMNS = "id, batch_code, trigger, started_at, ended_at, outcome, summary, counts, errors, warnings"


@dataclass(frozen=True)
class RunRow:
    """One line of the run history."""

    id: int
    batch_code: str
    trigger: str
    started_at: str
    ended_at: str | None
    outcome: str
    summary: str
    counts: str
    errors: int
    warnings: int


@dataclass(frozen=True)
class LogLine:
    """One line of a run's log."""

    at: str
    level: str
    text: str


# --- recording a run ------------------------------------------------------------------------------

def start_run(state: StateStore, *, code: str, template: str, trigger: str, started_by: str, host: str,
              started_at: str) -> int:
    """Record the start of a run; returns its id."""
    with state.transaction() as db:
        cursor = db.execute(
            "INSERT INTO batch_runs (batch_code, template, trigger, started_by, host, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (code, template, trigger, started_by, host, started_at))
        return int(cursor.lastrowid or 0)


def finish_run(state: StateStore, *, run_id: int, ended_at: str, outcome: Outcome, summary: str, counts: str,
               errors: int, warnings: int) -> None:
    """Record how a run ended."""
    state.execute("UPDATE batch_runs SET ended_at = ?, outcome = ?, summary = ?, counts = ?, errors = ?, warnings = ? "
                  "WHERE id = ?", (ended_at, outcome.value, summary, counts, errors, warnings, run_id))


def add_log_line(state: StateStore, *, run_id: int, seq: int, at: str, level: str, text: str) -> None:
    """Keep one line of a run's log."""
    state.execute("INSERT INTO run_log (run_id, seq, at, level, text) VALUES (?, ?, ?, ?, ?)",
                  (run_id, seq, at, level, text))


def running_runs(state: StateStore) -> list[tuple[int, str]]:
    """(id, batch code) of every run still marked running."""
    rows = state.query("SELECT id, batch_code FROM batch_runs WHERE outcome = ?", (Outcome.RUNNING.value,))
    return [(row["id"], row["batch_code"]) for row in rows]


def mark_run_interrupted(state: StateStore, run_id: int) -> None:
    """Mark one run as cut short by the death of its process."""
    state.execute("UPDATE batch_runs SET outcome = ?, summary = ?, ended_at = started_at WHERE id = ?",
                  (Outcome.INTERRUPTED.value, INTERRUPTED_SUMMARY, run_id))


def mark_batch_interrupted(state: StateStore, code: str) -> None:
    """Mark every run of a batch still marked running as cut short (its lock is free, so none really runs)."""
    state.execute("UPDATE batch_runs SET outcome = ?, summary = ?, ended_at = started_at WHERE batch_code = ? AND outcome = ?",
                  (Outcome.INTERRUPTED.value, INTERRUPTED_SUMMARY, code, Outcome.RUNNING.value))


# --- reading the history --------------------------------------------------------------------------

def last_scheduled_run(state: StateStore, code: str) -> dt.datetime | None:
    """When the schedule last started this batch: runs started by hand never count."""
    hand = ", ".join("?" for _ in BY_HAND)
    rows = state.query(f"SELECT MAX(started_at) FROM batch_runs WHERE batch_code = ? AND trigger NOT IN ({hand})",
                       (code, *BY_HAND))
    return dt.datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None


def last_runs(state: StateStore) -> dict[str, RunRow]:
    """The latest run of every batch (one indexed look-up per batch)."""
    rows = state.query(
        "SELECT r.id, r.batch_code, r.trigger, r.started_at, r.ended_at, r.outcome, r.summary, r.counts, r.errors, "
        "r.warnings FROM batch_runs r JOIN (SELECT MAX(id) AS id FROM batch_runs GROUP BY batch_code) m ON r.id = m.id")
    return {row[1]: RunRow(*row) for row in rows}


def list_runs(state: StateStore, code: str | None, before_id: int | None = None,
              limit: int = RUNS_PAGE) -> list[RunRow]:
    """A page of runs, newest first: all batches or one, older than `before_id` (keyset paging stays fast)."""
    clauses: list[str] = []
    params: list[object] = []
    if code is not None:
        clauses.append("batch_code = ?")
        params.append(code)
    if before_id is not None:
        clauses.append("id < ?")
        params.append(before_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = state.query(f"SELECT {_RUN_COLUMNS} FROM batch_runs{where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [RunRow(*row) for row in rows]


def run_row(state: StateStore, run_id: int) -> RunRow | None:
    """One run by id."""
    rows = state.query(f"SELECT {_RUN_COLUMNS} FROM batch_runs WHERE id = ?", (run_id,))
    return RunRow(*rows[0]) if rows else None


def run_log(state: StateStore, run_id: int, levels: Sequence[str] | None = None) -> list[LogLine]:
    """The log of one run, in order; only the lines at `levels` when given."""
    if levels is None:
        rows = state.query("SELECT at, level, text FROM run_log WHERE run_id = ? ORDER BY seq", (run_id,))
    else:
        rows = state.query(f"SELECT at, level, text FROM run_log WHERE run_id = ? AND level IN "
                           f"({', '.join('?' * len(levels))}) ORDER BY seq", (run_id, *levels))
    return [LogLine(*row) for row in rows]


def run_codes(state: StateStore) -> list[str]:
    """Every batch code found in the run history (deleted batches keep their runs)."""
    return [row[0] for row in state.query("SELECT DISTINCT batch_code FROM batch_runs ORDER BY batch_code")]
