"""The time zone cron schedules are read in, and fire times that stay right across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger

UTC_ZONE: dt.tzinfo = dt.UTC
EXPECTED_ZONE = "an IANA time zone name such as Europe/Paris, America/Montreal or UTC, or empty for the server's own zone"


class ZoneError(ValueError):
    """A time zone name the zone database does not know; the text says what is expected."""


@functools.cache
def server_zone() -> dt.tzinfo:
    """The server's own zone (TZ, else /etc/timezone or /etc/localtime); UTC when none is configured."""
    import tzlocal  # reads a few files: only when a schedule asks for it

    try:
        return tzlocal.get_localzone()
    except (ValueError, LookupError, OSError):
        return UTC_ZONE


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _suggestion(name: str) -> str:
    """' (did you mean Europe/Paris?)' for a near miss, else nothing."""
    known = _known_zones()
    by_case = {zone.lower(): zone for zone in known}
    by_city = sorted(zone for zone in known if zone.rsplit("/", 1)[-1].lower() == name.lower().replace(" ", "_"))
    close = ([by_case[name.lower()]] if name.lower() in by_case else by_city[:1] or
             difflib.get_close_matches(name, known, n=1))
    return f" (did you mean {close[0]}?)" if close else ""


def resolve_zone(name: str) -> dt.tzinfo:
    """The zone named `name` ('' for the server's own), or ZoneError saying what is expected."""
    cleaned = name.strip()
    if not cleaned:
        return server_zone()
    if cleaned.upper() == "UTC":
        return UTC_ZONE
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ZoneError(f"{EXPECTED_ZONE}; got {cleaned!r}{_suggestion(cleaned)}") from None


def zone_problem(value: object) -> str | None:
    """The validation message for a time zone field, or None when it names a known zone."""
    if not isinstance(value, str):
        return f"must be {EXPECTED_ZONE}"
    try:
        resolve_zone(value)
    except ZoneError as error:
        return f"must be {error}"
    return None


def zone_name(zone: dt.tzinfo) -> str:
    """The zone's IANA name (Europe/Paris), or UTC."""
    key = getattr(zone, "key", None)
    return str(key) if key else "UTC" if zone is UTC_ZONE else str(zone)


def in_zone(moment: dt.datetime, zone: dt.tzinfo, *, short: bool = False, seconds: bool = False) -> str:
    """A time in `zone` with the zone's abbreviation, e.g. 2026-11-23 06:00 CET (short: 11-23 06:00 CET)."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(zone)
    day = "%m-%d" if short else "%Y-%m-%d"
    return local.strftime(f"{day} %H:%M{':%S' if seconds else ''} %Z")


def _exists(wall: dt.datetime, zone: dt.tzinfo) -> bool:
    """False for a wall-clock time the clocks skip (02:30 when they go from 02:00 to 03:00)."""
    return wall.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == wall


def _first_pass(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The first instant a wall-clock time is shown (a time repeated when the clocks go back shows twice)."""
    return wall.replace(tzinfo=zone, fold=0)


def _gap_end(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The instant the clocks jumped over `wall` (a skipped time): the first valid time after it."""
    early, late = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1))
    after = late.astimezone(zone).utcoffset()
    while late - early > dt.timedelta(seconds=1):
        middle = early + (late - early) / 2
        if middle.astimezone(zone).utcoffset() == after:
            late = middle
        else:
            early = middle
    return late.replace(microsecond=0).astimezone(zone)


class ZonedCronTrigger(CronTrigger):
    """A cron trigger read in its zone with the daylight-saving rules admins expect from cron.

    A time repeated when the clocks go back fires once, at its first pass; a time skipped when they go
    forward fires once, when the clocks jump (02:30 on the night Europe/Paris goes from 02:00 to 03:00
    fires at 03:00 CEST). Fire times are given in UTC: a time in a repeated hour never compares equal
    to the same instant in another zone (PEP 495), and the host compares them with the clock.
    """

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> Any:
        zone = self.timezone
        fire = self._cron_after(previous_fire_time, now)
        while fire is not None:
            wall = fire.replace(tzinfo=None, fold=0)
            if not _exists(wall, zone):
                jumped = _gap_end(wall, zone)
                if previous_fire_time is None or jumped > previous_fire_time:
                    return jumped.astimezone(dt.UTC)
            elif fire.astimezone(dt.UTC) == _first_pass(wall, zone).astimezone(dt.UTC):
                return fire.astimezone(dt.UTC)
            # The second pass of a repeated time (or a skipped time already fired at the jump): next one.
            fire = self._cron_after(fire, fire)
        return None

    def _cron_after(self, previous: dt.datetime | None, now: dt.datetime) -> Any:
        # APScheduler steps past `previous` only when it compares equal to its own start, which two zones'
        # times in a repeated hour never do: start the search strictly after it, counted in UTC (a sum in the
        # zone itself would drop the fold and land in the first pass again).
        if previous is not None:
            previous = previous.astimezone(dt.UTC)
            now = max(now.astimezone(dt.UTC), previous + dt.timedelta(microseconds=1))
        return super().get_next_fire_time(previous, now)
