"""CHORUS PRO bookkeeping: the daily count of calls per account, and how far each status check has read."""

from __future__ import annotations

import datetime as dt

from ..state import StateStore


def add_calls(state: StateStore, *, account: str, day: str, calls: int) -> int:
    """Count `calls` more calls of `account` on `day`; returns the day's total."""
    with state.transaction() as db:
        db.execute("INSERT INTO chorus_usage (account, day, calls) VALUES (?, ?, ?) ON CONFLICT(account, day) "
                   "DO UPDATE SET calls = calls + excluded.calls", (account, day, calls))
        return int(db.execute("SELECT calls FROM chorus_usage WHERE account = ? AND day = ?",
                              (account, day)).fetchone()[0])


def calls_made(state: StateStore, *, account: str, day: str) -> int:
    """How many calls `account` made on `day`."""
    rows = state.query("SELECT calls FROM chorus_usage WHERE account = ? AND day = ?", (account, day))
    return int(rows[0][0]) if rows else 0


def watermark(state: StateStore, key: str) -> dt.datetime | None:
    """From when a status check last asked for changes, or None before its first complete check."""
    rows = state.query("SELECT checked_from FROM chorus_watermarks WHERE account = ?", (key,))
    return dt.datetime.fromisoformat(rows[0][0]) if rows else None


def save_watermark(state: StateStore, key: str, when: dt.datetime) -> None:
    """Remember from when the next status check asks for changes."""
    state.execute("INSERT INTO chorus_watermarks (account, checked_from) VALUES (?, ?) ON CONFLICT(account) "
                  "DO UPDATE SET checked_from = excluded.checked_from", (key, when.isoformat()))
