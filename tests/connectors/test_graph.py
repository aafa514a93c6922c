"""The Microsoft Graph Test against the Microsoft emulator."""

from __future__ import annotations

import pytest

from akadmin_tui.connectors import graph
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.microsoft import GRAPH_SCOPE
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox.microsoft import MicrosoftEmulator
from akadmin_tui.sandbox.server import Fault

from .test_exchange import CLIENT, SECRET, TENANT, TEST_USER, check_no_secret, start_emulator


@pytest.fixture
def microsoft():
    emulator = start_emulator()
    yield emulator
    emulator.stop()


def account(emulator: MicrosoftEmulator, **overrides) -> graph.GraphAccount:
    values = dict(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET, test_user=TEST_USER,
                  graph_url=emulator.graph_url, authority_url=emulator.authority_url)
    values.update(overrides)
    return graph.GraphAccount(**values)


async def run(emulator: MicrosoftEmulator, target: graph.GraphAccount, cache: TokenCache | None = None):
    async with make_client() as client:
        result = await graph.test_connection(target, client, cache=cache or TokenCache())
    check_no_secret(result, emulator)
    return result


async def test_success(microsoft) -> None:
    result = await run(microsoft, account(microsoft))
    assert result.passed, result.to_text()
    assert [s.name for s in result.steps] == ["Microsoft token", "Graph calendar"]
    assert result.steps[1].detail == f"calendar 'Calendar' of {TEST_USER}"
    token_call, calendar_call = microsoft.calls
    assert token_call.form()["scope"] == GRAPH_SCOPE
    assert calendar_call.path == f"/v1.0/users/{TEST_USER}/calendar"
    assert calendar_call.header("authorization").startswith("Bearer ")
    assert "Authorization: ********" in result.steps[1].request


async def test_wrong_client_secret(microsoft) -> None:
    result = await run(microsoft, account(microsoft, client_secret="not-the-secret-value"))
    assert "client secret is wrong (AADSTS7000215)" in result.failed_step.diagnosis
    assert result.steps[-1].outcome is Outcome.SKIPPED


async def test_wrong_credentials_fault(microsoft) -> None:
    microsoft.set_fault(Fault.WRONG_CREDENTIALS)
    assert "AADSTS7000215" in (await run(microsoft, account(microsoft))).failed_step.diagnosis


async def test_unknown_tenant(microsoft) -> None:
    result = await run(microsoft, account(microsoft, tenant_id="contoso.example"))
    assert "knows no tenant 'contoso.example' (AADSTS90002)" in result.failed_step.diagnosis


async def test_malformed_tenant(microsoft) -> None:
    result = await run(microsoft, account(microsoft, tenant_id="not a tenant"))
    assert "is not a valid tenant identifier (AADSTS900023)" in result.failed_step.diagnosis


async def test_unknown_client(microsoft) -> None:
    result = await run(microsoft, account(microsoft, client_id="00000000-0000-0000-0000-000000000000"))
    assert "No application with Client ID 00000000-0000-0000-0000-000000000000" in result.failed_step.diagnosis


async def test_access_denied(microsoft) -> None:
    microsoft.denied.add(TEST_USER)
    diagnosis = (await run(microsoft, account(microsoft))).failed_step.diagnosis
    assert f"may not read the calendar of {TEST_USER} (403, ErrorAccessDenied" in diagnosis
    assert "Calendars.ReadWrite" in diagnosis and "admin consent" in diagnosis and "application access policy" in diagnosis


async def test_unknown_user(microsoft) -> None:
    diagnosis = (await run(microsoft, account(microsoft, test_user="nobody@acme.example"))).failed_step.diagnosis
    assert "No user or mailbox nobody@acme.example in the tenant (404, ErrorInvalidUser" in diagnosis


async def test_wrong_graph_url(microsoft) -> None:
    diagnosis = (await run(microsoft, account(microsoft, graph_url=microsoft.url + "/nope"))).failed_step.diagnosis
    assert "(404): check the URL" in diagnosis


async def test_needs_a_test_user(microsoft) -> None:
    result = await run(microsoft, account(microsoft, test_user=""))
    assert result.failed_step.name == "Configuration" and not microsoft.calls


async def test_a_cached_token_refused_is_renewed_once(microsoft) -> None:
    cache = TokenCache()
    assert (await run(microsoft, account(microsoft), cache)).passed
    microsoft.expire_tokens()
    result = await run(microsoft, account(microsoft), cache)
    assert result.passed, result.to_text()
    assert [(s.name, str(s.outcome)) for s in result.steps] == [
        ("Microsoft token", "passed"), ("Graph calendar", "skipped"), ("Microsoft token", "passed"), ("Graph calendar", "passed")]


async def test_a_token_refused_twice_fails(microsoft) -> None:
    cache = TokenCache()
    assert (await run(microsoft, account(microsoft), cache)).passed
    microsoft.expire_tokens()
    microsoft.token_lifetime_s = 0
    result = await run(microsoft, account(microsoft), cache)
    assert [s.name for s in result.steps] == ["Microsoft token", "Graph calendar", "Microsoft token", "Graph calendar"]
    assert "Microsoft Graph refused the token (401, InvalidAuthenticationToken" in result.failed_step.diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "throttling the application (429): it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_calendar_faults_with_a_cached_token(microsoft, fault: Fault, expected: str) -> None:
    cache = TokenCache()
    assert (await run(microsoft, account(microsoft), cache)).passed
    microsoft.set_fault(fault)
    result = await run(microsoft, account(microsoft), cache)
    assert result.failed_step.name == "Graph calendar"
    assert expected in result.failed_step.diagnosis, result.to_text()


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429)"),
])
async def test_token_endpoint_faults(microsoft, fault: Fault, expected: str) -> None:
    microsoft.set_fault(fault)
    result = await run(microsoft, account(microsoft))
    assert result.failed_step.name == "Microsoft token" and expected in result.failed_step.diagnosis
