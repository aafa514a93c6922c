"""OAuth access tokens kept per credentials until shortly before they expire."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

EARLY_S = 240  # renew this long before the announced expiry, as PISTE clients do


@dataclass(frozen=True)
class CachedToken:
    """An access token and when it stops being used."""

    value: str
    expires_at: float


def cache_key(token_url: str, client_id: str, secret: str, *extra: str) -> tuple[str, ...]:
    """A key naming the credentials without holding the secret itself."""
    return (token_url, client_id, hashlib.sha256(secret.encode()).hexdigest(), *extra)


class TokenCache:
    """Tokens by credentials; thread-safe, since tests and batches may share it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._tokens: dict[tuple[str, ...], CachedToken] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def get(self, key: tuple[str, ...]) -> str | None:
        """The cached token, unless it is within EARLY_S of expiring."""
        with self._lock:
            token = self._tokens.get(key)
            if token is None or token.expires_at - EARLY_S <= self._clock():
                return None
            return token.value

    def put(self, key: tuple[str, ...], value: str, expires_in: object) -> None:
        """Keep a token for the `expires_in` a service announced (less the early margin)."""
        with self._lock:
            self._tokens[key] = CachedToken(value, self._clock() + lifetime(expires_in))

    def forget(self, key: tuple[str, ...]) -> None:
        """Drop a token the service refused, so the next call fetches a new one."""
        with self._lock:
            self._tokens.pop(key, None)


def lifetime(announced: object, default: float = 3600.0) -> float:
    """Seconds a token lives, from a service's `expires_in`; a missing or absurd value gives the default."""
    try:
        seconds = float(announced)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    if not math.isfinite(seconds) or seconds <= 0:
        return default
    return min(seconds, 86400.0)


SHARED = TokenCache()


async def token_step(probe, client, *, step: str, service: str, url: str, form: dict, key: tuple[str, ...],
                     cache: TokenCache, on_status=None, what: str = "Bearer token", headers=None) -> str | None:
    """An OAuth access token from the cache, or fetched as one step of a Test (and cached)."""
    cached = cache.get(key)
    if cached:
        probe.passed(step, "reused a cached token, still valid")
        return cached

    def has_token(body) -> str | None:
        if not isinstance(body, dict) or not body.get("access_token"):
            return f"{service} answered without an access_token."
        return None

    reply = await probe.call(step, client, "POST", url, form=form, headers=headers, business=has_token,
                             on_status=on_status, describe=lambda b: f"{what}, expires in {b.get('expires_in', '?')} s")
    if reply is None:
        return None
    cache.put(key, reply.body["access_token"], reply.body.get("expires_in"))
    return reply.body["access_token"]
