"""The demo's invoices: a few imported files, some already in CHORUS PRO, and a status change to pull."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from ..batches.invoices import import_invoice
from ..batches.state import StateStore, invoice_files_dir
from . import sample_invoices
from .piste import PisteEmulator

ACME_LOGIN = "TECH_1_ACME@cpro.fr"
MANAGER = "claire.dubois@acme.example"
# (company, number, amount, buyer, format); the first four ACME ones were transferred before.
DEMO_INVOICES = [
    ("ACME", "FA-2026-0101", "1440.00", "Mairie de Lyon", "ubl"),
    ("ACME", "FA-2026-0102", "8760.50", "Centre hospitalier de Nantes", "cii"),
    ("ACME", "FA-2026-0103", "2399.99", "Université de Bordeaux", "facturx"),
    ("ACME", "FA-2026-0104", "615.00", "Préfecture du Rhône", "ubl"),
    ("ACME", "FA-2026-0105", "12000.00", "Région Occitanie", "facturx"),
    ("ACME", "FA-2026-0106", "330.40", "Mairie de Lyon", "cii"),
    ("BETA", "BC-2026-0007", "990.00", "Mairie de Paris", "ubl"),
    ("BETA", "BC-2026-0008", "4500.00", "Ministère des Armées", "facturx"),
]
ALREADY_TRANSFERRED = 4
REJECTION = "Le numéro d'engagement juridique est absent ou inconnu du destinataire."


def _file(number: str, amount: str, buyer: str, kind: str) -> tuple[str, bytes]:
    if kind == "ubl":
        return f"{number}.xml", sample_invoices.ubl_invoice(number, amount=amount, buyer=buyer)
    if kind == "cii":
        return f"{number}.xml", sample_invoices.cii_invoice(number, amount=amount, buyer=buyer)
    return f"{number}.pdf", sample_invoices.facturx_pdf(number, amount=amount, buyer=buyer)


def _import_once(state: StateStore) -> None:
    if state.query("SELECT 1 FROM invoices LIMIT 1"):
        return
    with tempfile.TemporaryDirectory() as folder:
        for company, number, amount, buyer, kind in DEMO_INVOICES:
            name, data = _file(number, amount, buyer, kind)
            (Path(folder) / name).write_bytes(data)
            import_invoice(state, Path(folder) / name, company, manager_email=MANAGER,
                           data_dir=invoice_files_dir(state.path))


def prepare(state: StateStore, piste: PisteEmulator) -> None:
    """Import the demo invoices once; put CHORUS PRO's side back; move one invoice on, so there is news to pull."""
    _import_once(state)
    account = piste.state.accounts[ACME_LOGIN]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    acme = state.query("SELECT id, number, amount, customer, chorus_id, chorus_status, transfer_state FROM invoices "
                       "WHERE company = 'ACME' ORDER BY id")
    for index, row in enumerate(acme):
        if row["chorus_id"]:
            piste.state.chorus.restore(ACME_LOGIN, account.siret, account.name, row["number"], float(row["amount"]),
                                       row["customer"], row["chorus_status"], int(row["chorus_id"]))
        elif index < ALREADY_TRANSFERRED and row["transfer_state"] == "pending":
            invoice = piste.state.chorus.restore(ACME_LOGIN, account.siret, account.name, row["number"],
                                                 float(row["amount"]), row["customer"], "DEPOSEE")
            with state.transaction() as db:
                db.execute("UPDATE invoices SET transfer_state = 'integrated', flow_number = ?, chorus_id = ?, "
                           "chorus_status = 'DEPOSEE', erp_status = '2 - Transmitted', updated_at = ? WHERE id = ?",
                           (invoice.flow_number, str(invoice.chorus_id), now, row["id"]))
                db.execute("INSERT INTO invoice_status_history (invoice_id, status, comment, erp_status, recorded_at) "
                           "VALUES (?, 'DEPOSEE', '', '2 - Transmitted', ?)", (row["id"], now))
    _news(state, piste)


def _news(state: StateStore, piste: PisteEmulator) -> None:
    """Since the last demo, CHORUS PRO rejected one invoice and made another available to its recipient."""
    open_ones = state.query("SELECT chorus_id FROM invoices WHERE company = 'ACME' AND chorus_id IS NOT NULL AND "
                            "chorus_status NOT IN ('A_RECYCLER', 'SUSPENDUE', 'REJETEE', 'MISE_EN_PAIEMENT') ORDER BY id")
    if open_ones:
        piste.set_status(int(open_ones[0][0]), "REJETEE", REJECTION)
    if len(open_ones) > 1:
        piste.set_status(int(open_ones[1][0]), "MISE_A_DISPOSITION", "")
