"""Call budgets shared by every caller of one account: a per-second window and a daily quota."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

# Calls are spaced a little more than 1/rate apart: they reach the service with some jitter, and the service's
# own one-second window, counted at arrival, must never see more than the limit (at 20/s: 52.5 ms apart).
SPACING_MARGIN = 1.05


class RateLimiter:
    """Paces calls evenly, `per_second` at most, whoever makes them (batches, Tests): a GCRA with no burst.

    Each call takes the next free slot, at least 1/rate (plus a margin) after the previous one, so no
    window of one second ever holds more than the limit, whenever the calls started; a sliding window let
    bursts through that the service's window counted as 21 of 20.
    """

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.per_second = max(1, per_second)
        self._next_slot = float("-inf")  # the theoretical arrival time of the next call
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited_s = 0.0  # how long callers were held back, for the benchmarks

    @property
    def interval_s(self) -> float:
        """The least time between two calls."""
        return SPACING_MARGIN / self.per_second

    async def acquire(self) -> None:
        """Take the next free slot and wait for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval_s
        wait = slot - now
        if wait > 0:
            self.waited_s += wait
            await self._sleep(wait)

    def slow_down(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (a 429 told us to)."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(account: str, per_second: int) -> RateLimiter:
    """The process-wide limiter of one account, following the configured rate when it changes."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(account)
        if limiter is None:
            limiter = _LIMITERS[account] = RateLimiter(per_second)
        limiter.per_second = max(1, per_second)
        return limiter


class UsageCounter(Protocol):
    """Counts an account's calls per UTC day (the state database keeps it across runs and processes)."""

    def add(self, account: str, day: str, calls: int = 1) -> int:
        """Count `calls` more; returns the day's total."""

    def used(self, account: str, day: str) -> int:
        """The day's total so far."""


class MemoryUsage:
    """A UsageCounter kept in memory (Tests and commands without a state database)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def add(self, account: str, day: str, calls: int = 1) -> int:
        with self._lock:
            total = self._counts.get((account, day), 0) + calls
            self._counts[(account, day)] = total
            return total

    def used(self, account: str, day: str) -> int:
        with self._lock:
            return self._counts.get((account, day), 0)


def utc_day(now: dt.datetime | None = None) -> str:
    """Today's date in UTC, as quotas count days."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date().isoformat()
