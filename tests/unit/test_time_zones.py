"""Cron schedules read in a named zone: the same wall-clock time in winter and summer, and DST nights run once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from akadmin_tui.settings.schedules import parse_schedule
from akadmin_tui.settings.time_zones import in_zone, resolve_zone, zone_problem

PARIS = ZoneInfo("Europe/Paris")


def fires(expression: str, start: dt.datetime, count: int) -> list[dt.datetime]:
    """The next `count` fire times after `start`, as the host's scheduler asks for them (from each previous one)."""
    trigger = parse_schedule(expression, zone=PARIS).trigger()
    assert trigger is not None
    times: list[dt.datetime] = []
    previous = None
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, previous or start)
        assert fire is not None
        times.append(fire)
        previous = fire
    return times


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_weekday_cron_keeps_its_wall_clock_time_in_winter_and_summer() -> None:
    winter = fires("0 6 * * 1-5", utc(2027, 1, 4, 0, 0), 1)[0]  # a Monday
    summer = fires("0 6 * * 1-5", utc(2027, 7, 5, 0, 0), 1)[0]
    assert (winter, summer) == (utc(2027, 1, 4, 5, 0), utc(2027, 7, 5, 4, 0))
    assert in_zone(winter, PARIS) == "2027-01-04 06:00 CET" and in_zone(summer, PARIS) == "2027-07-05 06:00 CEST"


def test_a_time_the_clocks_skip_runs_once_when_they_jump() -> None:
    # 2027-03-28: Europe/Paris goes from 02:00 CET to 03:00 CEST; 02:30 does not exist that night.
    times = fires("30 2 * * *", utc(2027, 3, 27, 12, 0), 3)
    assert times == [utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 30), utc(2027, 3, 30, 0, 30)]
    assert in_zone(times[0], PARIS) == "2027-03-28 03:00 CEST"
    # Every time of a skipped hour collapses into one run at the jump.
    assert fires("*/20 2 * * *", utc(2027, 3, 27, 12, 0), 2) == [utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 0)]


def test_a_time_the_clocks_show_twice_runs_once_at_its_first_pass() -> None:
    # 2027-10-31: Europe/Paris goes back from 03:00 CEST to 02:00 CET; 02:30 shows twice.
    times = fires("30 2 * * *", utc(2027, 10, 30, 12, 0), 2)
    assert times == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]
    hourly = fires("30 * * * *", utc(2027, 10, 30, 23, 0), 4)
    assert [in_zone(t, PARIS) for t in hourly] == ["2027-10-31 01:30 CEST", "2027-10-31 02:30 CEST",
                                                   "2027-10-31 03:30 CET", "2027-10-31 04:30 CET"]


def test_a_host_started_during_the_second_pass_does_not_run_it_again() -> None:
    second_pass = utc(2027, 10, 31, 1, 10)  # 02:10 CET, after 02:30 CEST ran
    assert parse_schedule("30 2 * * *", zone=PARIS).next_after(second_pass) == utc(2027, 11, 1, 1, 30)


def test_intervals_count_elapsed_time_across_the_change() -> None:
    schedule = parse_schedule("every 1h", zone=PARIS)
    before = utc(2027, 3, 28, 0, 30)
    assert schedule.next_after(before, anchor=before) == utc(2027, 3, 28, 1, 30)


@pytest.mark.parametrize("value", ["", "Europe/Paris", "UTC", "America/Montreal", "  Asia/Tokyo "])
def test_known_zones_read(value: str) -> None:
    assert zone_problem(value) is None
    resolve_zone(value)


@pytest.mark.parametrize("value, hint", [
    ("europe/paris", "did you mean Europe/Paris?"),
    ("Europe/Pariss", "did you mean Europe/Paris?"),
    ("Paris", "did you mean Europe/Paris?"),
    ("new york", "did you mean America/New_York?"),
    ("CEST", "an IANA time zone name"),
    ("../../etc/passwd", "an IANA time zone name"),
    (3, "an IANA time zone name"),
])
def test_unknown_zones_say_what_is_expected(value: object, hint: str) -> None:
    problem = zone_problem(value)
    assert problem is not None and problem.startswith("must be ") and hint in problem
