"""What the Batches views read from the state database, and how they word it (no widgets here)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ..batches.runtime import BatchSpec, Outcome
from ..batches.state import StateStore
from .host_link import HostLink

RUNS_PAGE = 200


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


def _moment(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def local_time(value: str | dt.datetime | None, *, seconds: bool = False, short: bool = False) -> str:
    """A stored UTC time as the admin's local time, e.g. 2026-11-21 09:12 (short: 11-21 09:12)."""
    moment = _moment(value)
    if moment is None:
        return ""
    day = "%m-%d" if short else "%Y-%m-%d"
    return moment.astimezone().strftime(f"{day} %H:%M:%S" if seconds else f"{day} %H:%M")


def duration_text(started: str, ended: str | None) -> str:
    """How long a run took, e.g. '4 s' or '2 min 05 s' (empty while it runs)."""
    start, end = _moment(started), _moment(ended)
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def counts_text(row: RunRow) -> str:
    """The run's counters and its error and warning tallies, in one short line."""
    try:
        counts = json.loads(row.counts or "{}")
    except ValueError:
        counts = {}
    parts = [f"{name} {value}" for name, value in counts.items()]
    if row.errors:
        parts.append(f"{row.errors} error(s)")
    if row.warnings:
        parts.append(f"{row.warnings} warning(s)")
    return ", ".join(parts) or row.summary


def paused_codes(state: StateStore) -> set[str]:
    """The batches whose schedule is paused (read from the state, so it works without a host)."""
    return {row[0] for row in state.query("SELECT batch_code FROM batch_control WHERE paused = 1")}


def last_runs(state: StateStore) -> dict[str, RunRow]:
    """The latest run of every batch (one indexed look-up per batch)."""
    rows = state.query(
        "SELECT r.id, r.batch_code, r.trigger, r.started_at, r.ended_at, r.outcome, r.summary, r.counts, r.errors, "
        "r.warnings FROM batch_runs r JOIN (SELECT MAX(id) AS id FROM batch_runs GROUP BY batch_code) m ON r.id = m.id")
    return {row[1]: RunRow(*row) for row in rows}


def list_runs(state: StateStore, code: str | None, before_id: int | None = None, limit: int = RUNS_PAGE) -> list[RunRow]:
    """A page of runs, newest first: all batches or one, older than `before_id` (keyset paging stays fast)."""
    clauses, params = [], []
    if code is not None:
        clauses.append("batch_code = ?")
        params.append(code)
    if before_id is not None:
        clauses.append("id < ?")
        params.append(before_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = state.query("SELECT id, batch_code, trigger, started_at, ended_at, outcome, summary, counts, errors, warnings "
                       f"FROM batch_runs{where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [RunRow(*row) for row in rows]


def run_row(state: StateStore, run_id: int) -> RunRow | None:
    """One run by id."""
    rows = state.query("SELECT id, batch_code, trigger, started_at, ended_at, outcome, summary, counts, errors, "
                       "warnings FROM batch_runs WHERE id = ?", (run_id,))
    return RunRow(*rows[0]) if rows else None


def run_log(state: StateStore, run_id: int) -> list[LogLine]:
    """The log of one run, in order."""
    rows = state.query("SELECT at, level, text FROM run_log WHERE run_id = ? ORDER BY seq", (run_id,))
    return [LogLine(*row) for row in rows]


def run_codes(state: StateStore) -> list[str]:
    """Every batch code found in the run history (deleted batches keep their runs)."""
    return [row[0] for row in state.query("SELECT DISTINCT batch_code FROM batch_runs ORDER BY batch_code")]


def next_run_text(link: HostLink | None, spec: BatchSpec, paused: set[str], last: RunRow | None) -> str:
    """The Next run column: 'running 45%', 'paused', 'on demand', a local time, or who runs it."""
    live = link.live.get(spec.code) if link is not None else None
    if live is not None:
        return f"running {live.percent}%" if live.percent is not None else "running"
    if last is not None and last.outcome == Outcome.RUNNING.value and (link is None or not link.controls):
        return "running elsewhere"
    if spec.code in paused:
        return "paused"
    if spec.schedule.on_demand:
        return "on demand"
    if link is None or link.host is None:
        return "by the other host"
    moment = link.host.next_run(spec.code)
    return local_time(moment, short=True) if moment is not None else "not planned"


def outcome_text(last: RunRow | None) -> str:
    """The Last run column: its outcome and when it started."""
    if last is None:
        return "never"
    return f"{last.outcome} {local_time(last.started_at, short=True)}"
