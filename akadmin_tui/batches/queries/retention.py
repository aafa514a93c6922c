"""Old run history deleted after the configured time, so the state database stays small."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..kinds import Trigger
from ..state import StateStore


@dataclass(frozen=True)
class Pruned:
    """How many runs and log lines a prune deleted."""

    runs: int
    log_lines: int


def prune_runs(state: StateStore, *, older_than: dt.datetime) -> Pruned:
    """Delete the runs that ended before `older_than`, with their logs; each batch's last run and last
    scheduled run stay (the planning reads the latter), and so do runs still going on."""
    cutoff = older_than.isoformat(timespec="seconds")
    scheduled = (Trigger.SCHEDULE.value, Trigger.CATCH_UP.value)
    doomed = ("SELECT id FROM batch_runs WHERE ended_at IS NOT NULL AND ended_at < ? "
              "AND id NOT IN (SELECT MAX(id) FROM batch_runs GROUP BY batch_code) "
              "AND id NOT IN (SELECT MAX(id) FROM batch_runs WHERE trigger IN (?, ?) GROUP BY batch_code)")
    params = (cutoff, *scheduled)
    with state.transaction() as db:
        lines = db.execute(f"DELETE FROM run_log WHERE run_id IN ({doomed})", params).rowcount
        runs = db.execute(f"DELETE FROM batch_runs WHERE id IN ({doomed})", params).rowcount
        # The daily CHORUS call counts only matter for today's quota.
        db.execute("DELETE FROM chorus_usage WHERE day < ?", (older_than.date().isoformat(),))
    return Pruned(runs, lines)


def database_size(state: StateStore) -> int:
    """The state database's size on disk in bytes (its write-ahead log included)."""
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += state.path.with_name(state.path.name + suffix).stat().st_size
        except OSError:
            pass
    return total
