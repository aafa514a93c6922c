"""The scheduler host: runs every batch on its schedule (APScheduler, asyncio), inside the console or headless."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ..settings import schema
from ..settings.editor import SettingsEditor
from ..settings.lock import ConfigLock, LockedError, read_holder
from .catalog import batch_specs
from .execute import BatchBusy, RunSummary, batch_lock, run_batch
from .kinds import NoticeKind, Trigger
from .planning import first_run
from .queries.pauses import is_paused, set_paused
from .queries.plans import clear_plan, record_plan
from .queries.retention import Pruned, prune_runs
from .runtime import BatchSpec, RunEvent, mark_interrupted
from .state import StateStore

# A run delayed by a suspended host still happens however late (coalesced into one), never silently dropped.
MISFIRE_GRACE_S = None
SYNC_EVERY_S = 30  # a fallback: consoles and `akadmin scheduler` follow pauses from other processes within seconds
STOP_GRACE_S = 30.0
DEFAULT_KEEP_DAYS = 90  # the schema's default for Keep run history (days)

logging.getLogger("apscheduler").addHandler(logging.NullHandler())  # never on a console's screen


@dataclass(frozen=True)
class HostNotice:
    """Something the host did on its own (a catch-up, a skipped overlap), for the log and the console."""

    code: str
    kind: NoticeKind
    text: str

    @property
    def notable(self) -> bool:
        """True when it tells of something that did not go as scheduled (worth interrupting the admin for)."""
        return self.kind.notable


Listener = Callable[[RunEvent | HostNotice], None]


SYNC_JOB = "__pauses__"
PRUNE_JOB = "__prune__"
PRUNE_EVERY = dt.timedelta(days=1)


def _lock_is_free(state: StateStore, code: str) -> bool:
    """True when no process runs this batch now (a run marked running there was cut short)."""
    lock = batch_lock(state, code)
    try:
        lock.acquire()
    except (LockedError, OSError):
        return False
    lock.release()
    return True


class HostBusy(Exception):
    """Another process already runs the batches of this state database."""


def host_lock(state_path: Path) -> ConfigLock:
    """The lock naming the one process that runs the batches of a state database."""
    return ConfigLock(state_path.with_name(state_path.name + ".host"))


def host_holder(state_path: Path) -> str | None:
    """Who runs the batches now, as 'user@host (pid N) since …', or None when nobody holds the lock."""
    lock = host_lock(state_path)
    try:
        lock.acquire()
    except LockedError as error:
        return error.holder.describe() if error.holder else "another process"
    lock.release()
    return None


@dataclass
class Running:
    """A run going on in this host."""

    code: str
    task: asyncio.Task
    cancel: threading.Event


class SchedulerHost:
    """Schedules and runs the batches; talks to the console only through listeners."""

    def __init__(self, editor: SettingsEditor, state: StateStore, *,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.editor = editor
        self.state = state
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self.running: dict[str, Running] = {}
        self.specs: dict[str, BatchSpec] = {}
        self.listeners: list[Listener] = []
        self._lock = host_lock(state.path)
        self.started = False
        self._published: dict[str, dt.datetime | None] | None = None  # the plan last written to the state

    # --- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Take the host lock (HostBusy names the holder), recover interrupted runs, schedule everything."""
        try:
            self._lock.acquire()
        except LockedError as error:
            who = error.holder.describe() if error.holder else "another process"
            raise HostBusy(f"the batches of {self.state.path} already run on {who}") from None
        interrupted = mark_interrupted(self.state, lambda code: _lock_is_free(self.state, code))
        if interrupted:
            self._notify("", NoticeKind.INTERRUPTED, f"{interrupted} run(s) were interrupted when the previous host stopped.")
        self.scheduler.start()
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_job(self.sync_pauses, "interval", seconds=SYNC_EVERY_S, id=SYNC_JOB)
        self.prune()
        self.scheduler.add_job(self.prune, "interval", seconds=PRUNE_EVERY.total_seconds(), id=PRUNE_JOB)
        self.started = True
        self.reload(self.editor)

    async def stop(self) -> None:
        """Cancel running batches (they record what they did), stop scheduling, release the lock."""
        for running in list(self.running.values()):
            running.cancel.set()
        tasks = [r.task for r in self.running.values()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self.started:
            self.scheduler.shutdown(wait=False)
            self.started = False
            self._write_plan(clear=True)
        self._lock.release()

    # --- the schedule ------------------------------------------------------------------------------

    def reload(self, editor: SettingsEditor) -> None:
        """Follow the saved batches: new ones scheduled, removed ones dropped, changed schedules replanned."""
        self.editor = editor
        fresh = {spec.code: spec for spec in batch_specs(editor)}
        if not self.started:
            self.specs = fresh
            return
        for code in list(self.specs):
            if code not in fresh and self.scheduler.get_job(code):
                self.scheduler.remove_job(code)
        for code, spec in fresh.items():
            old = self.specs.get(code)
            if old is None or old.schedule != spec.schedule or old.first_delay_s != spec.first_delay_s:
                self._plan(spec, first_time=old is None)
        self.specs = fresh
        self.sync_pauses()

    def sync_pauses(self) -> None:
        """Follow pauses recorded by another process (`akadmin batch pause|resume`)."""
        for code in self.specs:
            job = self.scheduler.get_job(code)
            if job is None:
                continue
            paused = self.is_paused(code)
            if paused and job.next_run_time is not None:
                self.scheduler.pause_job(code)
            elif not paused and job.next_run_time is None:
                self.scheduler.resume_job(code)
        self._write_plan()

    def prune(self) -> Pruned | None:
        """Delete the run history older than the State database's Keep run history (days)."""
        days = int(self.editor.values(schema.STATE).get("keep_runs_days") or DEFAULT_KEEP_DAYS)
        try:
            # The wall clock, not the planning clock (which tests set years ahead): history ages in real time.
            pruned = prune_runs(self.state, older_than=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
        except sqlite3.Error as error:
            self._notify("", NoticeKind.PRUNED, f"Old run history could not be deleted: {error}.")
            return None
        if pruned.runs:
            self._notify("", NoticeKind.PRUNED, f"{pruned.runs} run(s) older than {days} days deleted, with "
                                               f"{pruned.log_lines} log line(s).")
        return pruned

    def plan(self) -> dict[str, dt.datetime | None]:
        """When each known batch runs next on its own (None: on demand, paused or not planned)."""
        return {code: self.next_run(code) for code in self.specs}

    def _write_plan(self, *, clear: bool = False) -> None:
        # The command line and read-only consoles show this plan rather than guess one of their own.
        plan = None if clear else self.plan()
        if plan == self._published:
            return
        try:
            if plan is None:
                clear_plan(self.state)
            else:
                holder = read_holder(self._lock.path)
                record_plan(self.state, holder.describe() if holder else "this host", plan)
        except sqlite3.Error:
            return  # a busy or broken state database: the plan is written at the next change
        self._published = plan

    def _missed(self, event) -> None:
        if event.job_id not in (SYNC_JOB, PRUNE_JOB):
            self._notify(event.job_id, NoticeKind.SKIPPED, f"{event.job_id}: a scheduled run was skipped (the "
                                                           "previous one was still going on, or the host could not "
                                                           "run it in time).")

    def _plan(self, spec: BatchSpec, *, first_time: bool) -> None:
        if self.scheduler.get_job(spec.code):
            self.scheduler.remove_job(spec.code)
        first = first_run(spec, self.state, now=self.now())
        if first.at is None:
            return
        if spec.schedule.interval_s is not None:
            trigger = IntervalTrigger(seconds=spec.schedule.interval_s, start_date=first.at, timezone=dt.UTC)
        else:
            trigger = spec.schedule.trigger()
        self.scheduler.add_job(self._fire, trigger, id=spec.code, args=[spec.code, first.catch_up],
                               next_run_time=first.at, max_instances=1, coalesce=True,
                               misfire_grace_time=MISFIRE_GRACE_S, replace_existing=True)
        if self.is_paused(spec.code):
            self.scheduler.pause_job(spec.code)
        if first.catch_up or first_time:
            kind = NoticeKind.CATCH_UP if first.catch_up else NoticeKind.PLANNED
            self._notify(spec.code, kind, f"{spec.code}: {first.reason}.")

    def next_run(self, code: str) -> dt.datetime | None:
        """When the batch runs next on its own (None: on demand, paused or unknown)."""
        job = self.scheduler.get_job(code) if self.started else None
        return job.next_run_time if job is not None else None

    # --- pause, run now, cancel -----------------------------------------------------------------------

    def is_paused(self, code: str) -> bool:
        """True when the batch's schedule is paused (it still runs when started by hand)."""
        return is_paused(self.state, code)

    def set_paused(self, code: str, paused: bool) -> None:
        """Pause or resume a batch's schedule; remembered across restarts."""
        set_paused(self.state, code, paused)
        if self.scheduler.get_job(code):
            (self.scheduler.pause_job if paused else self.scheduler.resume_job)(code)
        self._write_plan()
        self._notify(code, NoticeKind.PAUSED if paused else NoticeKind.RESUMED,
                     f"{code}: schedule {'paused' if paused else 'resumed'}.")

    def run_now(self, code: str, trigger: Trigger = Trigger.MANUAL) -> asyncio.Task:
        """Start a run now in the background; BatchBusy when the batch is already running."""
        spec = self.specs.get(code)
        if spec is None:
            raise KeyError(code)
        if code in self.running:
            raise BatchBusy(f"{code} is already running")
        cancel = threading.Event()
        task = asyncio.get_running_loop().create_task(self._execute(spec, trigger, cancel))
        self.running[code] = Running(code, task, cancel)
        task.add_done_callback(lambda _t: self.running.pop(code, None))
        return task

    def cancel(self, code: str) -> bool:
        """Ask a running batch to stop between two items; False when it is not running."""
        running = self.running.get(code)
        if running is None:
            return False
        running.cancel.set()
        return True

    async def _fire(self, code: str, catch_up: bool = False) -> None:
        self._write_plan()  # the scheduler has just moved this job to its next fire time
        if self.is_paused(code):
            return
        if code in self.running:
            self._notify(code, NoticeKind.SKIPPED,
                         f"{code}: a scheduled run was skipped, the previous one is still going on.")
            return
        trigger = Trigger.CATCH_UP if catch_up else Trigger.SCHEDULE
        if catch_up:
            # Later fires of this job are plain scheduled runs.
            job = self.scheduler.get_job(code)
            if job is not None:
                job.modify(args=[code, False])
        try:
            await self.run_now(code, trigger)
        except BatchBusy as error:
            self._notify(code, NoticeKind.SKIPPED, f"{code}: scheduled run skipped: {error}.")

    async def _execute(self, spec: BatchSpec, trigger: Trigger, cancel: threading.Event) -> RunSummary | None:
        try:
            return await run_batch(spec, editor=self.editor, state=self.state, trigger=trigger,
                                   listener=self._emit, cancel=cancel)
        except BatchBusy as error:
            self._notify(spec.code, NoticeKind.BUSY, str(error))
            return None

    # --- listeners ---------------------------------------------------------------------------------

    def _emit(self, event: RunEvent | HostNotice) -> None:
        for listener in list(self.listeners):
            listener(event)

    def _notify(self, code: str, kind: NoticeKind, text: str) -> None:
        self._emit(HostNotice(code, kind, text))


__all__ = ["HostBusy", "HostNotice", "SchedulerHost", "host_holder", "host_lock", "read_holder", "set_paused"]
