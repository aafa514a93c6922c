"""Call budgets shared by every caller of one account: a per-second window and a daily quota."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

# A little over a second: calls leave here and reach the service with some jitter, and the service's own
# one-second window must never see more than the limit.
WINDOW_S = 1.05


class RateLimiter:
    """At most `per_second` calls in any one-second window, whoever makes them (batches, Tests)."""

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.per_second = max(1, per_second)
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited_s = 0.0  # how long callers were held back, for the benchmarks

    async def acquire(self) -> None:
        """Wait until a call fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= WINDOW_S:
                    self._stamps.popleft()
                if len(self._stamps) < self.per_second:
                    self._stamps.append(now)
                    return
                wait = WINDOW_S - (now - self._stamps[0]) + 0.001
            self.waited_s += wait
            await self._sleep(wait)

    def slow_down(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (a 429 told us to), by filling the window ahead."""
        with self._lock:
            until = self._clock() + seconds - WINDOW_S
            self._stamps = deque([until] * self.per_second)


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
