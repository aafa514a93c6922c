"""A whole Test, transfer and status cycle sends CHORUS PRO nothing its published description would refuse.

A loopback gate stands in front of the sandbox emulator: it checks every request body against JSON Schemas typed
from the public description (chorus_description.py, sharing no code with the emulator), records what they refuse,
and forwards the request. The emulator supplies the behaviour, the gate the contract.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jsonschema
import pytest

from akadmin_tui.batches.invoices import import_invoice
from akadmin_tui.batches.runtime import Outcome
from akadmin_tui.batches.state import invoice_files_dir
from akadmin_tui.connectors import chorus
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.registry import chorus_account
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.settings import schema

from ..batches.conftest import ACME_LOGIN, check_spec, log_of, run, transfer_spec
from .chorus_description import SCHEMAS

API_ROOT = "/cpro/"


class ContractGate:
    """A loopback HTTP server that checks CHORUS PRO request bodies, then forwards them upstream."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.seen: list[str] = []
        self.refused: list[str] = []
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gate.check(self.path, body)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.post(gate.upstream + self.path, content=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Retry-After", "WWW-Authenticate"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, path: str, body: bytes) -> None:
        route = path.split("?")[0].removeprefix(API_ROOT)
        self.seen.append(route)
        described = SCHEMAS.get(route)
        if described is None:
            self.refused.append(f"{route}: no model in the description for this call")
            return
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            self.refused.append(f"{route}: the body is not JSON")
            return
        problems = sorted(jsonschema.Draft202012Validator(described).iter_errors(document), key=str)
        self.refused.extend(f"{route}: {p.json_path}: {p.message}" for p in problems)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gate(sandbox, editor) -> Iterator[ContractGate]:
    running = ContractGate(sandbox.piste.url)
    editor.apply(schema.CHORUS, None, {"url": running.url + API_ROOT})
    yield running
    running.close()


def test_the_gate_refuses_what_the_description_refuses() -> None:
    """The gate itself can fail: a sort outside the enum and an unknown property are caught."""
    probe = ContractGate("http://127.0.0.1:9")
    try:
        probe.check("/cpro/factures/v1/rechercher/fournisseur",
                    b'{"rechercheFactureParFournisseur": {"triColonne": "IdentifiantFactureCPP"}}')
        probe.check("/cpro/factures/v1/deposer/flux", b'{"fichierFlux": "", "nomFichier": "a", '
                                                       b'"syntaxeFlux": "IN_DP_E1_UBL_INVOICE", "extra": 1}')
        probe.check("/cpro/factures/v1/consulter/historique", b'{"idFacture": "12"}')
        probe.check("/cpro/transverses/v1/recuperer/structures/actives/fournisseur", b"{}")
    finally:
        probe.close()
    assert len(probe.refused) == 3, probe.refused
    assert "triColonne" in probe.refused[0] and "extra" in probe.refused[1] and "idFacture" in probe.refused[2]


async def test_a_whole_cycle_sends_nothing_the_description_refuses(gate, editor, state, sandbox, tmp_path: Path) -> None:
    # 1. The Test of the ACME setup.
    async with make_client() as client:
        result = await chorus.test_connection(chorus_account(editor, "ACME"), client, cache=TokenCache())
    assert result.passed, result.to_text()
    # 2. A transfer of each syntax akadmin sends, one invoice CHORUS PRO will reject as a duplicate.
    sandbox.piste.seed_invoices(ACME_LOGIN, 1, prefix="DUP-")
    files = {"C-UBL-1.xml": sample_invoices.ubl_invoice("C-UBL-1"), "C-CII-1.xml": sample_invoices.cii_invoice("C-CII-1"),
             "C-FX-1.pdf": sample_invoices.facturx_pdf("C-FX-1"), "DUP-000001.xml": sample_invoices.ubl_invoice("DUP-000001")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        outcome = import_invoice(state, tmp_path / name, "ACME", manager_email="manager@acme.example",
                                 data_dir=invoice_files_dir(state.path))
        assert outcome.status == "imported", outcome.message
    sandbox.piste.state.integration_delay_s = 3600  # flows stay unprocessed: the follow-up needs flow reports
    first = await run(transfer_spec(), editor, state)
    assert first.counts["deposited"] == 4, log_of(state, first.run_id)
    await run(transfer_spec(), editor, state)
    sandbox.piste.state.integration_delay_s = 0
    second = await run(transfer_spec(), editor, state)
    assert second.counts["integrated"] == 3 and second.counts["rejected"] == 1, log_of(state, second.run_id)
    # 3. Status checks: the full list, then changes since the watermark with histories.
    await run(check_spec(), editor, state)
    for number in ("C-UBL-1", "C-CII-1"):
        sandbox.piste.set_status(sandbox.piste.invoice_by_number(ACME_LOGIN, number).chorus_id, "MISE_A_DISPOSITION")
    checked = await run(check_spec(), editor, state)
    assert checked.outcome is Outcome.OK and checked.counts["updated"] == 2, log_of(state, checked.run_id)
    assert set(gate.seen) == set(SCHEMAS), gate.seen
    assert gate.refused == []
