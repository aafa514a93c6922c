"""When the running host plans each batch next: written by the host, read by the command line and other consoles."""

from __future__ import annotations

import datetime as dt

from ..state import StateStore


def record_plan(state: StateStore, host: str, plan: dict[str, dt.datetime | None]) -> None:
    """Replace the host's plan with `plan` (a batch mapped to None is not planned: on demand or paused)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with state.transaction() as db:
        db.execute("DELETE FROM planned_runs")
        db.executemany("INSERT INTO planned_runs (batch_code, next_run, host, planned_at) VALUES (?, ?, ?, ?)",
                       [(code, moment.isoformat() if moment else None, host, stamp) for code, moment in plan.items()])


def clear_plan(state: StateStore) -> None:
    """Forget the plan: no host is running."""
    state.execute("DELETE FROM planned_runs")


def planned_runs(state: StateStore) -> dict[str, dt.datetime | None]:
    """The running host's next run of each batch it knows (None: not planned)."""
    rows = state.query("SELECT batch_code, next_run FROM planned_runs")
    return {row[0]: dt.datetime.fromisoformat(row[1]) if row[1] else None for row in rows}
