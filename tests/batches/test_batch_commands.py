"""`akadmin invoices`, `akadmin batch` and `akadmin scheduler`, as an admin or systemd runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from akadmin_tui.batches.execute import BatchBusy, run_batch
from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema

from .conftest import Mailbox, check_spec

PASS = DEMO_PASSPHRASE + "\n"


def test_invoices_import_takes_invoices_and_refuses_other_files(akadmin, demo_path, tmp_path) -> None:
    good, bad = tmp_path / "F-9.pdf", tmp_path / "notes.txt"
    good.write_bytes(sample_invoices.facturx_pdf("F-9"))
    bad.write_text("hello")
    code, out, err = akadmin("invoices", "import", str(good), str(bad), "--company", "ACME", "--manager",
                             "m@acme.example", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    assert code == 1 and "imported" in out and "notes.txt" in err and "Factur-X" in err
    code, out, _ = akadmin("invoices", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    assert code == 0 and [row["number"] for row in json.loads(out)] == ["F-9"]
    code, _, err = akadmin("invoices", "import", str(good), "--company", "NOPE", "--config", str(demo_path),
                           "--passphrase-stdin", stdin=PASS)
    assert code == 2 and "NOPE" in err


def test_batch_list_and_a_failing_run_exit_1(akadmin, demo_path) -> None:
    code, out, _ = akadmin("batch", "list", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    listed = json.loads(out)
    assert code == 0 and {"CHORUS_STATUS", "CHORUS_SEND", "SIGNATURES", "STATEMENTS"} <= {b["code"] for b in listed["batches"]}
    code, _, _ = akadmin("config", "set", "interfaces.chorus.active", "false", "--config", str(demo_path),
                         "--passphrase-stdin", stdin=PASS)
    assert code == 0
    code, out, _ = akadmin("batch", "run", "CHORUS_STATUS", "--json", "--config", str(demo_path), "--passphrase-stdin",
                           stdin=PASS)
    result = json.loads(out)
    assert code == 1 and result["outcome"] == "failed"
    code, out, _ = akadmin("batch", "log", str(result["run_id"]), "--level", "ERROR", "--config", str(demo_path),
                           "--passphrase-stdin", stdin=PASS)
    assert code == 0 and "CHORUS PRO is not active" in out
    code, _, err = akadmin("batch", "run", "NOPE", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    assert code == 2 and "CHORUS_STATUS" in err


async def test_one_batch_never_runs_twice_at_once(editor, state, monkeypatch) -> None:
    async def slow(ctx) -> None:
        await asyncio.sleep(1.0)

    monkeypatch.setattr("akadmin_tui.batches.execute.runner_for", lambda template: slow)
    first = asyncio.create_task(run_batch(check_spec(), editor=editor, state=state, mailer=Mailbox()))
    await asyncio.sleep(0.3)
    with pytest.raises(BatchBusy, match="already running"):
        await run_batch(check_spec(), editor=editor, state=state, mailer=Mailbox())
    await first


def scheduler_command(editor, log) -> list[str]:
    """`akadmin scheduler` on the test's config, reading the passphrase from standard input."""
    return [sys.executable, "-m", "akadmin_tui", "scheduler", "--config", str(editor.config.path),
            "--passphrase-stdin", "--log-file", str(log)]


def start_scheduler(command: list[str], **popen) -> subprocess.Popen:
    """The scheduler started as systemd would, its passphrase given."""
    host = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)
    host.stdin.write(PASS)
    host.stdin.close()
    return host


def wait_for_signatures_run(state_path) -> str:
    """The outcome of the first SIGNATURES run once it has ended; fails after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if state_path.exists():
            store = StateStore(state_path)
            runs = store.query("SELECT outcome FROM batch_runs WHERE batch_code = 'SIGNATURES' AND outcome != 'running'")
            store.close()
            if runs:
                return runs[0][0]
    raise AssertionError("SIGNATURES never ran")


def stop(host: subprocess.Popen) -> None:
    host.send_signal(signal.SIGTERM)
    host.wait(30)


def test_scheduler_runs_the_batches_headless_and_only_once(editor, tmp_path) -> None:
    editor.apply(schema.UNIVERSIGN, None, {"start_period_s": 0})
    state_path = state_path_for(editor.config.path, editor.config.plain())
    log = tmp_path / "scheduler.log"
    command = scheduler_command(editor, log)
    host = start_scheduler(command)
    try:
        assert wait_for_signatures_run(state_path) == "ok"
        second = subprocess.run(command, input=PASS, capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and "already run on" in second.stderr
    finally:
        stop(host)
    assert host.returncode == 0
    text = log.read_text()
    assert "[SIGNATURES]" in text and "akadmin scheduler stopped" in text


def test_every_file_the_scheduler_creates_is_private_whatever_the_umask(editor, tmp_path) -> None:
    editor.apply(schema.UNIVERSIGN, None, {"start_period_s": 0})
    state_path = state_path_for(editor.config.path, editor.config.plain())
    folder = editor.config.path.parent
    before = set(folder.rglob("*"))
    log = tmp_path / "logs" / "scheduler.log"
    log.parent.mkdir()
    # A umask that lets everyone read: what systemd and most shells give.
    host = start_scheduler(scheduler_command(editor, log), preexec_fn=lambda: os.umask(0o022))
    try:
        assert wait_for_signatures_run(state_path) == "ok"
    finally:
        stop(host)
    created = [path for path in set(folder.rglob("*")) - before if path.exists()] + [log]
    assert any(path.is_dir() for path in created) and state_path in created
    loose = {str(path.relative_to(tmp_path)): oct(path.stat().st_mode & 0o777) for path in created
             if path.stat().st_mode & 0o777 != (0o700 if path.is_dir() else 0o600)}
    assert not loose, loose


def wait_for_text(path, text: str, timeout: float = 30) -> str:
    """The file's text once it holds `text`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in (content := path.read_text()):
            return content
        time.sleep(0.1)
    raise AssertionError(f"{path} never said {text!r}")


def test_sighup_reopens_the_log_and_keeps_the_batches(editor, tmp_path) -> None:
    log = tmp_path / "scheduler.log"
    host = start_scheduler(scheduler_command(editor, log))
    try:
        wait_for_text(log, "akadmin scheduler started")
        log.rename(tmp_path / "scheduler.log.1")  # what logrotate does, before it sends SIGHUP
        host.send_signal(signal.SIGHUP)
        reopened = wait_for_text(log, "SIGHUP: log file reopened")
        assert "the config was read again" in wait_for_text(log, "batches replanned")
        assert host.poll() is None, "SIGHUP stopped the scheduler"
        assert "SIGHUP" not in (tmp_path / "scheduler.log.1").read_text()
        assert oct(log.stat().st_mode & 0o777) == "0o600", reopened
    finally:
        stop(host)
    assert host.returncode == 0
    assert "akadmin scheduler stopped" in log.read_text()


def test_under_journald_each_line_goes_once_with_its_priority_and_no_time_stamp(tmp_path, monkeypatch) -> None:
    from akadmin_tui.cli.scheduler import WARNING, HostLog

    journal = open(tmp_path / "journal", "w+", encoding="utf-8")  # noqa: SIM115 - standard error for the test
    status = os.fstat(journal.fileno())
    monkeypatch.setattr(sys, "stderr", journal)
    monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
    log_file = tmp_path / "scheduler.log"
    with open(log_file, "w", encoding="utf-8") as file:
        log = HostLog(file, log_file)
        log.write("CHORUS_SEND: 3 scheduled run(s) missed", WARNING)
    journal.seek(0)
    assert journal.read() == "<4>CHORUS_SEND: 3 scheduled run(s) missed\n"
    assert log_file.read_text().endswith(" CHORUS_SEND: 3 scheduled run(s) missed\n")  # the file keeps its stamp
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # another stream: a terminal, a pipe
    assert not HostLog(None).journal
    journal.close()
