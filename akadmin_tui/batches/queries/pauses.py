"""Paused schedules, remembered across restarts and shared by the host, the command line and the console."""

from __future__ import annotations

from ..state import StateStore


def is_paused(state: StateStore, code: str) -> bool:
    """True when the batch's schedule is paused (it still runs when started by hand)."""
    rows = state.query("SELECT paused FROM batch_control WHERE batch_code = ?", (code,))
    return bool(rows and rows[0][0])


def paused_codes(state: StateStore) -> set[str]:
    """The batches whose schedule is paused."""
    return {row[0] for row in state.query("SELECT batch_code FROM batch_control WHERE paused = 1")}


def set_paused(state: StateStore, code: str, paused: bool) -> None:
    """Remember whether a batch's schedule is paused."""
    state.execute("INSERT INTO batch_control (batch_code, paused) VALUES (?, ?) ON CONFLICT(batch_code) "
                  "DO UPDATE SET paused = excluded.paused", (code, int(paused)))
