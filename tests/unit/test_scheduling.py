"""Schedules, the first run after a host starts, catch-up after downtime: all with an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest

from akadmin_tui.batches.planning import missed_runs, plan_first_run
from akadmin_tui.batches.runtime import BatchSpec
from akadmin_tui.settings.schedules import ScheduleError, parse_schedule, schedule_problem

UTC = dt.UTC
SATURDAY_7AM = dt.datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def spec(schedule: str, **extra) -> BatchSpec:
    return BatchSpec("B", "B", "CheckFacturesClientChorus", parse_schedule(schedule), **extra)


@pytest.mark.parametrize("text, seconds", [("every 6h", 21600), ("every 900s", 900), ("Every 15 m", 900),
                                           ("every 1d", 86400)])
def test_intervals_read(text: str, seconds: int) -> None:
    assert parse_schedule(text).interval_s == seconds


@pytest.mark.parametrize("text", ["every 10s", "every 40d", "every 5 weeks", "0 6 * *", "61 * * * *", "0 6 * * 9"])
def test_bad_schedules_say_what_is_expected(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)
    assert schedule_problem(text).startswith("must be")


def test_empty_schedule_means_on_demand() -> None:
    assert parse_schedule("  ").on_demand
    assert plan_first_run(spec(""), now=SATURDAY_7AM, last_run=None).at is None


@pytest.mark.parametrize("expression, expected", [
    ("0 6 * * 1-5", dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),  # cron's 1-5 is Monday to Friday
    ("0 6 * * 0", dt.datetime(2026, 11, 22, 6, 0, tzinfo=UTC)),  # 0 is Sunday
    ("30 2 * * 7", dt.datetime(2026, 11, 22, 2, 30, tzinfo=UTC)),  # so is 7
    ("0 6 * * mon-fri", dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
])
def test_cron_days_of_week_mean_what_cron_means(expression: str, expected: dt.datetime) -> None:
    assert parse_schedule(expression).next_after(SATURDAY_7AM) == expected


def test_builtin_task_first_runs_after_its_start_period() -> None:
    task = spec("every 21600s", builtin=True, first_delay_s=20)
    first = plan_first_run(task, now=SATURDAY_7AM, last_run=SATURDAY_7AM - dt.timedelta(days=3))
    assert first.at == SATURDAY_7AM + dt.timedelta(seconds=20)
    assert not first.catch_up  # the seed's rule: start period, not catch-up


def test_host_down_for_a_day_runs_each_missed_batch_once_and_says_so() -> None:
    hourly = spec("every 1h")
    last = SATURDAY_7AM - dt.timedelta(days=1)
    first = plan_first_run(hourly, now=SATURDAY_7AM, last_run=last)
    assert first.catch_up and first.at == SATURDAY_7AM
    assert first.missed == 24
    assert "24 scheduled run(s) missed" in first.reason and "running once now" in first.reason


def test_no_catch_up_when_nothing_was_missed() -> None:
    hourly = spec("every 1h")
    last = SATURDAY_7AM - dt.timedelta(minutes=20)
    first = plan_first_run(hourly, now=SATURDAY_7AM, last_run=last)
    assert not first.catch_up
    assert first.at == last + dt.timedelta(hours=1)  # the interval keeps its rhythm


def test_cron_misses_are_counted_from_the_last_run() -> None:
    daily = spec("0 6 * * *")
    count, first = missed_runs(daily, SATURDAY_7AM - dt.timedelta(days=3), SATURDAY_7AM)
    assert count == 3 and first == dt.datetime(2026, 11, 19, 6, 0, tzinfo=UTC)


def test_never_run_batch_waits_for_its_first_time() -> None:
    first = plan_first_run(spec("0 6 * * *"), now=SATURDAY_7AM, last_run=None)
    assert first.at == dt.datetime(2026, 11, 22, 6, 0, tzinfo=UTC) and not first.catch_up
