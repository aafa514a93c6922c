"""`akadmin batch`, `akadmin invoices` and `akadmin scheduler`: the batches, headless."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import signal
import sys
from pathlib import Path
from typing import TextIO

from .cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, _target, open_config
from .settings import schema
from .settings.editor import SettingsEditor
from .settings.store import ConfigError, ConfigFile
from .settings.vault import VaultError

RELOAD_EVERY_S = 30.0


def _open(args: argparse.Namespace):
    from .batches.state import StateError, StateStore, state_path_for

    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    try:
        state = StateStore(state_path_for(config.path, config.plain()))
    except StateError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    return config, SettingsEditor(config), state


def _local(stamp: str | None) -> str:
    if not stamp:
        return ""
    return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


# --- akadmin batch ----------------------------------------------------------------------------------

def cmd_batch_list(args: argparse.Namespace) -> int:
    from .batches.catalog import batch_specs
    from .batches.host import host_holder
    from .batches.planning import plan_first_run

    _config, editor, state = _open(args)
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for spec in batch_specs(editor):
        last = state.query("SELECT started_at, outcome, summary FROM batch_runs WHERE batch_code = ? ORDER BY id DESC "
                           "LIMIT 1", (spec.code,))
        paused = bool(state.query("SELECT paused FROM batch_control WHERE batch_code = ? AND paused = 1", (spec.code,)))
        last_scheduled = state.query("SELECT MAX(started_at) FROM batch_runs WHERE batch_code = ? AND trigger != 'manual' "
                                     "AND trigger != 'command'", (spec.code,))[0][0]
        plan = plan_first_run(spec, now=now, last_run=dt.datetime.fromisoformat(last_scheduled) if last_scheduled else None)
        rows.append({"code": spec.code, "label": spec.label, "template": spec.template,
                     "schedule": spec.schedule.describe() + (" (built-in)" if spec.builtin else ""),
                     "paused": paused, "next_run": None if paused or plan.at is None else plan.at.isoformat(),
                     "last_run": last[0]["started_at"] if last else None, "last_outcome": last[0]["outcome"] if last else None,
                     "last_summary": last[0]["summary"] if last else None})
    holder = host_holder(state.path)
    if args.json:
        print(json.dumps({"host": holder, "batches": rows}, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Batches run on {holder}." if holder else "No scheduler host is running (akadmin scheduler, or the console).")
    for row in rows:
        nxt = "paused" if row["paused"] else (_local(row["next_run"]) or "on demand")
        last = f"{row['last_outcome']} {_local(row['last_run'])}" if row["last_run"] else "never run"
        print(f"{row['code']:<20} {row['template']:<34} {row['schedule']:<22} next {nxt:<17} last {last}")
    return EXIT_OK


def cmd_batch_run(args: argparse.Namespace) -> int:
    from .batches.catalog import batch_specs, find_spec
    from .batches.execute import BatchBusy, run_batch

    _config, editor, state = _open(args)
    spec = find_spec(editor, args.code)
    if spec is None:
        known = ", ".join(s.code for s in batch_specs(editor)) or "none"
        raise CliError(f"no batch {args.code!r}; known: {known}")
    problems = [f for f in editor.findings() if f.where.startswith(f"batches.{args.code}.") and f.severity == "error"]
    if problems:
        raise CliError("the batch cannot run:\n" + "\n".join(f"  {p}" for p in problems))
    try:
        summary = asyncio.run(run_batch(spec, editor=editor, state=state, trigger="command"))
    except BatchBusy as error:
        raise CliError(str(error), EXIT_FAILED) from None
    if args.json:
        print(json.dumps({"run_id": summary.run_id, "code": summary.code, "outcome": summary.outcome.value,
                          "errors": summary.errors, "counts": summary.counts, "summary": summary.summary}, indent=2))
    else:
        print(f"{summary.code}: {summary.outcome.value} — {summary.summary} (run {summary.run_id}; "
              f"akadmin batch log {summary.run_id})")
    return EXIT_FAILED if summary.failed else EXIT_OK


def cmd_batch_pause(args: argparse.Namespace) -> int:
    from .batches.catalog import find_spec
    from .batches.host import set_paused

    _config, editor, state = _open(args)
    if find_spec(editor, args.code) is None:
        raise CliError(f"no batch {args.code!r}")
    set_paused(state, args.code, args.batch_command == "pause")
    print(f"{args.code}: schedule {'paused' if args.batch_command == 'pause' else 'resumed'} (a running host applies it "
          "at the next fire time).")
    return EXIT_OK


def cmd_batch_log(args: argparse.Namespace) -> int:
    from .settings.batch_params import LOG_LEVELS

    _config, _editor, state = _open(args)
    run = state.query("SELECT * FROM batch_runs WHERE id = ?", (args.run_id,))
    if not run:
        raise CliError(f"no run {args.run_id}")
    levels = LOG_LEVELS[LOG_LEVELS.index(args.level):]
    lines = state.query(f"SELECT at, level, text FROM run_log WHERE run_id = ? AND level IN ({', '.join('?' * len(levels))}) "
                        "ORDER BY seq", (args.run_id, *levels))
    head = run[0]
    print(f"Run {head['id']} of {head['batch_code']} ({head['trigger']}), {head['outcome']}: {head['summary']}")
    for line in lines:
        print(f"{_local(line['at'])} {line['level']:<5} {line['text']}")
    return EXIT_OK


# --- akadmin invoices --------------------------------------------------------------------------------

def cmd_invoices_import(args: argparse.Namespace) -> int:
    from .batches.invoices import import_invoice
    from .batches.state import invoice_files_dir

    _config, editor, state = _open(args)
    if args.company not in [k for k in editor.record_keys(schema.COMPANIES) if k]:
        raise CliError(f"company {args.company!r} is not in Companies; add it first (or check the code)")
    failed = False
    for name in args.files:
        outcome = import_invoice(state, Path(name), args.company, manager_email=args.manager or "",
                                 data_dir=invoice_files_dir(state.path))
        print(f"{outcome.status:<16} {outcome.message}", file=sys.stderr if outcome.status == "refused" else sys.stdout)
        failed |= outcome.status == "refused"
    return EXIT_FAILED if failed else EXIT_OK


def cmd_invoices_release(args: argparse.Namespace) -> int:
    _config, _editor, state = _open(args)
    rows = state.query("SELECT id, transfer_state FROM invoices WHERE company = ? AND number = ?", (args.company, args.number))
    if not rows:
        raise CliError(f"no invoice {args.number} of company {args.company}")
    if rows[0]["transfer_state"] != "sending":
        raise CliError(f"invoice {args.number} is {rows[0]['transfer_state']}, not in doubt: nothing to release")
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'released', answered_at = ?, message = 'released by the administrator' "
                   "WHERE invoice_id = ? AND state = 'sending'", (stamp, rows[0]["id"]))
        db.execute("UPDATE invoices SET transfer_state = 'pending', updated_at = ? WHERE id = ?", (stamp, rows[0]["id"]))
    print(f"invoice {args.number} of {args.company} is pending again: the next transfer deposits it")
    return EXIT_OK


def cmd_invoices_list(args: argparse.Namespace) -> int:
    from .batches.invoices import InvoiceFilter, count_invoices, list_invoices

    _config, _editor, state = _open(args)
    flt = InvoiceFilter(company=args.company, status=args.status, text=args.search)
    rows = list_invoices(state, flt, 0, args.limit)
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2, ensure_ascii=False, default=str))
        return EXIT_OK
    print(f"{count_invoices(state, flt)} invoice(s); showing {len(rows)}")
    for row in rows:
        print(f"{row.company:<8} {row.number:<18} {row.amount:>12} {row.currency} {row.transfer_state:<11} "
              f"{row.chorus_status or '-':<22} {row.erp_status}")
    return EXIT_OK


# --- akadmin scheduler --------------------------------------------------------------------------------

class _HostLog:
    """Writes what the host does to stderr and to the scheduler's log file."""

    def __init__(self, file: TextIO | None) -> None:
        self.file = file

    def write(self, text: str) -> None:
        line = f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S} {text}"
        for stream in (sys.stderr, self.file):
            if stream is not None:
                try:
                    stream.write(line + "\n")
                    stream.flush()
                except OSError:
                    pass

    def __call__(self, event) -> None:
        from .batches.host import HostNotice

        if isinstance(event, HostNotice):
            self.write(event.text)
        elif event.kind == "started":
            self.write(f"[{event.batch_code}] run {event.run_id} started ({event.text})")
        elif event.kind == "finished":
            self.write(f"[{event.batch_code}] run {event.run_id} {event.outcome}: {event.text}")


def cmd_scheduler(args: argparse.Namespace) -> int:
    from .batches.host import HostBusy, SchedulerHost

    target = _target(args)
    config, editor, state = _open(args)
    log_path = Path(args.log_file) if args.log_file else state.path.with_name(state.path.name + ".scheduler.log")
    try:
        log_file = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the host's life
    except OSError as error:
        raise CliError(f"cannot write the log file {log_path}: {error.strerror or error}", EXIT_FAILED) from None
    log = _HostLog(log_file)

    async def serve() -> int:
        host = SchedulerHost(editor, state)
        host.listeners.append(log)
        try:
            host.start()
        except HostBusy as error:
            raise CliError(str(error), EXIT_FAILED) from None
        log.write(f"akadmin scheduler started on {state.path}; {len(host.specs)} batch(es); log {log_path}")
        for code in host.specs:
            nxt = host.next_run(code)
            log.write(f"  {code}: next run {nxt.astimezone():%Y-%m-%d %H:%M:%S}" if nxt else f"  {code}: on demand")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        current: ConfigFile = config
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=RELOAD_EVERY_S)
            except TimeoutError:
                current = _reload(current, target, host, log)
        log.write("stopping: running batches are asked to stop and record what they did")
        await host.stop()
        log.write("akadmin scheduler stopped")
        return EXIT_OK

    try:
        return asyncio.run(serve())
    finally:
        log_file.close()


def _reload(config: ConfigFile, target, host, log: _HostLog) -> ConfigFile:
    """Follow a config saved by a console: reopen it with the same key and replan the batches."""
    if not config.changed_on_disk():
        return config
    try:
        fresh = target.open(passphrase=config.passphrase)
    except (ConfigError, VaultError) as error:
        log.write(f"the config changed on disk but cannot be reread ({error}); keeping the previous one")
        return config
    fresh.read_only = True
    host.reload(SettingsEditor(fresh))
    log.write("the config changed on disk: batches replanned")
    return fresh


# --- parser ------------------------------------------------------------------------------------------

def add_commands(sub, common, passphrase_stdin) -> None:
    """Add the batch, invoices and scheduler commands to the `akadmin` parser."""
    batch = sub.add_parser("batch", help="list, run, pause or resume batches; read a run's log")
    batch_sub = batch.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    lst = batch_sub.add_parser("list", help="every batch with its schedule, next run and last outcome")
    lst.add_argument("--json", action="store_true")
    run = batch_sub.add_parser("run", help="run a batch now, in the foreground (exit 1 when the run had errors)")
    run.add_argument("code", metavar="CODE")
    run.add_argument("--json", action="store_true")
    pause = batch_sub.add_parser("pause", help="pause a batch's schedule (it still runs by hand)")
    resume = batch_sub.add_parser("resume", help="resume a paused schedule")
    for parser_ in (pause, resume):
        parser_.add_argument("code", metavar="CODE")
    log = batch_sub.add_parser("log", help="print the log of a run")
    log.add_argument("run_id", metavar="RUN", type=int)
    log.add_argument("--level", choices=("DEBUG", "LOG", "WARN", "ERROR"), default="DEBUG",
                     help="show this level and above")
    for parser_, func in ((lst, cmd_batch_list), (run, cmd_batch_run), (pause, cmd_batch_pause),
                          (resume, cmd_batch_pause), (log, cmd_batch_log)):
        common(parser_, suppress=True)
        passphrase_stdin(parser_)
        parser_.set_defaults(func=func)

    invoices = sub.add_parser("invoices", help="invoices for CHORUS PRO: import files, list them")
    invoices_sub = invoices.add_subparsers(dest="invoices_command", metavar="ACTION", required=True)
    imp = invoices_sub.add_parser("import", help="import Factur-X PDF, UBL or CII XML invoices (exit 1 if one is refused)")
    imp.add_argument("files", metavar="FILE", nargs="+")
    imp.add_argument("--company", metavar="CODE", required=True, help="the issuing company (see Companies)")
    imp.add_argument("--manager", metavar="EMAIL", help="the invoice manager alerted on CHORUS statuses")
    show = invoices_sub.add_parser("list", help="list invoices (newest first)")
    show.add_argument("--company", metavar="CODE")
    show.add_argument("--status", metavar="STATUS", help="a CHORUS status, e.g. REJETEE")
    show.add_argument("--search", metavar="TEXT", help="in the number or the customer")
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--json", action="store_true")
    release = invoices_sub.add_parser("release", help="send again an invoice whose deposit got no answer, once the "
                                                      "CHORUS PRO portal shows it never arrived")
    release.add_argument("number", metavar="NUMBER")
    release.add_argument("--company", metavar="CODE", required=True)
    for parser_, func in ((imp, cmd_invoices_import), (show, cmd_invoices_list), (release, cmd_invoices_release)):
        common(parser_, suppress=True)
        passphrase_stdin(parser_)
        parser_.set_defaults(func=func)

    scheduler = sub.add_parser("scheduler", help="run the batches headless (for systemd); Ctrl+C or SIGTERM stops")
    scheduler.add_argument("--log-file", metavar="PATH", help="default: <state database>.scheduler.log")
    common(scheduler, suppress=True)
    passphrase_stdin(scheduler)
    scheduler.set_defaults(func=cmd_scheduler)


__all__ = ["add_commands", "EXIT_USAGE"]
