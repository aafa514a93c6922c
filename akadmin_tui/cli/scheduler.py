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
from .sd_notify import Notifier

FOLLOW_EVERY_S = 2.0  # how soon a saved config, a pause or a run from another process is followed


def open_log(path: Path) -> TextIO:
    """The scheduler's log, appended to, private (0600) even when an older version created it readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


# syslog priorities, as journald reads them from a "<N>" prefix (sd-daemon(3)).
ERROR, WARNING, INFO = 3, 4, 6


def stderr_is_journal() -> bool:
    """True when standard error is systemd's journal stream ($JOURNAL_STREAM names its device and inode)."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in stream.split(":"))
        status = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (status.st_dev, status.st_ino) == (device, inode)


class HostLog:
    """Writes what the host does to stderr and to the scheduler's log file."""

    def __init__(self, file: TextIO | None, path: Path | None = None) -> None:
        self.file = file
        self.path = path
        # The journal stamps each line itself and reads its priority from a prefix: one time stamp, not two.
        self.journal = stderr_is_journal()

    def reopen(self) -> None:
        """Open the log file again by its name: after logrotate moved it, lines go to the new file."""
        if self.path is None:
            return
        try:
            fresh = open_log(self.path)
        except OSError as error:
            self.write(f"the log file {self.path} cannot be reopened ({error.strerror or error}); still writing "
                       "to the previous one")
            return
        old, self.file = self.file, fresh
        if old is not None:
            old.close()

    def close(self) -> None:
        """Close the log file."""
        if self.file is not None:
            self.file.close()

    def write(self, text: str, priority: int = INFO) -> None:
        line = f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S} {text}"
        for stream, shown in ((sys.stderr, f"<{priority}>{text}" if self.journal else line), (self.file, line)):
            if stream is not None:
                try:
                    stream.write(shown + "\n")
                    stream.flush()
                except OSError:
                    pass

    def __call__(self, event) -> None:
        from ..batches.host import HostNotice
        from ..batches.kinds import EventKind, Outcome

        if isinstance(event, HostNotice):
            self.write(event.text, WARNING if event.notable else INFO)
        elif event.kind == EventKind.STARTED:
            self.write(f"[{event.batch_code}] run {event.run_id} started ({event.text})")
        elif event.kind == EventKind.FINISHED:
            failed = event.outcome in (Outcome.ERRORS, Outcome.FAILED)
            self.write(f"[{event.batch_code}] run {event.run_id} {event.outcome}: {event.text}", ERROR if failed else INFO)


def cmd_scheduler(args: argparse.Namespace) -> int:
    from ..batches.catalog import plan_zone
    from ..batches.host import HostBusy, SchedulerHost
    from ..settings.time_zones import in_zone, zone_name

    target = config_target(args)
    config, editor, state = open_with_state(args)
    log_path = Path(args.log_file) if args.log_file else state.path.with_name(state.path.name + ".scheduler.log")
    try:
        log_file = open_log(log_path)
    except OSError as error:
        raise CliError(f"cannot write the log file {log_path}: {error.strerror or error}", EXIT_FAILED) from None
    log = HostLog(log_file, log_path)

    notifier = Notifier()

    async def serve() -> int:
        host = SchedulerHost(editor, state)
        host.listeners.append(log)
        try:
            host.start()
        except HostBusy as error:
            raise CliError(str(error), EXIT_FAILED) from None
        zone = plan_zone(editor)
        log.write(f"akadmin scheduler started on {state.path}; {len(host.specs)} batch(es), cron schedules read in "
                  f"{zone_name(zone)}; log {log_path}")
        notifier.ready(f"{len(host.specs)} batch(es) planned")
        for code in host.specs:
            nxt = host.next_run(code)
            log.write(f"  {code}: next run {in_zone(nxt, zone, seconds=True)}" if nxt else f"  {code}: on demand")
        wake = asyncio.Event()
        asked: set[str] = set()  # "stop", "hangup"

        def ask(what: str) -> None:
            asked.add(what)
            wake.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, ask, "stop")
        # SIGHUP, as logrotate and `systemctl reload` send it: a new log file and the config read again; the
        # running batches go on.
        loop.add_signal_handler(signal.SIGHUP, ask, "hangup")
        current: ConfigFile = config
        while "stop" not in asked:
            notifier.watchdog()  # a loop stuck for the watchdog's period gets the service restarted
            try:
                await asyncio.wait_for(wake.wait(), timeout=FOLLOW_EVERY_S)
            except TimeoutError:
                pass
            wake.clear()
            if "stop" in asked:
                break
            if "hangup" in asked:
                asked.discard("hangup")
                log.reopen()
                log.write("SIGHUP: log file reopened, config read again")
                current = _reload(current, target, host, log, force=True)
            else:
                current = _reload(current, target, host, log)
            if state.changed_elsewhere():
                host.sync_pauses()  # `akadmin batch pause|resume` applies within seconds
        notifier.stopping()
        log.write("stopping: running batches are asked to stop and record what they did")
        await host.stop()
        log.write("akadmin scheduler stopped")
        return EXIT_OK

    try:
        return asyncio.run(serve())
    finally:
        log.close()


def _reload(config: ConfigFile, target, host, log: HostLog, *, force: bool = False) -> ConfigFile:
    """Follow a config saved by a console (or any, when forced): reopen it with the same key, replan the batches."""
    if not force and not config.changed_on_disk():
        return config
    try:
        fresh = target.open(passphrase=config.passphrase)
    except (ConfigError, VaultError) as error:
        log.write(f"the config changed on disk but cannot be reread ({error}); keeping the previous one")
        return config
    fresh.read_only = True
    host.reload(SettingsEditor(fresh))
    log.write("the config was read again: batches replanned" if force else "the config changed on disk: batches replanned")
    return fresh


def register(sub: argparse._SubParsersAction) -> None:
    """Add the scheduler command."""
    scheduler = sub.add_parser("scheduler", help="run the batches headless (for systemd); Ctrl+C or SIGTERM stops")
    scheduler.add_argument("--log-file", metavar="PATH", help="default: <state database>.scheduler.log")
    runs(scheduler, cmd_scheduler)
