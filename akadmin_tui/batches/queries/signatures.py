"""The signature batch's SQL: the Universign transactions followed, their status and their download."""

from __future__ import annotations

from dataclasses import dataclass

from ..state import StateStore


@dataclass(frozen=True)
class Followed:
    """A stored transaction: its status and when its documents were downloaded (None while not)."""

    id: str
    status: str
    downloaded_at: str | None


def followed_transactions(store: StateStore) -> list[Followed]:
    """Every stored transaction, with its status and download time."""
    rows = store.query("SELECT id, status, downloaded_at FROM signature_transactions")
    return [Followed(r["id"], r["status"], r["downloaded_at"]) for r in rows]


def stored_status(store: StateStore, *, tx_id: str) -> str | None:
    """The status stored for a transaction, None when it is not stored."""
    rows = store.query("SELECT status FROM signature_transactions WHERE id = ?", (tx_id,))
    return rows[0]["status"] if rows else None


def save_status(store: StateStore, *, tx_id: str, name: str, status: str, signers_total: int, signers_signed: int,
                updated_at: str) -> None:
    """Insert the transaction, or update its name, status and signers."""
    store.execute(
        "INSERT INTO signature_transactions (id, name, status, signers_total, signers_signed, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = excluded.status, "
        "signers_total = excluded.signers_total, signers_signed = excluded.signers_signed, "
        "updated_at = excluded.updated_at",
        (tx_id, name, status, signers_total, signers_signed, updated_at))


def mark_downloaded(store: StateStore, *, tx_id: str, folder: str, documents: int, downloaded_at: str) -> None:
    """Remember where the transaction's signed documents were saved, how many, and when."""
    store.execute("UPDATE signature_transactions SET folder = ?, documents = ?, downloaded_at = ? WHERE id = ?",
                  (folder, documents, downloaded_at, tx_id))
