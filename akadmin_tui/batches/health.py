"""Whether the batches are healthy, for a monitoring probe: the host is up, none failed, none missed its schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..settings.editor import SettingsEditor
from .catalog import batch_specs
from .kinds import Outcome
from .queries.pauses import paused_codes
from .queries.plans import planned_runs
from .queries.runs import last_runs
from .state import StateStore

# A planned run that has not started this long after its time means the host is stuck (or its clock jumped).
LATE_AFTER = dt.timedelta(minutes=5)
UNHEALTHY_OUTCOMES = (Outcome.FAILED, Outcome.ERRORS, Outcome.INTERRUPTED)


@dataclass(frozen=True)
class BatchHealth:
    """One batch as the probe sees it; `problem` is empty when nothing is wrong."""

    code: str
    paused: bool
    scheduled: bool
    last_outcome: str | None
    last_run: str | None
    next_run: dt.datetime | None
    problem: str = ""


@dataclass(frozen=True)
class Health:
    """Who runs the batches, and each batch; healthy when there is no problem."""

    host: str | None
    batches: list[BatchHealth] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when the host is up (or nothing is scheduled), no batch failed and none is late."""
        return not self.problems


def batch_health(editor: SettingsEditor, state: StateStore, *, host: str | None, now: dt.datetime) -> Health:
    """The health of every batch of `editor`, `host` being who holds the host lock (None: nobody)."""
    latest, paused = last_runs(state), paused_codes(state)
    plan = planned_runs(state) if host else {}
    batches: list[BatchHealth] = []
    problems: list[str] = []
    for spec in batch_specs(editor):
        last = latest.get(spec.code)
        scheduled = not spec.schedule.on_demand and spec.code not in paused
        planned = plan.get(spec.code)
        problem = ""
        if last is not None and last.outcome in UNHEALTHY_OUTCOMES:
            problem = f"{spec.code}: its last run ({last.id}) ended {last.outcome} at {last.started_at}: {last.summary}"
        elif host and scheduled and planned is not None and planned < now - LATE_AFTER:
            problem = (f"{spec.code}: the run planned at {planned.isoformat(timespec='seconds')} has not started "
                       f"{int(LATE_AFTER.total_seconds() // 60)} minutes later (is the host stuck?)")
        if problem:
            problems.append(problem)
        batches.append(BatchHealth(spec.code, spec.code in paused, scheduled, last.outcome if last else None,
                                   last.started_at if last else None, planned, problem))
    if host is None and any(b.scheduled for b in batches):
        problems.insert(0, "no scheduler host is running (akadmin scheduler, or a console): scheduled batches do "
                           "not run")
    return Health(host, batches, problems)
