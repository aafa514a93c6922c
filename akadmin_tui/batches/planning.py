"""When each batch runs next, decided from its schedule, its last scheduled run, its pause and the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..settings.time_zones import in_zone
from .queries.pauses import is_paused
from .queries.runs import last_scheduled_run
from .runtime import BatchSpec
from .state import StateStore

MAX_COUNTED_MISSES = 1000


@dataclass(frozen=True)
class FirstRun:
    """When a batch first runs after the host starts, and why, in words for the log."""

    at: dt.datetime | None
    reason: str
    catch_up: bool = False
    missed: int = 0


def missed_runs(spec: BatchSpec, last_run: dt.datetime, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many scheduled runs fell between the last run and now, and the first of them."""
    anchor = last_run if spec.schedule.interval_s is not None else None
    first = due = spec.schedule.next_after(last_run, anchor)
    count = 0
    while due is not None and due <= now and count < MAX_COUNTED_MISSES:
        count += 1
        due = spec.schedule.next_after(due, anchor)
    return count, (first if count else None)


def plan_first_run(spec: BatchSpec, *, now: dt.datetime, last_run: dt.datetime | None) -> FirstRun:
    """The seed's start period for built-in tasks; one catch-up run for batches whose runs were missed."""
    if spec.schedule.on_demand:
        return FirstRun(None, "runs only when started by hand")
    if spec.builtin:
        delay = dt.timedelta(seconds=spec.first_delay_s or 0)
        return FirstRun(now + delay, f"first run {int(delay.total_seconds())} s after the host started (start period)")
    if last_run is not None:
        count, first = missed_runs(spec, last_run, now)
        if count:
            more = "+" if count >= MAX_COUNTED_MISSES else ""
            since = in_zone(first or now, spec.schedule.zone)
            return FirstRun(now, f"{count}{more} scheduled run(s) missed since {since} while no host was running: "
                                 "running once now", catch_up=True, missed=count)
        anchor = last_run if spec.schedule.interval_s is not None else None
        return FirstRun(spec.schedule.next_after(now, anchor), "next scheduled run")
    return FirstRun(spec.schedule.next_after(now), "first scheduled run")


def utc_now() -> dt.datetime:
    """The wall clock, in UTC, that plans are made with when no host gives its own."""
    return dt.datetime.now(dt.UTC)


def first_run(spec: BatchSpec, state: StateStore, *, now: dt.datetime) -> FirstRun:
    """When a host starting `now` first runs the batch: from its last scheduled run (runs by hand never count)."""
    return plan_first_run(spec, now=now, last_run=last_scheduled_run(state, spec.code))


def next_run(spec: BatchSpec, state: StateStore, *, now: dt.datetime) -> dt.datetime | None:
    """When a host starting `now` runs the batch on its own; None when it runs on demand or is paused."""
    if is_paused(state, spec.code):
        return None
    return first_run(spec, state, now=now).at
