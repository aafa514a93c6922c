"""Chorus transfer against the PISTE sandbox: deposit, follow the flow, never twice, 429 storms, quota."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from akadmin_tui.batches.runtime import Outcome
from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema

from .conftest import ACME_LOGIN, import_samples, invoice_row, log_of, run, transfer_spec

DEPOSIT = "factures/v1/deposer/flux"


async def test_pending_invoices_are_deposited_then_get_their_chorus_id(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["F-2026-001", "F-2026-002"])
    summary = await run(transfer_spec(), editor, state)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    assert summary.counts["deposited"] == 2 and summary.counts["integrated"] == 2
    row = invoice_row(state, "F-2026-001")
    chorus = sandbox.piste.invoice_by_number(ACME_LOGIN, "F-2026-001")
    assert row["transfer_state"] == "integrated" and row["chorus_id"] == str(chorus.chorus_id)
    # Its CHORUS status, history and alerts are CheckFacturesClientChorus's to record.
    assert row["chorus_status"] == "" and row["erp_status"] == "2 - Transmitted"
    again = await run(transfer_spec(), editor, state)
    assert sandbox.piste.calls_by_route[DEPOSIT] == 2 and "deposited" not in again.counts


async def test_a_duplicate_number_is_rejected_and_denied(editor, state, sandbox, tmp_path) -> None:
    sandbox.piste.seed_invoices(ACME_LOGIN, 1, prefix="DUP-")  # CHORUS PRO already has DUP-000001
    import_samples(state, tmp_path, ["DUP-000001"])
    summary = await run(transfer_spec(), editor, state)
    row = invoice_row(state, "DUP-000001")
    assert summary.outcome is Outcome.ERRORS
    assert row["transfer_state"] == "rejected" and row["erp_status"] == "3 - Transmission denied"
    assert "Doublon" in row["last_error"]


async def test_outbox_files_are_imported_and_deposited(editor, state, sandbox, tmp_path) -> None:
    outbox = tmp_path / "outbox"
    (outbox / "ACME").mkdir(parents=True)
    (outbox / "ACME" / "F-OUT-1.pdf").write_bytes(sample_invoices.facturx_pdf("F-OUT-1"))
    (outbox / "ACME" / "notes.docx").write_bytes(b"not an invoice")
    summary = await run(transfer_spec(DOSSIER_FACTURES_A_DEPOSER=str(outbox)), editor, state)
    assert summary.counts["imported"] == 1 and summary.counts["refused"] == 1 and summary.counts["deposited"] == 1
    assert (outbox / "ACME" / "imported" / "F-OUT-1.pdf").exists()
    assert (outbox / "ACME" / "refused" / "notes.docx.error.txt").exists()
    assert sandbox.piste.invoice_by_number(ACME_LOGIN, "F-OUT-1") is not None


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
async def test_a_429_storm_slows_the_batch_down_and_it_finishes(editor, state, sandbox, tmp_path, as_date) -> None:
    import_samples(state, tmp_path, [f"F-STORM-{n}" for n in range(3)])
    sandbox.piste.set_fault(Fault.BURST_429, retry_after_s=1, retry_after_date=as_date)
    threading.Timer(1.5, sandbox.piste.set_fault, args=(Fault.NONE,)).start()
    started = time.monotonic()
    summary = await run(transfer_spec(), editor, state)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    assert summary.counts["deposited"] == 3 and time.monotonic() - started >= 1.0
    assert any("429" in text and level == "WARN" for level, text in log_of(state, summary.run_id)), log_of(state, summary.run_id)


async def test_deposits_stop_before_the_daily_quota(editor, state, sandbox, tmp_path) -> None:
    from akadmin_tui.batches.chorus_common import StateUsage
    from akadmin_tui.connectors.chorus_api import account_key
    from akadmin_tui.connectors.ratelimit import utc_day
    from akadmin_tui.connectors.registry import chorus_account

    import_samples(state, tmp_path, ["F-Q-1"])
    StateUsage(state).add(account_key(chorus_account(editor, "ACME")), utc_day(), 990_000)
    summary = await run(transfer_spec(), editor, state)
    assert summary.outcome is Outcome.ERRORS
    assert any("Deposits are stopped for today" in text for _, text in log_of(state, summary.run_id))
    assert invoice_row(state, "F-Q-1")["transfer_state"] == "pending"
    assert sandbox.piste.calls_by_route[DEPOSIT] == 0


def _akadmin(args: list[str], config: Path) -> list[str]:
    return [sys.executable, "-m", "akadmin_tui.cli", *args, "--config", str(config), "--passphrase-stdin"]


def test_killed_between_deposit_and_its_record_nothing_is_lost_or_sent_twice(editor, sandbox, tmp_path) -> None:
    """A real SIGKILL while CHORUS PRO has the flow but the answer is not yet written; then a second run."""
    editor.create(schema.BATCHES, "SEND", {
        "label": "Transfer", "template": "TransfertFacturesClientChorus", "BATCH_USER": "TECH_AKUITEO",
        "BATCH_PWD": "batch-secret-pwd", "BATCH_MAIL": "support@acme.example", "LISTE_SOCIETES_A_TRAITER": "ACME"})
    state = StateStore(state_path_for(editor.config.path, editor.config.plain()))
    import_samples(state, tmp_path, ["F-KILL-1", "F-KILL-2"])
    state.close()
    sandbox.piste.state.deposit_answer_delay_s = 30.0
    process = subprocess.Popen(_akadmin(["batch", "run", "SEND"], editor.config.path), stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    process.stdin.write(DEMO_PASSPHRASE + "\n")
    process.stdin.close()
    deadline = time.monotonic() + 30
    while not sandbox.piste.flows and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.piste.flows, "the deposit never reached the sandbox"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    sandbox.piste.state.deposit_answer_delay_s = 0.0
    second = subprocess.run(_akadmin(["batch", "run", "SEND", "--json"], editor.config.path), input=DEMO_PASSPHRASE + "\n",
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr + second.stdout
    numbers = sorted(number for flow in sandbox.piste.flows.values() for number in flow.invoice_numbers)
    assert numbers == ["F-KILL-1", "F-KILL-2"]  # each deposited exactly once
    assert sandbox.piste.calls_by_route[DEPOSIT] == 2
    assert '"adopted": 1' in second.stdout and '"integrated": 2' in second.stdout


async def test_two_transfer_batches_at_once_deposit_each_invoice_once(editor, state, sandbox, tmp_path) -> None:
    import asyncio

    import_samples(state, tmp_path, [f"F-PAR-{n}" for n in range(6)])
    sandbox.piste.set_fault(Fault.SLOW, delay_s=0.05)
    everyone = transfer_spec(LISTE_SOCIETES_A_TRAITER="*****")
    acme = transfer_spec()
    acme = acme.__class__("SEND2", acme.label, acme.template, acme.schedule, acme.params)
    await asyncio.gather(run(everyone, editor, state), run(acme, editor, state))
    sandbox.piste.set_fault(Fault.NONE)
    assert sandbox.piste.calls_by_route[DEPOSIT] == 6


async def test_an_unanswered_deposit_is_never_resent_on_a_timer(editor, sandbox, tmp_path, akadmin) -> None:
    state = StateStore(state_path_for(editor.config.path, editor.config.plain()))
    import_samples(state, tmp_path, ["F-DOUBT"])
    state.execute("UPDATE invoices SET transfer_state = 'sending' WHERE number = 'F-DOUBT'")
    state.execute("INSERT INTO deposits (invoice_id, file_name, state, started_at) SELECT id, 'F-DOUBT.xml', 'sending', "
                  "'2026-01-01T00:00:00+00:00' FROM invoices WHERE number = 'F-DOUBT'")
    summary = await run(transfer_spec(), editor, state)
    assert summary.counts["in doubt"] == 1 and sandbox.piste.calls_by_route[DEPOSIT] == 0
    assert any("akadmin invoices release F-DOUBT --company ACME" in t for _, t in log_of(state, summary.run_id))
    code, out, _ = akadmin("invoices", "release", "F-DOUBT", "--company", "ACME", "--config", str(editor.config.path),
                           "--passphrase-stdin", stdin=DEMO_PASSPHRASE + "\n")
    assert code == 0 and "pending again" in out
    again = await run(transfer_spec(), editor, state)
    assert again.counts["deposited"] == 1 and sandbox.piste.calls_by_route[DEPOSIT] == 1
    state.close()


async def test_a_rejection_between_two_transfers_still_denies_and_alerts(editor, state, sandbox, tmp_path) -> None:
    from .conftest import Mailbox, check_spec

    import_samples(state, tmp_path, ["F-LATE"])
    sandbox.piste.state.integration_delay_s = 3600  # CHORUS PRO takes its time
    await run(transfer_spec(), editor, state)
    sandbox.piste.state.integration_delay_s = 0
    sandbox.piste.process_flows()
    sandbox.piste.set_status(sandbox.piste.invoice_by_number(ACME_LOGIN, "F-LATE").chorus_id, "REJETEE", "Refusée")
    await run(transfer_spec(), editor, state)
    mailbox = Mailbox()
    await run(check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="REJETEE"), editor, state, mailbox)
    row = invoice_row(state, "F-LATE")
    assert row["chorus_status"] == "REJETEE" and row["erp_status"] == "3 - Transmission denied"
    assert len(mailbox.sent) == 1
    await run(transfer_spec(), editor, state)  # a later transfer leaves the denial alone
    assert invoice_row(state, "F-LATE")["erp_status"] == "3 - Transmission denied"
