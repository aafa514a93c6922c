"""The EWS Test against the Microsoft emulator: Basic, OAuth with impersonation, and every failure class."""

from __future__ import annotations

import json

import pytest

from akadmin_tui.connectors import exchange
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.microsoft import EWS_SCOPE
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox.microsoft import MicrosoftEmulator
from akadmin_tui.sandbox.server import Fault

from .test_chorus import assert_no_secret

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "66666666-7777-8888-9999-000000000000"
SECRET = "demo-graph-secret"
USER = "akuiteo.sync@acme.example"
PASSWORD = "demo-exchange-password"
TEST_USER = "jeanne.martin@acme.example"


def start_emulator() -> MicrosoftEmulator:
    emulator = MicrosoftEmulator(TENANT, CLIENT, SECRET, USER, PASSWORD, {USER, TEST_USER})
    emulator.start()
    return emulator


@pytest.fixture
def microsoft():
    emulator = start_emulator()
    yield emulator
    emulator.stop()


def check_no_secret(result, emulator: MicrosoftEmulator) -> None:
    """No demo secret, no issued token, no Basic credentials in anything shown."""
    assert_no_secret(result)
    text = json.dumps(result.to_json()) + result.to_text()
    basic = exchange.ExchangeAccount("", delegated_user=USER, password=PASSWORD).basic()
    leaked = [s for s in [*emulator.tokens, basic, PASSWORD, SECRET] if s in text]
    assert not leaked, leaked


def basic_account(emulator: MicrosoftEmulator, **overrides) -> exchange.ExchangeAccount:
    values = dict(ews_url=emulator.ews_url, delegated_user=USER, password=PASSWORD)
    values.update(overrides)
    return exchange.ExchangeAccount(**values)


def oauth_account(emulator: MicrosoftEmulator, **overrides) -> exchange.ExchangeAccount:
    values = dict(ews_url=emulator.ews_url, use_oauth=True, use_impersonation=True, test_user=TEST_USER,
                  tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET, authority_url=emulator.authority_url)
    values.update(overrides)
    return exchange.ExchangeAccount(**values)


async def run(emulator: MicrosoftEmulator, account: exchange.ExchangeAccount, cache: TokenCache | None = None):
    async with make_client() as client:
        result = await exchange.test_connection(account, client, cache=cache or TokenCache())
    check_no_secret(result, emulator)
    return result


async def test_basic_success(microsoft) -> None:
    result = await run(microsoft, basic_account(microsoft))
    assert result.passed, result.to_text()
    assert [s.name for s in result.steps] == ["EWS calendar"]
    assert result.steps[0].detail == f"calendar of {USER} found (Exchange build 15.20.8632.13)"
    assert "Authorization: ********" in result.steps[0].request
    call = microsoft.calls[-1]
    assert call.header("content-type") == "text/xml; charset=utf-8"
    assert call.header("authorization").startswith("Basic ")
    assert b'<t:RequestServerVersion Version="Exchange2016"/>' in call.body
    assert b'<t:DistinguishedFolderId Id="calendar">' in call.body
    assert b"ExchangeImpersonation" not in call.body and not call.header("x-anchormailbox")


async def test_basic_delegate_reads_the_test_users_calendar(microsoft) -> None:
    result = await run(microsoft, basic_account(microsoft, test_user=TEST_USER, server_version="Exchange2013_SP1"))
    assert result.passed, result.to_text()
    assert TEST_USER in result.steps[0].detail
    assert f"<t:Mailbox><t:EmailAddress>{TEST_USER}</t:EmailAddress></t:Mailbox>".encode() in microsoft.calls[-1].body


async def test_oauth_with_impersonation(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft))
    assert result.passed, result.to_text()
    assert [s.name for s in result.steps] == ["Microsoft token", "EWS calendar"]
    token_call, ews_call = microsoft.calls
    assert token_call.path == f"/{TENANT}/oauth2/v2.0/token"
    assert token_call.form()["scope"] == EWS_SCOPE and token_call.form()["grant_type"] == "client_credentials"
    assert ews_call.header("authorization").startswith("Bearer ")
    assert ews_call.header("x-anchormailbox") == TEST_USER
    assert (f"<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{TEST_USER}"
            "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>").encode() in ews_call.body
    assert f"X-AnchorMailbox: {TEST_USER}" in result.steps[1].request


async def test_basic_impersonation_sends_the_header_too(microsoft) -> None:
    result = await run(microsoft, basic_account(microsoft, use_impersonation=True, test_user=TEST_USER))
    assert result.passed, result.to_text()
    assert microsoft.calls[-1].header("x-anchormailbox") == TEST_USER


@pytest.mark.parametrize("fault", [None, Fault.WRONG_CREDENTIALS])
async def test_wrong_password(microsoft, fault) -> None:
    if fault:
        microsoft.set_fault(fault)
    result = await run(microsoft, basic_account(microsoft, password=PASSWORD if fault else "not-the-password"))
    diagnosis = result.failed_step.diagnosis
    assert f"Exchange refused the login of {USER} (401)" in diagnosis and "Delegated user and Linked password" in diagnosis


async def test_basic_disabled_on_the_server(microsoft) -> None:
    microsoft.basic_enabled = False
    result = await run(microsoft, basic_account(microsoft))
    assert "does not accept Basic authentication (it offers Negotiate, NTLM)" in result.failed_step.diagnosis


async def test_wrong_client_secret(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft, client_secret="not-the-secret-value"))
    assert result.failed_step.name == "Microsoft token"
    assert "client secret is wrong (AADSTS7000215)" in result.failed_step.diagnosis
    assert result.steps[-1].name == "EWS calendar" and result.steps[-1].outcome is Outcome.SKIPPED


async def test_expired_client_secret(microsoft) -> None:
    microsoft.secret_expired = True
    result = await run(microsoft, oauth_account(microsoft))
    assert "client secret has expired (AADSTS7000222)" in result.failed_step.diagnosis


async def test_unknown_tenant(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft, tenant_id="99999999-2222-3333-4444-555555555555"))
    assert "knows no tenant '99999999-2222-3333-4444-555555555555' (AADSTS90002)" in result.failed_step.diagnosis


async def test_non_existent_mailbox(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft, test_user="nobody@acme.example"))
    diagnosis = result.failed_step.diagnosis
    assert "No mailbox exists for nobody@acme.example (ErrorNonExistentMailbox)" in diagnosis
    assert "has no mailbox associated" in diagnosis


@pytest.mark.parametrize("oauth, fix", [(True, "full_access_as_app"), (False, "ApplicationImpersonation role")])
async def test_impersonation_denied(microsoft, oauth: bool, fix: str) -> None:
    microsoft.impersonation_allowed = False
    target = oauth_account(microsoft) if oauth else basic_account(microsoft, use_impersonation=True, test_user=TEST_USER)
    diagnosis = (await run(microsoft, target)).failed_step.diagnosis
    assert f"may not impersonate {TEST_USER} (ErrorImpersonateUserDenied)" in diagnosis and fix in diagnosis


async def test_access_denied_in_the_response_message(microsoft) -> None:
    microsoft.denied.add(TEST_USER)
    result = await run(microsoft, basic_account(microsoft, test_user=TEST_USER))
    diagnosis = result.failed_step.diagnosis
    assert f"calendar of {TEST_USER} is denied (ErrorAccessDenied)" in diagnosis and "delegation" in diagnosis
    assert result.failed_step.detail == "HTTP 200"


async def test_oauth_without_impersonation(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft, use_impersonation=False))
    diagnosis = result.failed_step.diagnosis
    assert "ErrorInvalidExchangeImpersonationHeaderData" in diagnosis and "turn on Use impersonation" in diagnosis


async def test_impersonation_needs_a_test_user(microsoft) -> None:
    result = await run(microsoft, oauth_account(microsoft, test_user=""))
    assert result.failed_step.name == "Configuration" and not microsoft.calls


async def test_server_busy_gives_the_back_off(microsoft) -> None:
    microsoft.busy_backoff_ms = 29750
    diagnosis = (await run(microsoft, basic_account(microsoft))).failed_step.diagnosis
    assert "throttling this account (ErrorServerBusy): it asks to wait 30 s (BackOffMilliseconds 29750)" in diagnosis


async def test_unsupported_server_version(microsoft) -> None:
    result = await run(microsoft, basic_account(microsoft, server_version="Exchange2003"))
    assert "refuses the Exchange server version Exchange2003 (ErrorInvalidServerVersion)" in result.failed_step.diagnosis


async def test_a_cached_token_refused_is_renewed_once(microsoft) -> None:
    cache = TokenCache()
    assert (await run(microsoft, oauth_account(microsoft), cache)).passed
    microsoft.expire_tokens()
    result = await run(microsoft, oauth_account(microsoft), cache)
    assert result.passed, result.to_text()
    assert [(s.name, str(s.outcome)) for s in result.steps] == [
        ("Microsoft token", "passed"), ("EWS calendar", "skipped"), ("Microsoft token", "passed"), ("EWS calendar", "passed")]
    assert result.steps[0].detail == "reused a cached token, still valid"


async def test_a_fresh_token_refused_is_not_retried(microsoft) -> None:
    microsoft.token_lifetime_s = 0  # issued already expired: a new one would be refused too
    result = await run(microsoft, oauth_account(microsoft))
    assert [s.name for s in result.steps] == ["Microsoft token", "EWS calendar"]
    assert "Exchange refused the OAuth token (401)" in result.failed_step.diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not an EWS SOAP envelope (root element <html>)"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(microsoft, fault: Fault, expected: str) -> None:
    microsoft.set_fault(fault)
    result = await run(microsoft, basic_account(microsoft))
    assert result.failed_step.name == "EWS calendar"
    assert expected in result.failed_step.diagnosis, result.to_text()


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_token_endpoint_faults(microsoft, fault: Fault, expected: str) -> None:
    microsoft.set_fault(fault)
    result = await run(microsoft, oauth_account(microsoft))
    assert result.failed_step.name == "Microsoft token"
    assert expected in result.failed_step.diagnosis, result.to_text()
