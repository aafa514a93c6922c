"""Run one batch from start to end: lock, record, log, e-mail the log when it went wrong."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from ..connectors.http import HttpClient, make_client
from ..connectors.mail import MailError, OutgoingMail, send_mail
from ..connectors.probe import MASK
from ..settings.batch_params import PARAMETERS
from ..settings.editor import SettingsEditor, trusted_certificates
from ..settings.lock import ConfigLock, LockedError
from .kinds import EventKind, Trigger
from .queries import runs
from .runtime import (
    BatchCancelled,
    BatchFailure,
    BatchSpec,
    Listener,
    Outcome,
    RunContext,
    RunEvent,
    Runner,
    begin_run,
    end_run,
    host_label,
)
from .state import StateStore

Mailer = Callable[[SettingsEditor, OutgoingMail], Awaitable[str]]


class BatchBusy(Exception):
    """The batch is already running (here or on another host)."""


@dataclass(frozen=True)
class RunSummary:
    """How a run ended, for the command line and the console."""

    run_id: int
    code: str
    outcome: Outcome
    summary: str
    counts: dict[str, int]
    errors: int

    @property
    def failed(self) -> bool:
        """True when the run had errors, failed or was cancelled (exit code 1)."""
        return self.outcome is not Outcome.OK


def runner_for(template: str) -> Runner:
    """The code behind a template (imported late: each pulls its own connectors)."""
    from ..settings.batch_params import ACCOUNTING_EXPORT, CHECK_INVOICES, CHORUS_TRANSFER
    from . import accounting_export, catalog, check_invoices, chorus_transfer, signatures, statements

    runners = {CHECK_INVOICES.name: check_invoices.run, CHORUS_TRANSFER.name: chorus_transfer.run,
               ACCOUNTING_EXPORT.name: accounting_export.run,
               catalog.SIGNATURES_TEMPLATE: signatures.run, catalog.STATEMENTS_TEMPLATE: statements.run}
    if template not in runners:
        raise BatchFailure(f"the batch template {template!r} is unknown; pick one of {', '.join(runners)}")
    return runners[template]


def batch_lock(state: StateStore, code: str) -> ConfigLock:
    """The lock that keeps two runs of one batch apart, across processes: <state>.locks/<code>.lock."""
    return ConfigLock(state.path.with_name(state.path.name + ".locks") / code)


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in counts.items() if value) or "nothing to do"


def _log_parameters(ctx: RunContext) -> None:
    for code in sorted(ctx.params):
        field = PARAMETERS.get(code)
        value = ctx.params[code]
        shown = MASK if field is not None and field.is_secret and value else value
        ctx.info(f"Parameter {code} = {shown!s}")


async def _mail_log(ctx: RunContext, spec: BatchSpec, outcome: Outcome, mailer: Mailer) -> None:
    params = spec.params
    always = bool(spec.log_mail_to)
    to = spec.log_mail_to or str(params.get("BATCH_MAIL") or "")
    if not to or (not always and outcome is Outcome.OK):
        return
    mail = OutgoingMail(
        to=(to,), cc=tuple(filter(None, [str(params.get("BATCH_MAIL_CC") or "")])),
        bcc=tuple(filter(None, [str(params.get("BATCH_MAIL_CCI") or "")])),
        sender=str(params.get("BATCH_MAIL_FROM") or ""), reply_to=str(params.get("BATCH_MAIL_REPLY_TO") or ""),
        subject=f"[akadmin] {spec.code} — {outcome.value}" + (f", {ctx.errors} error(s)" if ctx.errors else ""),
        body="\n".join(ctx.lines) + "\n")
    try:
        where = await mailer(ctx.editor, mail)
    except MailError as error:
        ctx.warn(f"The execution log could not be e-mailed to {to}: {error}")
    else:
        ctx.info(f"Execution log e-mailed to {to} through {where}.")


async def run_batch(spec: BatchSpec, *, editor: SettingsEditor, state: StateStore, trigger: Trigger = Trigger.MANUAL,
                    listener: Listener | None = None, cancel: threading.Event | None = None,
                    client: HttpClient | None = None, mailer: Mailer | None = None,
                    now: Callable[[], dt.datetime] | None = None) -> RunSummary:
    """Run `spec` once and record it; raises BatchBusy when it is already running, never anything else."""
    lock = batch_lock(state, spec.code)
    try:
        lock.acquire()
    except LockedError as error:
        who = error.holder.describe() if error.holder else "another process"
        raise BatchBusy(f"{spec.code} is already running, on {who}") from None
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    try:
        if client is None:
            async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
                return await _run(spec, editor, state, trigger, listener, cancel, own, mailer or send_mail, clock)
        return await _run(spec, editor, state, trigger, listener, cancel, client, mailer or send_mail, clock)
    finally:
        lock.release()


async def _run(spec: BatchSpec, editor: SettingsEditor, state: StateStore, trigger: Trigger,
               listener: Listener | None, cancel: threading.Event | None, client: HttpClient, mailer: Mailer,
               clock: Callable[[], dt.datetime]) -> RunSummary:
    started = clock()
    # This process holds the batch's lock: an earlier run of it still marked running was killed.
    runs.mark_batch_interrupted(state, spec.code)
    run_id = begin_run(state, spec, trigger, started)
    if listener is not None:
        listener(RunEvent(run_id, spec.code, EventKind.STARTED, text=trigger))
    ctx = RunContext(spec, run_id, editor=editor, state=state, client=client, listener=listener, cancel=cancel,
                     now=clock, mailer=mailer)
    ctx.open_log_file()
    interrupted = False
    ctx.info(f"{spec.code} ({spec.template}) started ({trigger}) as {spec.started_by} on {host_label()}.")
    if spec.params.get("BATCH_DEBUG_PARAMS") is True:
        _log_parameters(ctx)
    try:
        await runner_for(spec.template)(ctx)
        outcome = Outcome.ERRORS if ctx.errors else Outcome.OK
    except BatchCancelled:
        ctx.warn("Cancelled by the administrator; what was done so far is kept.")
        outcome = Outcome.CANCELLED
    except asyncio.CancelledError:
        ctx.warn("Stopped: the host is shutting down; what was done so far is kept.")
        outcome = Outcome.CANCELLED
        interrupted = True
    except BatchFailure as failure:
        ctx.error(f"The run stopped: {failure}")
        outcome = Outcome.FAILED
    except Exception as error:  # noqa: BLE001 - a batch reports; it never takes the host down
        # Only the kind of error: its text could quote a value being sent.
        ctx.error(f"The run stopped on an unexpected error ({type(error).__name__}); the log above shows how far it got.")
        outcome = Outcome.FAILED
    ended = clock()
    summary = _format_counts(ctx.counts)
    ctx.info(f"Ended {outcome.value} in {(ended - started).total_seconds():.1f} s: {summary}.")
    end_run(state, run_id, outcome, summary, ctx.counts, ctx.errors, ctx.warnings, ended)
    if not interrupted:
        await _mail_log(ctx, spec, outcome, mailer)
    ctx.close()
    if listener is not None:
        listener(RunEvent(run_id, spec.code, EventKind.FINISHED, outcome=outcome.value, text=summary))
    return RunSummary(run_id, spec.code, outcome, summary, dict(ctx.counts), ctx.errors)


def state_dir(state: StateStore) -> Path:
    """The folder of the state database (signed documents and invoice copies live beside it)."""
    return state.path.parent
