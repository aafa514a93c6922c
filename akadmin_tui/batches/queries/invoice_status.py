"""The CHORUS PRO status of transferred invoices: what to check, each change with its history, the alerts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..state import StateStore
from .invoices import placeholders


def in_flight(state: StateStore, *, companies: Sequence[str], turned_down: Sequence[str],
              final: Sequence[str]) -> list[sqlite3.Row]:
    """Invoices of `companies` whose CHORUS status may still change, oldest first.

    An invoice counts once CHORUS PRO knows it (its id) or holds its flow, unless the flow was turned down
    (`turned_down` transfer states), and while its status is not one of the `final` ones.
    """
    return state.query(
        "SELECT id, company, number, chorus_id, chorus_status, manager_email, customer, amount, currency FROM invoices "
        f"WHERE company IN ({placeholders(companies)}) AND (chorus_id IS NOT NULL OR (flow_number IS NOT NULL AND "
        f"transfer_state NOT IN ({placeholders(turned_down)}))) "
        f"AND chorus_status NOT IN ({placeholders(final)}) ORDER BY id",
        (*companies, *turned_down, *final))


def turned_down_flows(state: StateStore, *, companies: Sequence[str], turned_down: Sequence[str]) -> list[sqlite3.Row]:
    """Invoices of `companies` whose flow was turned down and that the status check has not left yet."""
    return state.query(
        "SELECT id, company, number, flow_number, last_error FROM invoices WHERE chorus_id IS NULL AND "
        f"flow_number IS NOT NULL AND transfer_state IN ({placeholders(turned_down)}) AND "
        f"status_check_left_at = '' AND company IN ({placeholders(companies)}) ORDER BY id",
        (*turned_down, *companies))


def claim_leaving(state: StateStore, *, invoice_id: int, at: str) -> bool:
    """Mark that the status check leaves this invoice; False when another run did already."""
    return bool(state.execute("UPDATE invoices SET status_check_left_at = ? WHERE id = ? AND "
                              "status_check_left_at = ''", (at, invoice_id)).rowcount)


def move_status(db: sqlite3.Connection, *, invoice_id: int, seen: str, chorus_id: str, status: str, status_at: str,
                erp: str, at: str) -> bool:
    """Move the invoice from the status `seen` to `status` (and `erp`, when given); False when it had moved already."""
    return db.execute("UPDATE invoices SET chorus_id = ?, chorus_status = ?, chorus_status_at = ?, "
                      "erp_status = CASE WHEN ? != '' THEN ? ELSE erp_status END, updated_at = ? "
                      "WHERE id = ? AND chorus_status = ?",
                      (chorus_id or None, status, status_at, erp, erp, at, invoice_id, seen)).rowcount == 1


def add_history(db: sqlite3.Connection, *, invoice_id: int, status: str, status_at: str, comment: str, erp: str,
                run_id: int, at: str) -> int:
    """Record one status the invoice went through, inside the caller's transaction; returns its id."""
    cursor = db.execute(
        "INSERT INTO invoice_status_history (invoice_id, status, status_at, comment, erp_status, run_id, "
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)", (invoice_id, status, status_at, comment, erp, run_id, at))
    return int(cursor.lastrowid or 0)


def add_alert(db: sqlite3.Connection, *, history_id: int, invoice_id: int, status: str, recipient: str,
              run_id: int) -> None:
    """Record an alert still to send for a history entry, inside the caller's transaction."""
    db.execute("INSERT INTO alerts (history_id, invoice_id, status, recipient, sent_at, run_id) "
               "VALUES (?, ?, ?, ?, '', ?)", (history_id, invoice_id, status, recipient, run_id))


def claim_alert(state: StateStore, *, history_id: int, run_id: int) -> bool:
    """Take the alert for this run: unsent, or left 'sending' by a run that no longer runs; False otherwise."""
    return bool(state.execute(
        "UPDATE alerts SET sent_at = ?, run_id = ? WHERE history_id = ? AND (sent_at = '' OR (sent_at LIKE 'sending:%' "
        "AND run_id NOT IN (SELECT id FROM batch_runs WHERE outcome = 'running')))",
        (f"sending:{run_id}", run_id, history_id)).rowcount)


def give_back_alert(state: StateStore, history_id: int) -> None:
    """The alert could not be sent: the next run sends it."""
    state.execute("UPDATE alerts SET sent_at = '' WHERE history_id = ?", (history_id,))


def alert_sent(state: StateStore, *, history_id: int, at: str) -> None:
    """Remember when the alert went out."""
    state.execute("UPDATE alerts SET sent_at = ? WHERE history_id = ?", (at, history_id))


def unsent_alerts(state: StateStore, *, companies: Sequence[str]) -> list[sqlite3.Row]:
    """Alerts of `companies` a previous run could not send, with what the e-mail says of the invoice."""
    return state.query(
        "SELECT a.history_id, a.status, a.recipient, h.comment, i.id, i.company, i.number, i.chorus_id, "
        "i.chorus_status, i.customer, i.amount, i.currency FROM alerts a JOIN invoice_status_history h ON "
        "h.id = a.history_id JOIN invoices i ON i.id = a.invoice_id WHERE (a.sent_at = '' OR a.sent_at LIKE 'sending:%') "
        f"AND i.company IN ({placeholders(companies)})", tuple(companies))
