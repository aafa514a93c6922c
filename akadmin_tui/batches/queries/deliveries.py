"""The accounting deliveries' SQL: what was delivered to each configuration, claims, outcomes, remote statuses.

A delivery row is claimed ('sending') and committed before anything leaves; a row still 'sending' once its run is
over means the process stopped mid-delivery.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from ..state import StateStore

# Rows whose run is over (or unknown): what they say is final, no running batch will change it.
_RUN_OVER = "(run_id IS NULL OR run_id NOT IN (SELECT id FROM batch_runs WHERE outcome = 'running'))"


def sales_invoice_files(state: StateStore, company: str) -> list[sqlite3.Row]:
    """The company's imported invoices: id, number, file_path, file_name."""
    return state.query("SELECT id, number, file_path, file_name FROM invoices WHERE company = ? ORDER BY id", (company,))


def statements_of(state: StateStore, company: str) -> list[sqlite3.Row]:
    """The company's bank statements with their account: id, account_id, period_start, period_end, name, iban,
    currency."""
    return state.query("SELECT s.id, s.account_id, s.period_start, s.period_end, a.name, a.iban, a.currency "
                       "FROM statements s JOIN bank_accounts a ON a.id = s.account_id WHERE s.company = ? "
                       "ORDER BY s.id", (company,))


def statement_lines(state: StateStore, statement_id: int) -> list[sqlite3.Row]:
    """A statement's transactions in date order: date, label, amount, currency."""
    return state.query("SELECT date, label, amount, currency FROM bank_transactions WHERE statement_id = ? "
                       "ORDER BY date, id", (statement_id,))


def taken_sources(state: StateStore, configuration: str) -> set[str]:
    """The source keys a configuration has, or may have, received (every delivery but the failed ones)."""
    return {row[0] for row in state.query("SELECT source_key FROM accounting_deliveries WHERE configuration = ? "
                                          "AND state != 'failed'", (configuration,))}


def cut_short(state: StateStore, configuration: str) -> list[sqlite3.Row]:
    """Deliveries of finished runs left 'sending' or 'in doubt': id, file_name, source_key, kind."""
    return state.query("SELECT id, file_name, source_key, kind FROM accounting_deliveries WHERE configuration = ? "
                       f"AND state IN ('sending', 'in doubt') AND {_RUN_OVER}", (configuration,))


def interrupted(state: StateStore, configuration: str) -> list[sqlite3.Row]:
    """Deliveries a finished run left 'sending': id, file_name."""
    return state.query("SELECT id, file_name FROM accounting_deliveries WHERE configuration = ? AND state = 'sending' "
                       f"AND {_RUN_OVER}", (configuration,))


def claim(state: StateStore, *, company: str, configuration: str, kind: str, source_key: str, file_name: str,
          sha256: str, run_id: int, stamp: str) -> int | None:
    """Record a delivery as 'sending' before anything leaves; its id, or None when another run has it."""
    with state.transaction() as db:
        row = db.execute("SELECT id, state FROM accounting_deliveries WHERE configuration = ? AND source_key = ?",
                         (configuration, source_key)).fetchone()
        if row is not None and row[1] != "failed":
            return None
        if row is None:
            inserted = db.execute(
                "INSERT INTO accounting_deliveries (company, configuration, kind, source_key, file_name, file_sha256, "
                "state, attempts, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?)",
                (company, configuration, kind, source_key, file_name, sha256, run_id, stamp)).lastrowid
            assert inserted is not None  # an INSERT of one row always has a row id
            return inserted
        db.execute("UPDATE accounting_deliveries SET state = 'sending', attempts = attempts + 1, run_id = ? WHERE id = ?",
                   (run_id, row[0]))
        return int(row[0])


def mark_in_doubt(state: StateStore, delivery: int, error: str | None = None) -> None:
    """The delivery may have arrived: never sent again without the admin (`error`, when given, says why)."""
    if error is None:
        state.execute("UPDATE accounting_deliveries SET state = 'in doubt' WHERE id = ?", (delivery,))
    else:
        state.execute("UPDATE accounting_deliveries SET state = 'in doubt', last_error = ? WHERE id = ?",
                      (error, delivery))


def mark_failed(state: StateStore, delivery: int, error: str) -> None:
    """The delivery did not arrive: the next run sends it again."""
    state.execute("UPDATE accounting_deliveries SET state = 'failed', last_error = ? WHERE id = ?", (error, delivery))


def mark_adopted(state: StateStore, delivery: int, remote_id: str, remote_status: str, stamp: str) -> None:
    """A delivery cut short that the package did receive."""
    state.execute("UPDATE accounting_deliveries SET state = 'delivered', remote_id = ?, remote_status = ?, "
                  "delivered_at = ? WHERE id = ?", (remote_id, remote_status, stamp, delivery))


def mark_delivered(state: StateStore, delivery: int, *, outcome: str, remote_id: str, remote_status: str,
                   remote_reason: str, stamp: str) -> None:
    """The package's answer to a delivery (`outcome`: 'delivered' or 'duplicate')."""
    state.execute("UPDATE accounting_deliveries SET state = ?, remote_id = ?, remote_status = ?, remote_reason = ?, "
                  "delivered_at = ?, last_error = '' WHERE id = ?",
                  (outcome, remote_id, remote_status, remote_reason, stamp, delivery))


def being_processed(state: StateStore, configuration: str, statuses: Collection[str]) -> list[sqlite3.Row]:
    """Delivered documents whose remote status is one of `statuses`: id, file_name, remote_id, remote_status."""
    if not statuses:
        return []
    return state.query("SELECT id, file_name, remote_id, remote_status FROM accounting_deliveries WHERE "
                       "configuration = ? AND state = 'delivered' AND remote_id != '' AND remote_status IN "
                       f"({', '.join('?' * len(statuses))})", (configuration, *sorted(statuses)))


def record_status(state: StateStore, delivery: int, *, outcome: str, remote_status: str, remote_reason: str) -> None:
    """A delivered document's new remote status (`outcome`: 'delivered' or 'duplicate')."""
    state.execute("UPDATE accounting_deliveries SET remote_status = ?, remote_reason = ?, state = ? WHERE id = ?",
                  (remote_status, remote_reason, outcome, delivery))


def release_in_doubt(state: StateStore, configuration: str, reason: str) -> int:
    """Send again the deliveries of a configuration left in doubt; how many were released."""
    return state.execute("UPDATE accounting_deliveries SET state = 'failed', last_error = ? WHERE configuration = ? "
                         "AND state = 'in doubt'", (reason, configuration)).rowcount
