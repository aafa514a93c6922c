"""The invoice table: recording an imported invoice, and the filtered, paged lists the console and CLI show."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..state import StateStore

NO_STATUS = ""  # the status filter value for invoices CHORUS PRO has not given a status yet
_ROW_COLUMNS = ("id, company, number, issue_date, amount, currency, customer, manager_email, transfer_state, "
                "flow_number, chorus_id, chorus_status, chorus_status_at, erp_status, last_error, updated_at")


def placeholders(values: Sequence[object]) -> str:
    """`?, ?, ?` for an SQL IN list."""
    return ", ".join("?" for _ in values) or "NULL"


# --- importing ------------------------------------------------------------------------------------

class KnownFile(NamedTuple):
    """The invoice already recorded under a company and number, and the file it came from."""

    id: int
    file_sha256: str
    file_name: str


def find_by_number(db: sqlite3.Connection, *, company: str, number: str) -> KnownFile | None:
    """The invoice `number` of `company`, inside the caller's transaction."""
    row = db.execute("SELECT id, file_sha256, file_name FROM invoices WHERE company = ? AND number = ?",
                     (company, number)).fetchone()
    return KnownFile(*row) if row is not None else None


def insert_pending(db: sqlite3.Connection, *, company: str, number: str, issue_date: str, amount: str, currency: str,
                   customer: str, customer_siret: str, file_path: str, file_name: str, file_sha256: str, syntax: str,
                   manager_email: str, at: str) -> int:
    """Record an imported invoice as pending transfer, inside the caller's transaction; returns its id."""
    cursor = db.execute(
        "INSERT INTO invoices (company, number, issue_date, amount, currency, customer, customer_siret, "
        "file_path, file_name, file_sha256, syntax, manager_email, transfer_state, erp_status, "
        "imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '', ?, ?)",
        (company, number, issue_date, amount, currency, customer, customer_siret, file_path, file_name, file_sha256,
         syntax, manager_email, at, at))
    return int(cursor.lastrowid or 0)


# --- listing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceFilter:
    """What the invoice list shows; None means no restriction.

    `status` is compared with the CHORUS PRO status exactly; NO_STATUS ('') selects the invoices that have none
    yet (not transferred, or transferred and not yet answered). `text` is a case-insensitive substring of the
    invoice number or the customer's name.
    """

    company: str | None = None
    status: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class InvoiceRow:
    """One line of the invoice list."""

    id: int
    company: str
    number: str
    issue_date: str
    amount: str
    currency: str
    customer: str
    manager_email: str
    transfer_state: str
    flow_number: str | None
    chorus_id: str | None
    chorus_status: str
    chorus_status_at: str
    erp_status: str
    last_error: str
    updated_at: str


@dataclass(frozen=True)
class InvoiceDetail(InvoiceRow):
    """One invoice with everything recorded about it."""

    customer_siret: str = ""
    file_path: str = ""
    file_name: str = ""
    file_sha256: str = ""
    syntax: str = ""
    imported_at: str = ""


@dataclass(frozen=True)
class HistoryRow:
    """One CHORUS PRO status an invoice went through."""

    status: str
    status_at: str
    comment: str
    erp_status: str
    recorded_at: str


def _where(flt: InvoiceFilter, *, paging: bool = False) -> tuple[str, list[str]]:
    clauses, params = [], []
    if flt.company is not None:
        # Company and status together use the (company, chorus_status) index, whose rows come in id order. For a
        # page by company alone that index would sort every row of the company; '+' makes SQLite walk ids
        # backwards instead, which stops after one page (there is no (company, id) index).
        unindexed = paging and flt.status is None
        clauses.append("+company = ?" if unindexed else "company = ?")
        params.append(flt.company)
    if flt.status is not None:
        clauses.append("chorus_status = ?")
        params.append(flt.status)
    text = (flt.text or "").strip()
    if text:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
        clauses.append("(number LIKE ? ESCAPE '\\' OR customer LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_invoices(state: StateStore, flt: InvoiceFilter) -> int:
    """How many invoices the filter selects."""
    where, params = _where(flt)
    return state.query(f"SELECT count(*) FROM invoices{where}", tuple(params))[0][0]


def list_invoices(state: StateStore, flt: InvoiceFilter, offset: int = 0, limit: int = 100) -> list[InvoiceRow]:
    """One page of the invoices the filter selects, newest first."""
    where, params = _where(flt, paging=True)
    rows = state.query(f"SELECT {_ROW_COLUMNS} FROM invoices{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                       (*params, max(limit, 0), max(offset, 0)))
    return [InvoiceRow(*row) for row in rows]


def invoice(state: StateStore, invoice_id: int) -> InvoiceDetail | None:
    """The invoice with this id, or None."""
    rows = state.query(f"SELECT {_ROW_COLUMNS}, customer_siret, file_path, file_name, file_sha256, syntax, "
                       "imported_at FROM invoices WHERE id = ?", (invoice_id,))
    return InvoiceDetail(*rows[0]) if rows else None


def status_history(state: StateStore, invoice_id: int) -> list[HistoryRow]:
    """The CHORUS PRO statuses of an invoice, oldest first."""
    rows = state.query("SELECT status, status_at, comment, erp_status, recorded_at FROM invoice_status_history "
                       "WHERE invoice_id = ? ORDER BY id", (invoice_id,))
    return [HistoryRow(*row) for row in rows]


def filter_choices(state: StateStore) -> tuple[list[str], list[str]]:
    """The companies and the CHORUS PRO statuses found among invoices, sorted (NO_STATUS first when present)."""
    # One pass over the (company, chorus_status) index, which covers both columns.
    pairs = state.query("SELECT DISTINCT company, chorus_status FROM invoices")
    return sorted({row[0] for row in pairs}), sorted({row[1] for row in pairs})
