"""Deposits of invoices to CHORUS PRO: each step of an invoice's transfer, recorded with its deposit row.

A deposit row is committed as 'sending' before the call, so an invoice whose answer was lost is never sent twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..state import StateStore
from .invoices import placeholders


def pending_count(state: StateStore, company: str) -> int:
    """How many invoices of `company` wait for their transfer."""
    return state.query("SELECT COUNT(*) FROM invoices WHERE company = ? AND transfer_state = 'pending'",
                       (company,))[0][0]


def pending(state: StateStore, companies: Sequence[str]) -> list[sqlite3.Row]:
    """The invoices of `companies` waiting for their transfer, oldest first."""
    return state.query(
        "SELECT id, company, number, file_path, file_name, syntax FROM invoices WHERE transfer_state = 'pending' "
        f"AND company IN ({placeholders(companies)}) ORDER BY id", tuple(companies))


def claim(state: StateStore, *, invoice_id: int, file_name: str, erp_status: str, run_id: int, at: str) -> int | None:
    """Take a pending invoice for this run and open its deposit row; None when another run took it first."""
    with state.transaction() as db:
        claimed = db.execute("UPDATE invoices SET transfer_state = 'sending', erp_status = ?, updated_at = ? "
                             "WHERE id = ? AND transfer_state = 'pending'", (erp_status, at, invoice_id)).rowcount
        if not claimed:
            return None
        return db.execute(
            "INSERT INTO deposits (invoice_id, file_name, state, run_id, started_at) VALUES (?, ?, 'sending', ?, ?)",
            (invoice_id, file_name, run_id, at)).lastrowid


def deposited(state: StateStore, *, deposit_id: int, invoice_id: int, flow: str, message: str, at: str) -> None:
    """CHORUS PRO took the deposit as flow `flow`."""
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'deposited', flow_number = ?, answered_at = ?, message = ? WHERE id = ?",
                   (flow, at, message, deposit_id))
        db.execute("UPDATE invoices SET transfer_state = 'deposited', status_check_left_at = '', flow_number = ?, "
                   "last_error = '', updated_at = ? WHERE id = ?", (flow, at, invoice_id))


def not_sent(state: StateStore, *, deposit_id: int, invoice_id: int, message: str, at: str) -> None:
    """A deposit CHORUS PRO certainly did not receive: the invoice goes back to pending."""
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'not sent', answered_at = ?, message = ? WHERE id = ?",
                   (at, message, deposit_id))
        db.execute("UPDATE invoices SET transfer_state = 'pending', last_error = ?, updated_at = ? WHERE id = ?",
                   (message, at, invoice_id))


def refused(state: StateStore, *, deposit_id: int, invoice_id: int, erp_status: str, message: str, at: str) -> None:
    """CHORUS PRO refused the deposit: the invoice is not sent again."""
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'refused', answered_at = ?, message = ? WHERE id = ?",
                   (at, message, deposit_id))
        db.execute("UPDATE invoices SET transfer_state = 'refused', erp_status = ?, last_error = ?, updated_at = ? "
                   "WHERE id = ?", (erp_status, message, at, invoice_id))


def set_transfer_state(state: StateStore, *, invoice_id: int, transfer_state: str, message: str, at: str) -> None:
    """Put an invoice in `transfer_state`, saying why."""
    state.execute("UPDATE invoices SET transfer_state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                  (transfer_state, message, at, invoice_id))


# --- deposits without an answer ----------------------------------------------------------------------

def unanswered(state: StateStore, companies: Sequence[str]) -> list[sqlite3.Row]:
    """Deposits of `companies` left 'sending': no answer was recorded."""
    return state.query(
        "SELECT d.id AS deposit_id, d.started_at, i.id, i.number, i.company FROM deposits d JOIN invoices i "
        f"ON i.id = d.invoice_id WHERE d.state = 'sending' AND i.company IN ({placeholders(companies)})",
        tuple(companies))


def adopted(state: StateStore, *, deposit_id: int, invoice_id: int, flow: str, message: str, at: str) -> None:
    """An unanswered deposit CHORUS PRO turned out to have: recorded as deposited, not sent again."""
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'adopted', flow_number = ?, answered_at = ?, message = ? "
                   "WHERE id = ?", (flow, at, message, deposit_id))
        db.execute("UPDATE invoices SET transfer_state = 'deposited', status_check_left_at = '', "
                   "flow_number = ?, updated_at = ? WHERE id = ?", (flow, at, invoice_id))


def transfer_state_of(state: StateStore, *, company: str, number: str) -> sqlite3.Row | None:
    """The id and transfer state of invoice `number` of `company`, or None."""
    rows = state.query("SELECT id, transfer_state FROM invoices WHERE company = ? AND number = ?", (company, number))
    return rows[0] if rows else None


def release(state: StateStore, *, invoice_id: int, at: str) -> None:
    """The administrator saw on the portal that an unanswered deposit never arrived: the invoice is pending again."""
    with state.transaction() as db:
        db.execute("UPDATE deposits SET state = 'released', answered_at = ?, message = 'released by the administrator' "
                   "WHERE invoice_id = ? AND state = 'sending'", (at, invoice_id))
        db.execute("UPDATE invoices SET transfer_state = 'pending', updated_at = ? WHERE id = ?", (at, invoice_id))


# --- following flows -------------------------------------------------------------------------------

def in_deposited_flows(state: StateStore, companies: Sequence[str]) -> list[sqlite3.Row]:
    """Deposited invoices of `companies` with their flow and their first deposit's time ('since')."""
    return state.query(
        "SELECT i.id, i.company, i.number, i.flow_number, MIN(d.started_at) AS since FROM invoices i JOIN deposits d "
        "ON d.invoice_id = i.id WHERE i.transfer_state = 'deposited' AND "
        f"i.company IN ({placeholders(companies)}) GROUP BY i.id ORDER BY i.id", tuple(companies))


def set_flow_state(state: StateStore, *, flow_number: str, flow_state: str) -> None:
    """Remember what the flow report says of a flow."""
    state.execute("UPDATE deposits SET flow_state = ? WHERE flow_number = ?", (flow_state, flow_number))


def flow_rejected(state: StateStore, *, invoice_id: int, erp_status: str, errors: str, at: str) -> None:
    """CHORUS PRO rejected the invoice's flow."""
    with state.transaction() as db:
        db.execute("UPDATE invoices SET transfer_state = 'rejected', erp_status = ?, last_error = ?, "
                   "updated_at = ? WHERE id = ?", (erp_status, errors, at, invoice_id))


def integrated(state: StateStore, *, invoice_id: int, chorus_id: str, erp_before: str, erp_after: str,
               at: str) -> None:
    """The invoice has its CHORUS id; its ERP status moves from `erp_before` (or none) to `erp_after`."""
    with state.transaction() as db:
        db.execute("UPDATE invoices SET transfer_state = 'integrated', chorus_id = ?, updated_at = ?, "
                   "erp_status = CASE WHEN erp_status IN ('', ?) THEN ? ELSE erp_status END WHERE id = ?",
                   (chorus_id, at, erp_before, erp_after, invoice_id))
