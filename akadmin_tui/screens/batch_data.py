"""What the Batches views read from the state database, and how they word it (no widgets here)."""

from __future__ import annotations

import datetime as dt
import json

from ..batches.kinds import Outcome
from ..batches.queries.pauses import paused_codes
from ..batches.queries.plans import planned_runs
from ..batches.queries.runs import RUNS_PAGE, LogLine, RunRow, last_runs, list_runs, run_codes, run_log, run_row
from ..batches.runtime import BatchSpec
from ..settings.time_zones import in_zone
from .host_link import HostLink


def _moment(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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


def next_run_text(link: HostLink | None, spec: BatchSpec, paused: set[str], last: RunRow | None,
                  plan: dict[str, dt.datetime | None] | None = None) -> str:
    """The Next run column: 'running 45%', 'paused', 'on demand', or a time in the schedule's zone (e.g. 11-23 06:00 CET).

    Another host's next runs come from the plan it wrote.
    """
    live = link.live.get(spec.code) if link is not None else None
    if live is not None:
        return f"running {live.percent}%" if live.percent is not None else "running"
    if last is not None and last.outcome == Outcome.RUNNING and (link is None or not link.controls):
        return "running elsewhere"
    if spec.code in paused:
        return "paused"
    if spec.schedule.on_demand:
        return "on demand"
    if link is None or link.host is None:
        if plan is None or spec.code not in plan:
            return "by the other host"
        moment = plan[spec.code]
        return in_zone(moment, spec.schedule.zone, short=True) if moment is not None else "not planned"
    moment = link.host.next_run(spec.code)
    return in_zone(moment, spec.schedule.zone, short=True) if moment is not None else "not planned"


def outcome_text(last: RunRow | None) -> str:
    """The Last run column: its outcome and when it started."""
    if last is None:
        return "never"
    return f"{last.outcome} {local_time(last.started_at, short=True)}"


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def _share(natural: dict[str, int], keys: list[str], budget: int, least: int) -> dict[str, int]:
    """Widths for `keys` within `budget` cells: the narrow ones keep their width, the others share the rest."""
    widths: dict[str, int] = {}
    pending = sorted(keys, key=lambda key: natural[key])
    while pending and natural[pending[0]] <= budget // len(pending):
        key = pending.pop(0)
        widths[key] = natural[key]
        budget -= natural[key]
    for key in pending:
        widths[key] = max(least, budget // len(pending))
    return widths


def fit_widths(natural: dict[str, int], tiers: tuple[tuple[str, ...], ...], available: int, *, padding: int = 2,
               least: int = 8) -> dict[str, int]:
    """Column widths that fit `available` cells, each column taking `padding` more.

    The columns of the first tier give way first (down to `least`), then those of the next; the others keep their
    natural width. Too narrow even then: every column of the tiers at `least` (the table scrolls sideways).
    """
    widths = dict(natural)
    for tier in tiers:
        keys = [key for key in tier if key in widths]
        excess = sum(widths.values()) + padding * len(widths) - available
        if excess <= 0 or not keys:
            break
        widths |= _share(natural, keys, sum(widths[key] for key in keys) - excess, least)
    return widths


# The views read the run history and the pauses through this module.
__all__ = ["RUNS_PAGE", "LogLine", "RunRow", "clip", "counts_text", "duration_text", "fit_widths", "last_runs",
           "list_runs", "local_time", "next_run_text", "outcome_text", "paused_codes", "planned_runs", "run_codes",
           "run_log", "run_row"]
