"""The console's side of the scheduler host: it runs the batches here, or says who runs them elsewhere."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import App
from textual.message import Message
from textual.signal import Signal

from ..batches.host import HostBusy, HostNotice, SchedulerHost, host_holder
from ..batches.kinds import EventKind
from ..batches.runtime import RunEvent
from ..batches.state import StateStore
from ..settings.editor import SettingsEditor


@dataclass(frozen=True)
class ChangedElsewhere:
    """Another process wrote the state database (a run, a pause, a plan): views read what they show again."""


HostOutput = RunEvent | HostNotice  # what the host itself says
HostReport = HostOutput | ChangedElsewhere  # what the views hear

FOLLOW_EVERY_S = 2.0  # how soon the console shows what `akadmin batch run|pause` or another host did


class HostEvent(Message):
    """The host reported something (a run's log line, progress, start or end, or a notice)."""

    def __init__(self, report: HostOutput) -> None:
        super().__init__()
        self.report = report


@dataclass
class LiveRun:
    """A run going on in this console's host, as far as its events told."""

    run_id: int
    code: str
    done: int = 0
    total: int = 0
    lines: int = 0  # log lines passed on to the views so far

    @property
    def percent(self) -> int | None:
        """How far it is, or None while the run has not said how much there is to do."""
        return int(100 * self.done / self.total) if self.total else None


class HostLink:
    """Owns the SchedulerHost of this console (when it got the host lock) and fans its reports out to views."""

    def __init__(self, app: App, state: StateStore, *, now: Callable[[], dt.datetime] | None = None) -> None:
        self.app = app
        self.state = state
        self.now = now
        self.host: SchedulerHost | None = None
        self.elsewhere: str | None = None
        self.live: dict[str, LiveRun] = {}
        self.notices: deque[str] = deque(maxlen=50)
        self.notable: str | None = None  # the last notice that did not go as scheduled
        # Views subscribe to this; it is only ever published from the App's message handler.
        self.reports: Signal[HostReport] = Signal(app, "batch-reports")

    @property
    def controls(self) -> bool:
        """True when this console runs the batches, so run, pause and cancel work here."""
        return self.host is not None

    def start(self, editor: SettingsEditor) -> None:
        """Take the host lock and schedule the batches; another process holding it makes this console read-only."""
        host = SchedulerHost(editor, self.state, now=self.now)
        # The host calls listeners on the event loop; a message keeps the UI's own order of handling.
        host.listeners.append(lambda report: self.app.post_message(HostEvent(report)))
        try:
            host.start()
        except HostBusy:
            who = host_holder(self.state.path) or "another process"
            self.elsewhere = f"Batches run on {who}: read-only here (no run, pause or cancel)."
            return
        except OSError as error:
            self.elsewhere = f"Batches cannot run here: the host lock cannot be taken ({error.strerror or error})."
            return
        self.host = host

    async def stop(self) -> None:
        """Stop the host (running batches record that they were stopped) and release its lock."""
        host, self.host = self.host, None
        if host is not None:
            await host.stop()

    def reload(self, editor: SettingsEditor) -> None:
        """Follow saved batch records and interface switches."""
        if self.host is not None:
            self.host.reload(editor)

    def follow(self) -> bool:
        """Tell the views when another process changed the state database; True when it did."""
        if not self.state.changed_elsewhere():
            return False
        if self.host is not None:
            self.host.sync_pauses()  # a pause from `akadmin batch pause` applies now, not at the next sync
        self.reports.publish(ChangedElsewhere())
        return True

    def receive(self, report: HostOutput) -> None:
        """Track live runs and notices, then tell every subscribed view."""
        if isinstance(report, HostNotice):
            self.notices.append(report.text)
            # A catch-up, a skipped run, runs cut short interrupt the admin; routine notices are only kept.
            if report.notable:
                self.notable = report.text
                self.app.notify(report.text, title="Batches", severity="warning", timeout=8)
        elif report.kind == EventKind.STARTED:
            self.live[report.batch_code] = LiveRun(report.run_id, report.batch_code)
        elif report.kind == EventKind.PROGRESS:
            live = self.live.setdefault(report.batch_code, LiveRun(report.run_id, report.batch_code))
            live.done, live.total = report.done, report.total
        elif report.kind == EventKind.LOG and report.batch_code in self.live:
            self.live[report.batch_code].lines += 1
        elif report.kind == EventKind.FINISHED:
            self.live.pop(report.batch_code, None)
        self.reports.publish(report)

    def status_line(self) -> str:
        """One line for the Batches views: who runs the batches."""
        if self.host is not None:
            return "This console runs the batches."
        return self.elsewhere or "Batches cannot run here."
