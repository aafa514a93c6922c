"""The Bridge (Akuiteo Connect) Test against its emulator."""

from __future__ import annotations

import json

import pytest

from akadmin_tui.connectors import bridge, bridge_api
from akadmin_tui.connectors.http import make_client
from akadmin_tui.sandbox.bridge import BridgeEmulator
from akadmin_tui.sandbox.server import Fault

CLIENT_ID, SECRET, VERSION = "demo-bridge-client", "demo-bridge-secret", "2025-01-15"


@pytest.fixture
def emulator():
    running = BridgeEmulator(CLIENT_ID, SECRET)
    running.start()
    yield running
    running.stop()


def assert_no_secret(result, *secrets: str) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in (SECRET, *secrets) if s and s in text]
    assert not leaked, leaked


async def run(emulator: BridgeEmulator, *, secret: str = SECRET, version: str = VERSION):
    account = bridge.BridgeAccount(emulator.api_url, version, CLIENT_ID, secret)
    async with make_client() as client:
        result = await bridge.test_connection(account, client)
    assert_no_secret(result, secret)
    return result


async def test_success_sends_the_application_headers(emulator) -> None:
    result = await run(emulator)
    assert result.passed, result.to_text()
    assert result.section == "akuiteo_connect" and result.steps[0].detail == "application authenticated, users exist"
    assert "Client-Secret: ********" in result.steps[0].request and "Client-Id: demo-bridge-client" in result.steps[0].request
    call = emulator.calls[-1]
    assert call.path == "/v3/aggregation/users" and call.query == {"limit": ["1"]}
    assert (call.header("client-id"), call.header("client-secret")) == (CLIENT_ID, SECRET)
    assert call.header("bridge-version") == VERSION and call.header("accept") == "application/json"


async def test_no_user_yet(emulator) -> None:
    emulator.users = []
    result = await run(emulator)
    assert result.passed and result.steps[0].detail == "application authenticated, no user yet"


async def test_wrong_secret(emulator) -> None:
    result = await run(emulator, secret="not-the-secret")
    diagnosis = result.failed_step.diagnosis
    assert "Bridge refused the application's credentials (401)" in diagnosis
    assert "invalid_client_credentials" in diagnosis and "Bridge client secret" in diagnosis


async def test_wrong_credentials_switch(emulator) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    assert "invalid_client_credentials" in (await run(emulator)).failed_step.diagnosis


@pytest.mark.parametrize("version, said", [
    ("2021-06-01", "invalid_version: Bridge-Version: Bridge-Version 2021-06-01 is not supported"),
    ("", "missing_header: Bridge-Version: Missing Bridge-Version header"),
])
async def test_missing_or_unknown_version(emulator, version: str, said: str) -> None:
    diagnosis = (await run(emulator, version=version)).failed_step.diagnosis
    assert f"Bridge does not accept Bridge-Version {version or '(empty)'} (400)" in diagnosis
    assert said in diagnosis and "2025-01-15" in diagnosis


async def test_ip_allow_list(emulator) -> None:
    emulator.ip_refused = True
    diagnosis = (await run(emulator)).failed_step.diagnosis
    assert "(403)" in diagnosis and "allow-list" in diagnosis


async def test_rate_limit(emulator) -> None:
    emulator.set_fault(Fault.BURST_429)
    diagnosis = (await run(emulator)).failed_step.diagnosis
    assert "Bridge's rate limit is reached (429" in diagnosis and "wait 2 s" in diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    result = await run(emulator)
    assert expected in result.failed_step.diagnosis, result.to_text()


async def test_wrong_base_url(emulator) -> None:
    account = bridge.BridgeAccount(emulator.url + "/v2", VERSION, CLIENT_ID, SECRET)
    async with make_client() as client:
        result = await bridge.test_connection(account, client)
    assert_no_secret(result)
    assert "(404): check the URL" in result.failed_step.diagnosis


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits after a 429, recorded instead of slept."""
    recorded: list[float] = []

    async def no_wait(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(bridge_api, "sleep", no_wait)
    return recorded


def session(emulator: BridgeEmulator, client, *, secret: str = SECRET,
            warned: list | None = None) -> bridge_api.BridgeSession:
    account = bridge.BridgeAccount(emulator.api_url, VERSION, CLIENT_ID, secret)
    return bridge_api.BridgeSession(account, client, warn=(warned if warned is not None else []).append)


async def test_the_session_honours_one_retry_after_then_reads_the_accounts(emulator, waits) -> None:
    warned: list[str] = []
    async with make_client() as client:
        calls = session(emulator, client, warned=warned)
        await calls.authorize("finance-acme-example")
        emulator.rate_limit(1, retry_after_s=3)
        accounts = await calls.accounts()
    assert [a["name"] for a in accounts] == ["Compte courant ACME", "Compte sur livret ACME"]
    assert waits == [3]
    assert warned == [("Bridge's rate limit is reached (429) while listing the accounts; waiting 3 s before retry "
                       "1 of 3.")]
    listed = [c for c in emulator.calls if c.path == "/v3/aggregation/accounts"]
    assert len(listed) == 2 and all(c.header("authorization").startswith("Bearer ") for c in listed)


async def test_the_session_reads_a_retry_after_date_and_gives_up_after_three_retries(emulator, waits) -> None:
    emulator.set_fault(Fault.BURST_429, retry_after_s=3, retry_after_date=True)
    async with make_client() as client:
        calls = session(emulator, client)
        with pytest.raises(bridge_api.BridgeError, match="still reached after 3 retries while getting") as caught:
            await calls.authorize("finance-acme-example")
    assert caught.value.status == 429 and not isinstance(caught.value, bridge_api.BridgeRefused)
    assert len(waits) == 3 and all(2 <= w <= 3 for w in waits)


async def test_the_session_classifies_refusals(emulator) -> None:
    async with make_client() as client:
        wrong = session(emulator, client, secret="not-the-secret")
        with pytest.raises(bridge_api.BridgeRefused, match="check Bridge client ID and Bridge client secret"):
            await wrong.authorize("finance-acme-example")
        unknown = session(emulator, client)
        with pytest.raises(bridge_api.BridgeError) as caught:
            await unknown.authorize("nobody-acme-example")
    assert caught.value.status == 404 and "Bridge answered HTTP 404" in str(caught.value)


async def test_the_session_follows_pagination_but_never_to_another_host(emulator) -> None:
    account_id = emulator.add_account("Compte pro ACME")
    emulator.add_transactions(account_id, 1200)
    async with make_client() as client:
        calls = session(emulator, client)
        await calls.authorize("finance-acme-example")
        pages = [page async for page in calls.transaction_pages(str(account_id), "the pro account")]
        assert [len(p) for p in pages] == [500, 500, 200]
        with pytest.raises(bridge_api.BridgeError, match="next_uri leads to another host"):
            calls.follow("https://elsewhere.example/v3/aggregation/transactions")
