"""`akadmin scheduler`: the batch host without the console, for systemd."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path
from typing import TextIO

from ..settings.editor import SettingsEditor
from ..settings.store import ConfigError, ConfigFile
from ..settings.vault import VaultError
from .common import EXIT_FAILED, EXIT_OK, CliError, config_target, open_with_state, runs

FOLLOW_EVERY_S = 2.0  # how soon a saved config, a pause or a run from another process is followed


class HostLog:
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
        from ..batches.host import HostNotice
        from ..batches.kinds import EventKind

        if isinstance(event, HostNotice):
            self.write(event.text)
        elif event.kind == EventKind.STARTED:
            self.write(f"[{event.batch_code}] run {event.run_id} started ({event.text})")
        elif event.kind == EventKind.FINISHED:
            self.write(f"[{event.batch_code}] run {event.run_id} {event.outcome}: {event.text}")


def cmd_scheduler(args: argparse.Namespace) -> int:
    from ..batches.host import HostBusy, SchedulerHost

    target = config_target(args)
    config, editor, state = open_with_state(args)
    log_path = Path(args.log_file) if args.log_file else state.path.with_name(state.path.name + ".scheduler.log")
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # a log an older akadmin created 0644 becomes private too
        log_file = os.fdopen(fd, "a", encoding="utf-8")  # kept open for the host's life
    except OSError as error:
        raise CliError(f"cannot write the log file {log_path}: {error.strerror or error}", EXIT_FAILED) from None
    log = HostLog(log_file)

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
                await asyncio.wait_for(stop.wait(), timeout=FOLLOW_EVERY_S)
            except TimeoutError:
                current = _reload(current, target, host, log)
                if state.changed_elsewhere():
                    host.sync_pauses()  # `akadmin batch pause|resume` applies within seconds
        log.write("stopping: running batches are asked to stop and record what they did")
        await host.stop()
        log.write("akadmin scheduler stopped")
        return EXIT_OK

    try:
        return asyncio.run(serve())
    finally:
        log_file.close()


def _reload(config: ConfigFile, target, host, log: HostLog) -> ConfigFile:
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add the scheduler command."""
    scheduler = sub.add_parser("scheduler", help="run the batches headless (for systemd); Ctrl+C or SIGTERM stops")
    scheduler.add_argument("--log-file", metavar="PATH", help="default: <state database>.scheduler.log")
    runs(scheduler, cmd_scheduler)
