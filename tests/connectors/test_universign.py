"""The Universign Test against its emulator: legacy XML-RPC and REST, success and every failure class."""

from __future__ import annotations

import base64
import datetime as dt
import json
import xmlrpc.client

import pytest

from akadmin_tui.connectors import universign, universign_api
from akadmin_tui.connectors.http import make_client
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.sandbox.universign import UniversignEmulator

USER, PASSWORD, API_KEY = "demo@acme.example", "demo-universign-password", "demo-universign-api-key"


@pytest.fixture
def emulator():
    running = UniversignEmulator(USER, PASSWORD, API_KEY)
    running.start()
    yield running
    running.stop()


def assert_no_secret(result, *secrets: str) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in (PASSWORD, API_KEY, *secrets) if s and s in text]
    assert not leaked, leaked


async def run(url: str, user: str = USER, password: str = PASSWORD):
    async with make_client() as client:
        result = await universign.test_connection(universign.UniversignAccount(url, user, password), client)
    assert_no_secret(result, password or user)
    return result


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_rpc_success_lists_transactions_with_basic_auth(emulator) -> None:
    result = await run(emulator.rpc_url)
    assert result.passed, result.to_text()
    assert result.section == "universign" and result.steps[0].detail == "XML-RPC, 2 transaction(s) in the last 24 h"
    assert "Authorization: ********" in result.steps[0].request
    call = emulator.calls[-1]
    assert call.method == "POST" and call.path == "/sign/rpc/"
    assert call.header("authorization") == basic(USER, PASSWORD)
    (window,), method = xmlrpc.client.loads(call.body)
    assert method == "requester.listTransactions" and set(window) == {"notBefore", "notAfter", "startRange"}


async def test_rpc_credentials_written_in_the_url(emulator) -> None:
    url = emulator.rpc_url.replace("://", f"://{USER.replace('@', '%40')}:{PASSWORD}@")
    result = await run(url, user="", password="")
    assert result.passed, result.to_text()
    assert emulator.calls[-1].header("authorization") == basic(USER, PASSWORD)
    assert PASSWORD not in result.steps[0].request and "@127.0.0.1" not in result.target


async def test_rpc_wrong_password(emulator) -> None:
    result = await run(emulator.rpc_url, password="not-the-password")
    assert "Universign refused the login and password (401)" in result.failed_step.diagnosis


async def test_rpc_fault_is_its_own_diagnosis(emulator) -> None:
    emulator.rpc_fault = (73010, "Unknown profile for this account")
    result = await run(emulator.rpc_url)
    diagnosis = result.failed_step.diagnosis
    assert "XML-RPC fault 73010: Unknown profile for this account" in diagnosis
    assert "accepted the login" in diagnosis


async def test_rpc_html_instead_of_xml_rpc(emulator) -> None:
    emulator.set_fault(Fault.MALFORMED)
    result = await run(emulator.rpc_url)
    assert "The answer is not an XML-RPC response" in result.failed_step.diagnosis


async def test_rest_success_sends_the_key_as_basic_username(emulator) -> None:
    result = await run(emulator.rest_url, user=API_KEY, password="")
    assert result.passed, result.to_text()
    assert result.steps[0].detail == "REST, API key accepted, 2 transaction(s) on the first page"
    call = emulator.calls[-1]
    assert call.method == "GET" and call.path == "/v1/transactions"
    assert call.header("authorization") == basic(API_KEY, "")


async def test_rest_with_an_account_password_explains_the_api_key(emulator) -> None:
    result = await run(emulator.rest_url)
    assert "the REST API takes an API key, not an account password" in result.failed_step.diagnosis


async def test_rest_wrong_key(emulator) -> None:
    result = await run(emulator.rest_url, user="not-the-api-key", password="")
    assert "Universign refused the API key (401)" in result.failed_step.diagnosis


async def test_rest_key_without_rights(emulator) -> None:
    emulator.key_forbidden = True
    result = await run(emulator.rest_url, user=API_KEY, password="")
    assert "does not grant access to transactions (403)" in result.failed_step.diagnosis


async def test_wrong_credentials_switch(emulator) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    assert "(401)" in (await run(emulator.rpc_url)).failed_step.diagnosis
    assert "(401)" in (await run(emulator.rest_url, user=API_KEY, password="")).failed_step.diagnosis


@pytest.mark.parametrize("flavour", ["rpc", "rest"])
@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, flavour: str, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    if flavour == "rpc":
        result = await run(emulator.rpc_url)
    else:
        result = await run(emulator.rest_url, user=API_KEY, password="")
    assert expected in result.failed_step.diagnosis, result.to_text()


async def test_rest_malformed(emulator) -> None:
    emulator.set_fault(Fault.MALFORMED)
    result = await run(emulator.rest_url, user=API_KEY, password="")
    assert "The answer is not JSON (content-type text/html" in result.failed_step.diagnosis


def day_window() -> tuple[dt.datetime, dt.datetime]:
    until = dt.datetime.now(dt.UTC)
    return until - dt.timedelta(days=1), until


@pytest.mark.parametrize("flavour", ["rpc", "rest"])
async def test_the_batch_calls_list_read_and_download(emulator, flavour: str) -> None:
    tx = emulator.add_transaction("Devis D-2025-0050", signers=1, documents=["Devis.pdf", "Annexe.pdf"])
    emulator.sign(tx, 0)
    account = (universign.UniversignAccount(emulator.rpc_url, USER, PASSWORD) if flavour == "rpc"
               else universign.UniversignAccount(emulator.rest_url, API_KEY, "a password the key ignores"))
    async with make_client() as client:
        api = universign_api.universign_api(account, client)
        assert api.label == ("XML-RPC" if flavour == "rpc" else "REST")
        tx_id = tx.removeprefix("tx_") if flavour == "rpc" else tx
        assert tx_id in await api.list_ids(*day_window())
        snapshot = await api.info(tx_id)
        assert (snapshot.status, snapshot.name, snapshot.signed, snapshot.total) == ("completed", "Devis D-2025-0050",
                                                                                     1, 1)
        documents = await api.documents(tx_id, snapshot)
    assert [name for name, _ in documents] == ["Devis.pdf", "Annexe.pdf"]
    assert all(content.startswith(b"%PDF") for _, content in documents)
    expected = basic(USER, PASSWORD) if flavour == "rpc" else f"Bearer {API_KEY}"
    assert all(c.header("authorization") == expected for c in emulator.calls)


@pytest.mark.parametrize("flavour", ["rpc", "rest"])
async def test_the_batch_calls_tell_a_refusal_from_a_failure(emulator, flavour: str) -> None:
    url, user = (emulator.rpc_url, USER) if flavour == "rpc" else (emulator.rest_url, API_KEY)
    async with make_client() as client:
        refused = universign_api.universign_api(universign.UniversignAccount(url, "not-the-user", "x"), client)
        with pytest.raises(universign_api.UniversignRefused, match=r"\(401\)"):
            await refused.list_ids(*day_window())
        emulator.set_fault(Fault.ERROR_503)
        failing = universign_api.universign_api(universign.UniversignAccount(url, user, PASSWORD), client)
        with pytest.raises(universign_api.UniversignError, match="answered HTTP 503") as caught:
            await failing.info("dy9Qn27PQ3mb")
    assert not isinstance(caught.value, universign_api.UniversignRefused)


async def test_an_xml_rpc_fault_is_a_failure_in_words(emulator) -> None:
    emulator.rpc_fault = (73010, "Unknown profile for this account")
    async with make_client() as client:
        api = universign_api.UniversignRpc(universign.UniversignAccount(emulator.rpc_url, USER, PASSWORD), client)
        with pytest.raises(universign_api.UniversignError,
                           match=r"requester\.listTransactions answered fault 73010: Unknown profile"):
            await api.list_ids(*day_window())
