"""The statement batch's SQL: bank accounts, their transactions, and the statements made of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..state import StateStore


@dataclass(frozen=True)
class BankTransaction:
    """One booked transaction as it is stored (the amount as exact decimal text)."""

    id: str
    account_id: str
    date: str
    amount: str
    currency: str
    label: str
    fetched_at: str


@dataclass(frozen=True)
class Statement:
    """A statement just generated: its id, the period it covers, how many transactions and their total."""

    id: int
    period_start: str
    period_end: str
    transactions: int
    total: Decimal


def upsert_account(store: StateStore, *, account_id: str, name: str, iban: str, company: str, currency: str) -> None:
    """Insert the bank account, or update its name, IBAN, company and currency."""
    store.execute(
        "INSERT INTO bank_accounts (id, name, iban, company, currency) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, iban = excluded.iban, company = excluded.company, "
        "currency = excluded.currency",
        (account_id, name, iban, company, currency))


def last_sync_at(store: StateStore, *, account_id: str) -> str | None:
    """When the account's transactions were last retrieved (ISO text), None when never."""
    rows = store.query("SELECT last_sync_at FROM bank_accounts WHERE id = ?", (account_id,))
    return rows[0]["last_sync_at"] if rows and rows[0]["last_sync_at"] else None


def set_last_sync_at(store: StateStore, *, account_id: str, synced_at: str) -> None:
    """Remember when the account's transactions were retrieved."""
    store.execute("UPDATE bank_accounts SET last_sync_at = ? WHERE id = ?", (synced_at, account_id))


def add_transactions(store: StateStore, *, transactions: Sequence[BankTransaction]) -> int:
    """Store the transactions not stored yet, in one transaction; returns how many were new."""
    with store.transaction() as db:
        return sum(db.execute(
            "INSERT INTO bank_transactions (id, account_id, date, amount, currency, label, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            (t.id, t.account_id, t.date, t.amount, t.currency, t.label, t.fetched_at)).rowcount
            for t in transactions)


def make_statement(store: StateStore, *, account_id: str, company: str, generated_at: str,
                   run_id: int) -> Statement | None:
    """One statement of the account's pending transactions, linked to them; None when none is pending."""
    with store.transaction() as db:
        rows = db.execute("SELECT id, date, amount FROM bank_transactions WHERE account_id = ? AND "
                          "statement_id IS NULL", (account_id,)).fetchall()
        if not rows:
            return None
        total = sum((Decimal(amount) for _, _, amount in rows), Decimal(0))
        start, end = min(r[1] for r in rows), max(r[1] for r in rows)
        cursor = db.execute(
            "INSERT INTO statements (account_id, company, period_start, period_end, transactions, total, "
            "generated_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account_id, company, start, end, len(rows), format(total, "f"), generated_at, run_id))
        statement_id = int(cursor.lastrowid or 0)
        db.executemany("UPDATE bank_transactions SET statement_id = ? WHERE id = ?",
                       [(statement_id, r[0]) for r in rows])
    return Statement(statement_id, start, end, len(rows), total)
