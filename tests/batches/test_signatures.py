"""Signature retrieval against the Universign emulator: statuses, downloads once, XML-RPC and REST, failures."""

from __future__ import annotations

import datetime as dt
import stat
import xmlrpc.client
from pathlib import Path

import httpx
import pytest

from akadmin_tui.batches import signatures
from akadmin_tui.batches.runtime import (
    BatchCancelled,
    BatchFailure,
    BatchSpec,
    RunContext,
    begin_run,
)
from akadmin_tui.batches.state import StateStore
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema
from akadmin_tui.settings.schedules import Schedule

SPEC = BatchSpec("SIGNATURES", "Signature retrieval (Universign)", "RecuperationSignaturesUniversign",
                 Schedule("every 21600s", interval_s=21600), builtin=True, first_delay_s=20)
API_KEY = "demo-universign-api-key"
SEEDED_COMPLETED, SEEDED_OPEN = "dy9Qn27PQ3mb", "AWo949MOq0JE"  # the emulator's demo transactions, XML-RPC ids


def context(editor, state: StateStore, client: httpx.AsyncClient, events: list | None = None) -> RunContext:
    run_id = begin_run(state, SPEC, "manual", dt.datetime.now(dt.UTC))
    return RunContext(SPEC, run_id, editor=editor, state=state, client=client,
                      listener=events.append if events is not None else None)


async def run(editor, state, client, events: list | None = None) -> RunContext:
    ctx = context(editor, state, client, events)
    await signatures.run(ctx)
    return ctx


def row(state: StateStore, tx_id: str):
    rows = state.query("SELECT * FROM signature_transactions WHERE id = ?", (tx_id,))
    return rows[0] if rows else None


def rpc_methods(emulator, since: int = 0) -> list[tuple[str, tuple]]:
    calls = list(emulator.calls)[since:]
    return [(method, params) for params, method in (xmlrpc.client.loads(c.body) for c in calls if c.method == "POST")]


async def test_completed_transaction_is_downloaded_once(editor, sandbox, state, client, tmp_path) -> None:
    universign = sandbox.universign
    tx = universign.add_transaction("Devis D-2025-0050", signers=2)
    universign.sign(tx, 0)
    universign.sign(tx, 1)
    events: list = []
    ctx = await run(editor, state, client, events)

    rpc_id = tx.removeprefix("tx_")
    stored = row(state, rpc_id)
    assert (stored["status"], stored["signers_signed"], stored["signers_total"]) == ("completed", 2, 2)
    assert stored["name"] == "Devis D-2025-0050" and stored["documents"] == 1 and stored["downloaded_at"]
    saved = state.path.parent / "signed" / rpc_id / "Devis D-2025-0050.pdf"
    assert Path(stored["folder"]) == saved.parent
    assert saved.read_bytes().startswith(b"%PDF") and stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert not [p for p in saved.parent.iterdir() if p.name.endswith(".part")]
    assert ctx.counts == {"followed": 3, "completed": 2, "downloaded": 2, "failed": 0}
    assert ctx.errors == 0
    progress = [e for e in events if e.kind == "progress"]
    assert (progress[-1].done, progress[-1].total) == (3, 3)

    before, stamp = len(universign.calls), saved.stat().st_mtime_ns
    again = await run(editor, state, client)
    assert again.counts == {"followed": 1, "completed": 0, "downloaded": 0, "failed": 0}
    methods = rpc_methods(universign, before)
    assert [m for m, _ in methods if m == "requester.getDocuments"] == []
    assert ("requester.getTransactionInfo", (SEEDED_OPEN,)) in methods  # only the open one is followed again
    assert saved.stat().st_mtime_ns == stamp and row(state, rpc_id)["downloaded_at"] == stored["downloaded_at"]


async def test_listing_covers_fourteen_days(editor, sandbox, state, client) -> None:
    await run(editor, state, client)
    (method, (window,)), *_ = rpc_methods(sandbox.universign)
    assert method == "requester.listTransactions" and window["startRange"] == 0
    span = _as_datetime(window["notAfter"]) - _as_datetime(window["notBefore"])
    assert dt.timedelta(days=14) <= span <= dt.timedelta(days=15)


def _as_datetime(value: xmlrpc.client.DateTime) -> dt.datetime:
    return dt.datetime.strptime(value.value, "%Y%m%dT%H:%M:%S")


async def test_partially_signed_is_followed_but_not_downloaded(editor, sandbox, state, client, tmp_path) -> None:
    universign = sandbox.universign
    tx = universign.add_transaction("Bon de livraison BL-77", signers=2)
    universign.sign(tx, 0)
    await run(editor, state, client)
    rpc_id = tx.removeprefix("tx_")
    stored = row(state, rpc_id)
    assert (stored["status"], stored["signers_signed"], stored["signers_total"]) == ("ready", 1, 2)
    assert stored["downloaded_at"] is None and stored["documents"] == 0
    assert not (state.path.parent / "signed" / rpc_id).exists()

    universign.sign(tx, 1)
    ctx = await run(editor, state, client)
    assert row(state, rpc_id)["status"] == "completed" and ctx.counts["downloaded"] == 1
    assert (state.path.parent / "signed" / rpc_id / "Bon de livraison BL-77.pdf").is_file()


@pytest.mark.parametrize("end", ["expired", "canceled", "failed"])
async def test_ended_transaction_is_recorded_then_left_alone(editor, sandbox, state, client, end: str) -> None:
    universign = sandbox.universign
    tx = universign.add_transaction("Devis D-2025-0060", signers=3)
    universign.sign(tx, 0)
    universign.fail(tx, end)
    ctx = await run(editor, state, client)
    rpc_id = tx.removeprefix("tx_")
    stored = row(state, rpc_id)
    assert (stored["status"], stored["signers_signed"], stored["signers_total"]) == (end, 1, 3)
    assert stored["downloaded_at"] is None
    assert any(f"Transaction {rpc_id} (Devis D-2025-0060): {end}, 1/3 signed." in line for line in ctx.lines)

    before = len(universign.calls)
    await run(editor, state, client)
    assert ("requester.getTransactionInfo", (rpc_id,)) not in rpc_methods(universign, before)


async def test_rest_path_downloads_each_document(editor, sandbox, state, client, tmp_path) -> None:
    universign = sandbox.universign
    folder = tmp_path / "chosen"
    # The password field keeps a value (the form requires one): the batch sends the key as a Bearer token.
    editor.apply(schema.UNIVERSIGN, None, {"url": universign.rest_url, "universign_user": API_KEY,
                                           "signed_folder": str(folder)})
    tx = universign.add_transaction("Contrat C-12", signers=1, documents=["Contrat.pdf", "../../Annexe 1.pdf"])
    open_tx = universign.add_transaction("Contrat C-13", signers=2)
    universign.sign(tx, 0)
    universign.sign(open_tx, 1)
    ctx = await run(editor, state, client)

    stored = row(state, tx)
    assert (stored["status"], stored["signers_signed"], stored["documents"]) == ("completed", 1, 2)
    assert sorted(p.name for p in (folder / tx).iterdir()) == ["Annexe 1.pdf", "Contrat.pdf"]
    assert (row(state, open_tx)["status"], row(state, open_tx)["signers_signed"]) == ("ready", 1)
    assert (row(state, "tx_dy9Qn27PQ3mb")["status"]) == "completed"
    assert ctx.counts == {"followed": 4, "completed": 2, "downloaded": 2, "failed": 0}
    downloads = [c for c in universign.calls if c.path.endswith("/download")]
    assert len(downloads) == 3 and all("/archive/documents/doc_" in c.path for c in downloads)
    assert all(c.header("authorization") == f"Bearer {API_KEY}" for c in universign.calls)

    again = await run(editor, state, client)
    assert again.counts["downloaded"] == 0
    assert len([c for c in universign.calls if c.path.endswith("/download")]) == 3


@pytest.mark.parametrize("flavour", ["rpc", "rest"])
async def test_refused_credentials_stop_the_run(editor, sandbox, state, client, flavour: str) -> None:
    if flavour == "rest":
        editor.apply(schema.UNIVERSIGN, None, {"url": sandbox.universign.rest_url, "universign_user": API_KEY})
    sandbox.universign.set_fault(Fault.WRONG_CREDENTIALS)
    with pytest.raises(BatchFailure, match=r"\(401\): check .*Universign user"):
        await run(editor, state, client)
    assert state.query("SELECT COUNT(*) AS n FROM signature_transactions")[0]["n"] == 0


async def test_a_failing_transaction_is_logged_and_the_run_goes_on(editor, sandbox, state, client, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the signed folder should be")
    editor.apply(schema.UNIVERSIGN, None, {"signed_folder": str(blocker)})
    ctx = await run(editor, state, client)
    assert ctx.errors == 1 and ctx.counts["failed"] == 1 and ctx.counts["followed"] == 2
    assert any(f"Transaction {SEEDED_COMPLETED}:" in line and "next run" in line for line in ctx.lines)
    assert row(state, SEEDED_COMPLETED)["downloaded_at"] is None
    assert "demo-universign-password" not in "\n".join(ctx.lines)

    editor.apply(schema.UNIVERSIGN, None, {"signed_folder": str(tmp_path / "fixed")})
    retried = await run(editor, state, client)
    assert retried.counts["downloaded"] == 1 and (tmp_path / "fixed" / SEEDED_COMPLETED).is_dir()


async def test_cancel_stops_between_transactions(editor, sandbox, state, client) -> None:
    ctx = context(editor, state, client)
    ctx.cancel.set()
    with pytest.raises(BatchCancelled):
        await signatures.run(ctx)
    assert ctx.counts["followed"] == 0


async def test_disabled_signature_refuses_to_run(editor, state, client) -> None:
    editor.apply(schema.UNIVERSIGN, None, {"enabled": False})
    with pytest.raises(BatchFailure, match="not enabled"):
        await run(editor, state, client)


def test_the_batch_speaks_to_universign_only_through_the_connector() -> None:
    assert not {"xmlrpc", "httpx", "_Rpc", "_Rest"} & set(vars(signatures))


def test_safe_names_stay_in_their_folder() -> None:
    assert signatures.safe_name("../../etc/passwd", "x") == "passwd"
    assert signatures.safe_name("..\\boot.ini", "x") == "boot.ini"
    assert signatures.safe_name("Devis: n°42?\x00.pdf", "x") == "Devis_ n_42__.pdf"
    assert signatures.safe_name("Procès-verbal (réf. 3).pdf", "x") == "Procès-verbal (réf. 3).pdf"
    assert signatures.safe_name("...", "document-1.pdf") == "document-1.pdf"
