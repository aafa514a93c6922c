"""The Inqom Test against its emulator: the success path, the documented status codes and generic faults."""

from __future__ import annotations

import json

import pytest

from akadmin_tui.connectors import inqom
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox.inqom import InqomEmulator
from akadmin_tui.sandbox.server import Fault

CLIENT_SECRET, PASSWORD = "inqom-client-secret-42", "inqom-user-password-42"
DOCUMENT = {"Id": 9518529, "AccountingFolderId": 11287, "Name": "Facture_FR55104451.pdf", "Type": "Supplier",
            "Size": 40, "CreatedAt": "2023-03-24T17:05:21.38Z", "Source": "Api", "Status": "Done",
            "OwnerId": 7498, "OriginalName": "Facture_FR55104451.pdf", "ContentSource": "DocData"}


@pytest.fixture
def emulator():
    server = InqomEmulator("akadmin-client", CLIENT_SECRET, "compta@example.fr", PASSWORD,
                           folders={11287: [DOCUMENT], "11288": [], 666: [DOCUMENT]}, forbidden_folders={666})
    server.start()
    yield server
    server.stop()


def account(emulator: InqomEmulator, **overrides) -> inqom.InqomAccount:
    values = dict(auth_url=emulator.auth_url, api_url=emulator.api_url, client_id="akadmin-client",
                  client_secret=CLIENT_SECRET, username="compta@example.fr", password=PASSWORD,
                  folder_id=11287, environment="recette")
    values.update(overrides)
    return inqom.InqomAccount(**values)


def assert_no_secret(result, emulator: InqomEmulator) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in (CLIENT_SECRET, PASSWORD, *emulator.tokens) if s in text]
    assert not leaked, leaked


async def run(emulator: InqomEmulator, target: inqom.InqomAccount | None = None, *, cache: TokenCache | None = None):
    async with make_client() as client:
        result = await inqom.test_connection(target or account(emulator), client, cache=cache or TokenCache(),
                                             timeout_s=5.0)
    assert_no_secret(result, emulator)
    return result


def test_urls_per_environment() -> None:
    assert inqom.urls_for("production") == ("https://auth.inqom.com/identity/connect/token",
                                            "https://wa-fred-accounting-documents-prod.azurewebsites.net")
    assert inqom.urls_for("recette")[0] == "https://staging-auth.inqom.com/identity/connect/token"
    with pytest.raises(ValueError):
        inqom.urls_for("sandbox")


async def test_success_shows_the_first_document(emulator) -> None:
    result = await run(emulator)
    assert result.passed, result.to_text()
    assert [s.name for s in result.steps] == ["Inqom token", "Accounting folder documents"]
    assert "Id 9518529 Facture_FR55104451.pdf (Done)" in result.steps[1].detail
    assert "pageNumber=1&pageSize=1" in result.steps[1].request and "Authorization: ********" in result.steps[1].request
    form = emulator.calls[0].form()
    assert form["grant_type"] == "password" and form["scope"] == "openid apidata"
    assert emulator.calls[1].path == "/api/accounting-documents/accounting-folders/11287/Documents"


async def test_empty_folder_passes(emulator) -> None:
    result = await run(emulator, account(emulator, folder_id="11288"))
    assert result.passed and "no document yet" in result.steps[1].detail


async def test_wrong_client_secret(emulator) -> None:
    result = await run(emulator, account(emulator, client_secret="not-the-secret"))
    step = result.failed_step
    assert step.name == "Inqom token" and "invalid_client" in step.diagnosis and "Client Secret" in step.diagnosis
    assert result.steps[-1].outcome.value == "skipped"


async def test_wrong_user_password(emulator) -> None:
    result = await run(emulator, account(emulator, password="wrong-password"))
    step = result.failed_step
    assert step.name == "Inqom token" and "invalid_grant" in step.diagnosis and "Username" in step.diagnosis


async def test_wrong_credentials_switch(emulator) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    assert "invalid_client" in (await run(emulator)).failed_step.diagnosis


async def test_forbidden_folder(emulator) -> None:
    result = await run(emulator, account(emulator, folder_id=666))
    assert "compta@example.fr has no rights on accounting folder 666 (403)" in result.failed_step.diagnosis


async def test_unknown_folder(emulator) -> None:
    result = await run(emulator, account(emulator, folder_id=4242))
    assert "knows no accounting folder 4242 (404)" in result.failed_step.diagnosis


async def test_malformed_folder_id(emulator) -> None:
    result = await run(emulator, account(emulator, folder_id="ACME"))
    diagnosis = result.failed_step.diagnosis
    assert "malformed (400)" in diagnosis and "accountingFolderId: The value 'ACME' is not valid" in diagnosis


async def test_inqom_server_error(emulator) -> None:
    emulator.server_error = True
    result = await run(emulator)
    assert result.failed_step.name == "Accounting folder documents"
    assert "Inqom failed on its side (500): try again later" in result.failed_step.diagnosis


async def test_a_cached_token_refused_as_expired_is_renewed_once(emulator) -> None:
    cache = TokenCache()
    assert (await run(emulator, cache=cache)).passed
    emulator.expire_tokens()
    result = await run(emulator, cache=cache)
    assert result.passed, result.to_text()
    assert [(s.name, str(s.outcome)) for s in result.steps] == [
        ("Inqom token", "passed"), ("Accounting folder documents", "skipped"),
        ("Inqom token", "passed"), ("Accounting folder documents", "passed")]
    assert result.steps[0].detail == "reused a cached token, still valid"


async def test_a_fresh_token_refused_is_not_renewed(emulator) -> None:
    emulator.token_lifetime_s = -1
    result = await run(emulator)
    assert len(result.steps) == 2 and "The credentials were refused (401)" in result.failed_step.diagnosis


async def test_forbidden_with_a_cached_token_is_retried_then_explained(emulator) -> None:
    cache, target = TokenCache(), account(emulator, folder_id=666)
    await run(emulator, target, cache=cache)
    result = await run(emulator, target, cache=cache)
    assert [str(s.outcome) for s in result.steps] == ["passed", "skipped", "passed", "failed"]
    assert "(403)" in result.failed_step.diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_500, "Inqom failed on its side (500)"),
    (Fault.ERROR_503, "Inqom failed on its side (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    result = await run(emulator)
    assert expected in result.failed_step.diagnosis, result.to_text()
