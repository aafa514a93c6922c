"""Named values the batches store and report: triggers, outcomes, run events, host notices."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How a run ended."""

    RUNNING = "running"
    OK = "ok"
    ERRORS = "errors"  # it finished, but logged errors (some items failed)
    FAILED = "failed"  # it stopped early on an error
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the host stopped while it ran (found on the next start)


class Trigger(StrEnum):
    """What started a run; the value is what the run history stores."""

    SCHEDULE = "schedule"  # the host, at a planned time
    CATCH_UP = "catch-up"  # the host, once, for runs missed while no host was running
    MANUAL = "manual"  # run now, from the console
    COMMAND = "command"  # `akadmin batch run`

    @property
    def by_hand(self) -> bool:
        """True for runs an administrator started: they never shift the schedule."""
        return self in BY_HAND


# Runs started by hand; every other trigger counts as a run of the schedule.
BY_HAND: tuple[Trigger, ...] = (Trigger.MANUAL, Trigger.COMMAND)


class EventKind(StrEnum):
    """What a run tells its listeners."""

    STARTED = "started"
    LOG = "log"
    PROGRESS = "progress"
    FINISHED = "finished"


class NoticeKind(StrEnum):
    """What the host did on its own."""

    PLANNED = "planned"  # a first or next run planned
    CATCH_UP = "catch-up"  # runs were missed while no host was running: one now
    SKIPPED = "skipped"  # a scheduled run did not happen (the previous one was still going on)
    BUSY = "busy"  # the batch already runs elsewhere
    INTERRUPTED = "interrupted"  # runs were cut short when the previous host stopped
    PAUSED = "paused"
    RESUMED = "resumed"
    PRUNED = "pruned"  # run history older than the configured time deleted

    @property
    def notable(self) -> bool:
        """True when it tells of something that did not go as scheduled."""
        return self in NOTABLE


NOTABLE: frozenset[NoticeKind] = frozenset({NoticeKind.CATCH_UP, NoticeKind.SKIPPED, NoticeKind.BUSY,
                                            NoticeKind.INTERRUPTED})
