"""Batch schedules as an admin writes them: `every 6h`, `every 900s`, or a five-field cron expression."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from apscheduler.triggers.cron import CronTrigger

from .time_zones import UTC_ZONE, ZonedCronTrigger, zone_name

_EVERY = re.compile(r"^every\s+([0-9]+)\s*(s|m|h|d)$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 31 * 86400
# A cron with no fire time this far ahead never fires (31 February); 8 years covers 29 February across 2100.
NEVER_HORIZON_YEARS = 8


class ScheduleError(ValueError):
    """A schedule that cannot be read; the text says what is expected."""


@dataclass(frozen=True)
class Schedule:
    """When a batch runs on its own: every `interval_s`, or at the times of `cron` read in `zone` (None: on demand)."""

    text: str
    interval_s: int | None = None
    cron: str | None = None
    zone: dt.tzinfo = field(default=UTC_ZONE)

    @property
    def on_demand(self) -> bool:
        """True when the batch only runs when started by hand."""
        return self.interval_s is None and self.cron is None

    def describe(self) -> str:
        """A short human form, e.g. 'every 6 h' or 'cron 0 6 * * 1-5'."""
        if self.interval_s is not None:
            for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
                if self.interval_s % size == 0:
                    return f"every {self.interval_s // size} {unit}"
            return f"every {self.interval_s} s"
        return f"cron {self.cron}" if self.cron else "on demand"

    @property
    def zone_name(self) -> str:
        """The zone's IANA name, e.g. Europe/Paris."""
        return zone_name(self.zone)

    def trigger(self) -> CronTrigger | None:
        """The cron trigger, read in the schedule's zone (None for intervals and on-demand batches)."""
        return _cron_trigger(self.cron, self.zone) if self.cron else None

    def next_after(self, moment: dt.datetime, anchor: dt.datetime | None = None) -> dt.datetime | None:
        """The first fire time strictly after `moment` (intervals count from `anchor`, else from `moment`)."""
        if self.interval_s is not None:
            step = dt.timedelta(seconds=self.interval_s)
            if anchor is None or anchor > moment:
                return (anchor if anchor is not None else moment + step)
            periods = int((moment - anchor) / step) + 1
            return anchor + periods * step
        # In the schedule's zone, whatever zone `moment` carries: the hint must match what the host does.
        trigger = self.trigger()
        if trigger is None:
            return None
        return trigger.get_next_fire_time(None, moment + dt.timedelta(microseconds=1))


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _standard_days(field: str) -> str:
    """Day-of-week numbers as cron means them (0 or 7 = Sunday), as names APScheduler cannot misread.

    APScheduler 3 counts 0 as Monday, so `1-5` would silently mean Tuesday to Saturday.
    """
    names: list[str] = []
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if span == "*":
            if not step_text:
                return "*"
            first, last = 0, 6
        elif "-" in span and all(side.isdigit() for side in span.split("-", 1)):
            first, last = (int(side) for side in span.split("-", 1))
        elif span.isdigit():
            first = last = int(span)
        else:
            names.append(part)  # names (mon-fri) and anything else: APScheduler reads or refuses them
            continue
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ValueError(f"day of week {part!r} is not within 0-7")
        names += [_DAY_NAMES[day % 7] for day in range(first, last + 1, step)]
    return ",".join(dict.fromkeys(names))


def _cron_trigger(expression: str, timezone: dt.tzinfo, end: dt.datetime | None = None) -> CronTrigger:
    minute, hour, day, month, days = expression.split(" ")
    return ZonedCronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_standard_days(days),
                       timezone=timezone, end_date=end)


def _never_fires(expression: str, now: dt.datetime) -> bool:
    """True when the cron has no fire time within the horizon (searched up to it only: past it is slow)."""
    end = now + dt.timedelta(days=366 * NEVER_HORIZON_YEARS)
    return _cron_trigger(expression, UTC_ZONE, end).get_next_fire_time(None, now) is None


EXPECTED = ("'every N' with s, m, h or d (e.g. every 6h, every 900s), a five-field cron expression "
            "read in the batch host's time zone (e.g. 0 6 * * 1-5 for 6:00 on weekdays), or empty to run only "
            "on demand")


def parse_schedule(text: str, now: dt.datetime | None = None, zone: dt.tzinfo = UTC_ZONE) -> Schedule:
    """Read a schedule whose cron times are in `zone`, or raise ScheduleError saying what is expected.

    A cron must fire after `now`.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        return Schedule("", zone=zone)
    every = _EVERY.match(cleaned)
    if every:
        seconds = int(every.group(1)) * _UNIT_S[every.group(2).lower()]
        if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
            raise ScheduleError(f"an interval from {MIN_INTERVAL_S} s to 31 days; got {cleaned!r}")
        return Schedule(cleaned, interval_s=seconds, zone=zone)
    if len(cleaned.split(" ")) != 5:
        raise ScheduleError(f"{EXPECTED}; got {cleaned!r}")
    try:
        never = _never_fires(cleaned, now or dt.datetime.now(dt.UTC))
    except ValueError as error:
        raise ScheduleError(f"a valid cron expression ({error}); got {cleaned!r}") from None
    if never:
        raise ScheduleError(f"a cron expression that fires: {cleaned!r} never fires (no time matches it in the next "
                            f"{NEVER_HORIZON_YEARS} years; a day its month does not have, such as 31 February?); "
                            "leave it empty to run the batch only by hand")
    return Schedule(cleaned, cron=cleaned, zone=zone)


def schedule_problem(value: object) -> str | None:
    """The validation message for a schedule field, or None when it reads."""
    if not isinstance(value, str):
        return f"must be {EXPECTED}"
    try:
        parse_schedule(value)
    except ScheduleError as error:
        return f"must be {error}"
    return None
