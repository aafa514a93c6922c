"""`akadmin batch list|run|pause|resume|log`: the batches, headless."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from typing import Any

from ..settings.time_zones import in_zone, zone_name
from .common import EXIT_FAILED, EXIT_OK, CliError, local_time, open_with_state, runs


def cmd_batch_list(args: argparse.Namespace) -> int:
    from ..batches.catalog import batch_specs, plan_zone
    from ..batches.host import host_holder
    from ..batches.planning import next_run, utc_now
    from ..batches.queries.pauses import is_paused
    from ..batches.queries.plans import planned_runs
    from ..batches.queries.runs import last_runs

    _config, editor, state = open_with_state(args)
    now = utc_now()
    latest = last_runs(state)
    holder = host_holder(state.path)
    # A running host's own plan is the truth; without one, when a host starting now would run each batch.
    plan = planned_runs(state) if holder else {}
    zone = plan_zone(editor)
    rows: list[dict[str, Any]] = []
    for spec in batch_specs(editor):
        last = latest.get(spec.code)
        by_host = spec.code in plan
        planned = plan[spec.code] if by_host else next_run(spec, state, now=now)
        rows.append({"code": spec.code, "label": spec.label, "template": spec.template,
                     "schedule": spec.schedule.describe() + (" (built-in)" if spec.builtin else ""),
                     "paused": is_paused(state, spec.code),
                     "next_run": planned.astimezone(zone).isoformat() if planned else None,
                     "next_run_from": "host" if by_host else "estimate",
                     "last_run": last.started_at if last else None, "last_outcome": last.outcome if last else None,
                     "last_summary": last.summary if last else None})
    if args.json:
        print(json.dumps({"host": holder, "time_zone": zone_name(zone), "batches": rows}, indent=2,
                         ensure_ascii=False))
        return EXIT_OK
    print(f"Batches run on {holder}; next runs are its plan" if holder else
          "No scheduler host is running (akadmin scheduler, or the console): next runs are when a host started now "
          "would run them", end="")
    print(f", in {zone_name(zone)}.")
    for row in rows:
        planned_at = dt.datetime.fromisoformat(row["next_run"]) if row["next_run"] else None
        nxt = "paused" if row["paused"] else (in_zone(planned_at, zone) if planned_at else "on demand")
        ran = (f"{row['last_outcome']} {in_zone(dt.datetime.fromisoformat(row['last_run']), zone)}" if row["last_run"]
               else "never run")
        print(f"{row['code']:<20} {row['template']:<34} {row['schedule']:<22} next {nxt:<22} last {ran}")
    return EXIT_OK


def cmd_batch_run(args: argparse.Namespace) -> int:
    from ..batches.catalog import batch_specs, find_spec
    from ..batches.execute import BatchBusy, run_batch
    from ..batches.kinds import Trigger

    _config, editor, state = open_with_state(args)
    spec = find_spec(editor, args.code)
    if spec is None:
        known = ", ".join(s.code for s in batch_specs(editor)) or "none"
        raise CliError(f"no batch {args.code!r}; known: {known}")
    problems = [f for f in editor.findings() if f.where.startswith(f"batches.{args.code}.") and f.severity == "error"]
    if problems:
        raise CliError("the batch cannot run:\n" + "\n".join(f"  {p}" for p in problems))
    try:
        summary = asyncio.run(run_batch(spec, editor=editor, state=state, trigger=Trigger.COMMAND))
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
    from ..batches.catalog import find_spec
    from ..batches.queries.pauses import set_paused

    _config, editor, state = open_with_state(args)
    if find_spec(editor, args.code) is None:
        raise CliError(f"no batch {args.code!r}")
    set_paused(state, args.code, args.batch_command == "pause")
    print(f"{args.code}: schedule {'paused' if args.batch_command == 'pause' else 'resumed'} (a running host applies it "
          "within seconds).")
    return EXIT_OK


def cmd_batch_log(args: argparse.Namespace) -> int:
    from ..batches.queries.runs import run_log, run_row
    from ..settings.batch_params import LOG_LEVELS

    _config, _editor, state = open_with_state(args)
    head = run_row(state, args.run_id)
    if head is None:
        raise CliError(f"no run {args.run_id}")
    levels = LOG_LEVELS[LOG_LEVELS.index(args.level):]
    lines = run_log(state, args.run_id, levels)
    if args.json:
        print(json.dumps({"run": head.id, "batch": head.batch_code, "trigger": head.trigger, "outcome": head.outcome,
                          "summary": head.summary, "started_at": head.started_at, "ended_at": head.ended_at,
                          "lines": [{"at": line.at, "level": line.level, "text": line.text} for line in lines]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Run {head.id} of {head.batch_code} ({head.trigger}), {head.outcome}: {head.summary}")
    for line in lines:
        print(f"{local_time(line.at)} {line.level:<5} {line.text}")
    return EXIT_OK


def cmd_batch_status(args: argparse.Namespace) -> int:
    from ..batches.health import batch_health
    from ..batches.host import host_holder
    from ..batches.planning import utc_now

    _config, editor, state = open_with_state(args)
    health = batch_health(editor, state, host=host_holder(state.path), now=utc_now())
    if args.json:
        print(json.dumps({"healthy": health.healthy, "host": health.host, "problems": health.problems,
                          "batches": [{"code": b.code, "paused": b.paused, "scheduled": b.scheduled,
                                       "last_outcome": b.last_outcome, "last_run": b.last_run,
                                       "next_run": b.next_run.isoformat() if b.next_run else None,
                                       "problem": b.problem or None} for b in health.batches]},
                         indent=2, ensure_ascii=False))
    else:
        print(f"healthy: batches run on {health.host}" if health.healthy else "UNHEALTHY")
        for problem in health.problems:
            print(f"  {problem}")
    return EXIT_OK if health.healthy else EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    """Add batch list, run, pause, resume, status and log."""
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
    status = batch_sub.add_parser("status", help="health probe: exit 1 when the host is down, a batch failed its "
                                                 "last run or missed its schedule")
    status.add_argument("--json", action="store_true")
    log = batch_sub.add_parser("log", help="print the log of a run")
    log.add_argument("run_id", metavar="RUN", type=int)
    log.add_argument("--level", choices=("DEBUG", "LOG", "WARN", "ERROR"), default="DEBUG",
                     help="show this level and above")
    log.add_argument("--json", action="store_true")
    for parser_, func in ((lst, cmd_batch_list), (run, cmd_batch_run), (pause, cmd_batch_pause),
                          (resume, cmd_batch_pause), (status, cmd_batch_status), (log, cmd_batch_log)):
        runs(parser_, func)
