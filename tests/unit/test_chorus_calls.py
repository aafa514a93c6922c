"""The CHORUS PRO call rules: one shared window per account, the daily quota, retries, Retry-After, 401."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from akadmin_tui.connectors.chorus import ChorusAccount
from akadmin_tui.connectors.chorus_api import CallRules, ChorusError, ChorusSession, QuotaReached
from akadmin_tui.connectors.ratelimit import MemoryUsage, RateLimiter, utc_day
from akadmin_tui.connectors.tokens import TokenCache

ACCOUNT = ChorusAccount("https://oauth.test/api/oauth/token", "https://api.test/cpro/", "qualification",
                        "client-1", "very-secret-1", "TECH_1@cpro.fr", "chorus-pass-1")


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_limiter_never_lets_more_than_the_rate_through_in_any_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(23):
        await limiter.acquire()
        stamps.append(clock.now)
    for start in stamps:
        assert sum(1 for s in stamps if start <= s <= start + 1.0) <= 5  # even a closed window
    assert clock.now - 1000.0 >= 4.0  # 23 calls at 5/s need more than 4 s


async def test_limiter_paces_evenly_with_no_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    clock.now += 10.0  # idle for a while: no credit builds up for a burst
    stamps = []
    for _ in range(6):
        await limiter.acquire()
        stamps.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert all(gap == pytest.approx(limiter.interval_s) for gap in gaps) and limiter.interval_s > 1 / 20


async def test_slow_down_holds_everyone_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    limiter.slow_down(3.0)
    await limiter.acquire()
    assert clock.now - 1000.0 == pytest.approx(3.0, abs=0.01)


def session_with(handler, *, retries: int = 3, usage=None, quota: int = 50_000) -> tuple[ChorusSession, FakeClock]:
    clock = FakeClock()

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": f"tok-{len(tokens)}", "expires_in": 3600})
        return handler(request)

    tokens: list = []
    client = httpx.AsyncClient(transport=httpx.MockTransport(route))
    rules = CallRules(max_calls_per_second=20, retry_count=retries, retry_delay_s=7, daily_quota=quota)
    session = ChorusSession(ACCOUNT, client, rules, usage=usage or MemoryUsage(), tokens=TokenCache(),
                            limiter=RateLimiter(20, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    return session, clock


async def test_retry_after_is_honoured_then_the_call_succeeds() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "4"}, json={}), httpx.Response(503, json={}),
               httpx.Response(200, json={"codeRetour": 0, "listeFactures": []})]
    session, clock = session_with(lambda request: answers.pop(0))
    assert (await session.call("factures/v1/rechercher/fournisseur", {}))["codeRetour"] == 0
    assert 4.0 in clock.slept and 7 in clock.slept
    assert session.throttled == 1 and session.calls == 3


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    """RFC 9110 lets Retry-After be a date; it is measured against the answer's own Date header."""
    throttled = {"Retry-After": "Thu, 03 Dec 2026 10:00:42 GMT", "Date": "Thu, 03 Dec 2026 10:00:00 GMT"}
    answers = [httpx.Response(429, headers=throttled, json={}), httpx.Response(200, json={"codeRetour": 0})]
    session, clock = session_with(lambda request: answers.pop(0))
    await session.call("factures/v1/rechercher/fournisseur", {})
    assert 42.0 in clock.slept and 7 not in clock.slept


async def test_retries_stop_after_retry_count() -> None:
    session, clock = session_with(lambda request: httpx.Response(500, json={"message": "boom"}), retries=2)
    with pytest.raises(ChorusError, match="failed 3 time"):
        await session.call("factures/v1/rechercher/fournisseur", {})
    assert clock.slept == [7, 7]


async def test_a_refused_token_is_renewed_once_without_spending_a_retry() -> None:
    answers = [httpx.Response(401, json={}), httpx.Response(200, json={"codeRetour": 0})]
    seen = []

    def handler(request):
        seen.append(request.headers["authorization"])
        return answers.pop(0)

    session, _ = session_with(handler, retries=0)
    await session.call("factures/v1/consulter/historique", {"idFacture": 1})
    assert len(seen) == 2


async def test_business_refusal_is_not_retried_and_names_the_code() -> None:
    session, clock = session_with(lambda r: httpx.Response(200, json={"codeRetour": 20003, "libelle": "GCU_MSG_05"}))
    with pytest.raises(ChorusError, match="codeRetour 20003, GCU_MSG_05"):
        await session.call("factures/v1/consulter/historique", {"idFacture": 1})
    assert clock.slept == []


async def test_deposit_is_never_retried_when_the_answer_was_lost() -> None:
    calls = []

    def handler(request):
        calls.append(json.loads(request.content)["nomFichier"])
        raise httpx.ReadTimeout("no answer", request=request)

    session, _ = session_with(handler)
    with pytest.raises(ChorusError) as caught:
        await session.deposit("F-1.xml", b"<Invoice/>", "IN_DP_E1_UBL_INVOICE")
    assert caught.value.maybe_received and calls == ["F-1.xml"]


async def test_deposits_stop_before_the_quota_but_reads_go_on() -> None:
    usage = MemoryUsage()
    session, _ = session_with(lambda r: httpx.Response(200, json={"codeRetour": 0}), usage=usage, quota=100)
    usage.add(session.key, utc_day(), 98)
    with pytest.raises(QuotaReached, match="Deposits are stopped for today"):
        await session.deposit("F-1.xml", b"<Invoice/>", "IN_DP_E1_UBL_INVOICE")
    await session.call("factures/v1/consulter/historique", {"idFacture": 1})
    usage.add(session.key, utc_day(), 1)
    with pytest.raises(QuotaReached, match="used up"):
        await session.call("factures/v1/consulter/historique", {"idFacture": 1})


async def test_secrets_never_reach_an_error_text() -> None:
    session, _ = session_with(lambda r: httpx.Response(400, json={"message": f"bad {ACCOUNT.client_secret}"}))
    with pytest.raises(ChorusError) as caught:
        await session.call("factures/v1/consulter/historique", {"idFacture": 1})
    assert ACCOUNT.client_secret not in str(caught.value)
