"""The Bridge (Akuiteo Connect) Test against its emulator."""

from __future__ import annotations

import json

import pytest

from akadmin_tui.connectors import bridge
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
