"""The Inqom Test against its emulator: the success path, the documented status codes and generic faults."""

from __future__ import annotations

import json

import httpx
import pytest

from akadmin_tui.connectors.accounting import inqom, inqom_account, inqom_documents
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


def account(emulator: InqomEmulator, **overrides) -> inqom_account.InqomAccount:
    values = dict(auth_url=emulator.auth_url, api_url=emulator.api_url, client_id="akadmin-client",
                  client_secret=CLIENT_SECRET, username="compta@example.fr", password=PASSWORD,
                  folder_id=11287, environment="recette")
    values.update(overrides)
    return inqom_account.InqomAccount(**values)


def assert_no_secret(result, emulator: InqomEmulator) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in (CLIENT_SECRET, PASSWORD, *emulator.tokens) if s in text]
    assert not leaked, leaked


async def run(emulator: InqomEmulator, target: inqom_account.InqomAccount | None = None, *, cache: TokenCache | None = None):
    async with make_client() as client:
        result = await inqom.test_connection(target or account(emulator), client, cache=cache or TokenCache(),
                                             timeout_s=5.0)
    assert_no_secret(result, emulator)
    return result


def test_urls_per_environment() -> None:
    assert inqom_account.urls_for("production") == ("https://auth.inqom.com/identity/connect/token",
                                            "https://wa-fred-accounting-documents-prod.azurewebsites.net")
    assert inqom_account.urls_for("recette")[0] == "https://staging-auth.inqom.com/identity/connect/token"
    with pytest.raises(ValueError):
        inqom_account.urls_for("sandbox")


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


# --- Connect from an [interfaces.accounting.<NAME>] configuration, and the AccountingExport batch's calls ---

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n\x00\xff\r\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 expense receipt \r\n\xff\xd9"


def values_for(emulator: InqomEmulator, **overrides) -> dict:
    values = {"integration": "inqom", "document_type": "invoices", "terms_accepted": True, "environment": "recette",
              "auth_url": emulator.auth_url, "documents_url": emulator.api_url, "client_id": "akadmin-client",
              "client_secret": CLIENT_SECRET, "username": "compta@example.fr", "password": PASSWORD,
              "folder_id": "11287"}
    values.update(overrides)
    return values


@pytest.fixture
async def client():
    async with make_client() as made:
        yield made


def session(emulator: InqomEmulator, client, tokens: TokenCache | None = None, **overrides):
    return inqom_documents.InqomSession(inqom_account.account_from(values_for(emulator, **overrides)), client,
                                        tokens or TokenCache(), timeout_s=5.0)


def assert_clean(text: str, emulator: InqomEmulator) -> None:
    leaked = [s for s in (CLIENT_SECRET, PASSWORD, *emulator.tokens) if s in text]
    assert not leaked, leaked


async def refused(emulator: InqomEmulator, call) -> inqom_documents.InqomError:
    with pytest.raises(inqom_documents.InqomError) as raised:
        await call
    assert_clean(str(raised.value), emulator)
    return raised.value


def token_calls(emulator: InqomEmulator) -> int:
    return sum(call.path == "/identity/connect/token" for call in emulator.calls)


def test_account_from_configuration_values() -> None:
    account = inqom_account.account_from({"environment": "recette", "auth_url": "", "documents_url": None,
                                  "client_id": " c ", "client_secret": " s ", "username": "u@x.fr",
                                  "password": "p", "folder_id": 11287})
    assert (account.auth_url, account.api_url) == inqom_account.urls_for("recette")
    assert (account.client_id, account.client_secret, account.folder_id) == ("c", " s ", "11287")


async def test_connect_from_values_fetches_a_fresh_token(emulator, client) -> None:
    for _ in range(2):
        steps = []
        result = await inqom.connect(None, "INQOM", values_for(emulator), client, steps.append)
        assert result.passed, result.to_text()
        assert [s.name for s in steps] == ["Inqom token", "Accounting folder documents"]
        assert steps[0].detail != "reused a cached token, still valid"
        assert_no_secret(result, emulator)
    assert token_calls(emulator) == 2


async def test_connect_diagnoses_a_forbidden_folder(emulator, client) -> None:
    result = await inqom.connect(None, "INQOM", values_for(emulator, folder_id="666"), client, None)
    assert "has no rights on accounting folder 666 (403)" in result.failed_step.diagnosis
    assert_no_secret(result, emulator)


async def test_upload_a_pdf_document_then_follow_its_status(emulator, client) -> None:
    inqom_session = session(emulator, client)
    created = await inqom_session.upload_document("Facture F2024-001.pdf", PDF, type_scan="Supplier",
                                                  doc_ref="F2024-001", source_id="akuiteo-42")
    doc_id = created["Id"]
    assert created["Status"] == "Received" and created["Type"] == "Supplier" and created["AccountingFolderId"] == 11287
    assert (created["DocRef"], created["SourceId"], created["Name"]) == ("F2024-001", "akuiteo-42",
                                                                         "Facture F2024-001.pdf")
    assert emulator.files[doc_id] == PDF and emulator.documents[doc_id] is not None
    form = emulator.forms[doc_id]
    assert form == {"accountingFolderId": "11287", "TypeScan": "Supplier", "FileSource": "Api",
                    "DocumentName": "Facture F2024-001.pdf", "DocRef": "F2024-001", "SourceId": "akuiteo-42"}
    post = emulator.calls[-1]
    assert post.path == "/api/accounting-documents/accounting-folders/11287/Documents"
    assert b'name="Document"; filename="Facture F2024-001.pdf"' in post.body and b"application/pdf" in post.body

    assert (await inqom_session.document(doc_id))["Status"] == "Received"
    emulator.advance(doc_id, "Done")
    assert (await inqom_session.document(doc_id))["Status"] == "Done"
    emulator.advance(doc_id, "ManualProcessing", "ExerciseLockedForDates")
    document = await inqom_session.document(doc_id)
    assert (document["StatusReasons"], document["StatusReason"]) == ("ExerciseLockedForDates", "ExerciseLockedForDates")
    assert inqom_documents.describe_status(document) == (
        "ManualProcessing: set aside for manual processing (the accounting exercise of its dates is locked)")
    assert token_calls(emulator) == 1  # one token for every call of the session


async def test_upload_an_expense_bill_then_read_it(emulator, client) -> None:
    inqom_session = session(emulator, client)
    answer = await inqom_session.upload_expense_bill("ndf-mars.jpg", JPEG, beneficiary="Jeanne Martin",
                                                     reference="NDF-2024-07")
    assert set(answer) == {"DocumentId"}
    assert emulator.calls[-1].path == "/api/v1/accounting-folders/11287/expense-bills"
    assert emulator.forms[answer["DocumentId"]] == {"BeneficiaryFullName": "Jeanne Martin",
                                                   "FileNameWithExtension": "ndf-mars.jpg",
                                                   "DocumentReference": "NDF-2024-07"}
    document = await inqom_session.document(answer["DocumentId"])
    assert document["UserDefinedThirdPartyName"] == "Jeanne Martin" and document["DocRef"] == "NDF-2024-07"
    assert document["Status"] == "Received" and emulator.files[answer["DocumentId"]] == JPEG


async def test_the_same_file_or_reference_again_is_a_duplicate(emulator, client) -> None:
    inqom_session = session(emulator, client)
    first = await inqom_session.upload_document("a.pdf", PDF, type_scan="Client", doc_ref="V-1", source_id="s-1")
    again = await inqom_session.upload_document("b.pdf", PDF, type_scan="Client", doc_ref="V-2", source_id="s-2")
    same_ref = await inqom_session.upload_document("c.pdf", PDF + b"v2", type_scan="Client", doc_ref="V-1",
                                                   source_id="s-1")
    other = await inqom_session.upload_document("d.pdf", PDF + b"v3", type_scan="Client", doc_ref="V-1",
                                                source_id="s-9")
    assert first["Status"] == "Received" and other["Status"] == "Received"
    for duplicate in (again, same_ref):
        assert duplicate["Status"] == "Duplicate" and inqom_documents.origin_id(duplicate) == first["Id"]
        assert inqom_documents.describe_status(duplicate) == (
            f"Duplicate: taken by Inqom for a duplicate of document {first['Id']}")
    assert (await inqom_session.document(again["Id"]))["Status"] == "Duplicate"


async def test_a_public_url_expires(emulator, client) -> None:
    inqom_session = session(emulator, client)
    doc_id = (await inqom_session.upload_document("a.pdf", PDF, type_scan="Others", doc_ref="", source_id=""))["Id"]
    assert "DocRef" not in emulator.forms[doc_id]
    url = await inqom_session.public_url(doc_id)
    assert (await client.get(url)).content == PDF
    emulator.public_url_ttl_s = 0
    expired = await inqom_session.public_url(doc_id)
    assert (await client.get(expired)).status_code == 403


@pytest.mark.parametrize("overrides, call, status, words", [
    ({"folder_id": "666"}, "upload", 403,
     "the Inqom user compta@example.fr has no rights on accounting folder 666 (403)"),
    ({"folder_id": "4242"}, "upload", 404,
     "Inqom found nothing at this URL (404): accounting folder 4242 does not exist"),
    ({}, "read 999", 404, "accounting folder 11287 has no document 999"),
    ({"folder_id": "ACME"}, "expense", 400, "Inqom found the request malformed (400)"),
    ({}, "empty", 400, "Document: The Document field is required"),
    ({}, "read abc", 400, "id: The value 'abc' is not valid"),
])
async def test_refusals_are_explained_and_not_retryable(emulator, client, overrides, call, status, words) -> None:
    inqom_session = session(emulator, client, **overrides)
    calls = {"upload": lambda: inqom_session.upload_document("a.pdf", PDF, type_scan="Supplier", doc_ref="r",
                                                             source_id="s"),
             "empty": lambda: inqom_session.upload_document("a.pdf", b"", type_scan="Supplier", doc_ref="r",
                                                            source_id="s"),
             "expense": lambda: inqom_session.upload_expense_bill("n.pdf", PDF, beneficiary="J M", reference="N-1"),
             "read 999": lambda: inqom_session.document(999),
             "read abc": lambda: inqom_session.document("abc")}
    error = await refused(emulator, calls[call]())
    assert (error.status, error.retryable, error.maybe_received) == (status, False, False)
    assert words in str(error), str(error)


@pytest.mark.parametrize("fault, status, words, maybe_received", [
    (None, 500, "Inqom failed on its side (500): try again later, and if it keeps failing contact Inqom's team", True),
    (Fault.ERROR_503, 503, "Inqom failed on its side (503)", False),
    (Fault.BURST_429, 429, "Inqom asks to slow down (429); it asks to wait 2 s", False),
    (Fault.DROP, None, "closed the connection without a complete answer", True),
    (Fault.MALFORMED, 200, "not JSON (text/html", True),
])
async def test_failures_worth_retrying(emulator, client, fault, status, words, maybe_received) -> None:
    inqom_session = session(emulator, client)
    await inqom_session.document(9518529)  # the token is fetched before the fault
    if fault is None:
        emulator.server_error = True
    else:
        emulator.set_fault(fault)
    error = await refused(emulator, inqom_session.upload_document("a.pdf", PDF, type_scan="Supplier", doc_ref="r",
                                                                  source_id="s"))
    assert (error.status, error.retryable, error.maybe_received) == (status, True, maybe_received)
    assert words in str(error), str(error)


async def test_token_refusals(emulator, client) -> None:
    error = await refused(emulator, session(emulator, client, client_secret="not-the-secret").document(1))
    assert (error.status, error.retryable) == (400, False) and "invalid_client" in str(error)
    emulator.set_fault(Fault.ERROR_500)
    error = await refused(emulator, session(emulator, client).document(1))
    assert (error.status, error.retryable) == (500, True) and "Inqom failed on its side (500)" in str(error)


async def test_the_token_is_renewed_once_on_401(emulator, client) -> None:
    tokens = TokenCache()
    inqom_session = session(emulator, client, tokens)
    await inqom_session.document(9518529)
    emulator.expire_tokens()
    assert (await inqom_session.document(9518529))["Id"] == 9518529
    assert token_calls(emulator) == 2

    emulator.token_lifetime_s = -1  # every new token is refused too
    emulator.expire_tokens()
    error = await refused(emulator, inqom_session.document(9518529))
    assert (error.status, error.retryable) == (401, False) and "refused a new token too (401)" in str(error)
    assert token_calls(emulator) == 3


async def test_a_reused_token_refused_with_403_is_renewed_once(emulator, client) -> None:
    tokens = TokenCache()
    await session(emulator, client, tokens).document(9518529)
    error = await refused(emulator, session(emulator, client, tokens, folder_id="666").document(9518529))
    assert error.status == 403 and token_calls(emulator) == 2


async def test_secrets_echoed_by_inqom_are_masked() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "jwt-token-echoed-123", "expires_in": 3600})
        echoed = f"bad {PASSWORD} {CLIENT_SECRET} {request.headers['Authorization']}"
        return httpx.Response(400, json={"title": echoed, "errors": {"Document": [PASSWORD]}})

    async with make_client(transport=httpx.MockTransport(answer)) as mocked:
        account = inqom_account.account_from({"auth_url": "https://auth.example/token", "documents_url": "https://api.example",
                                      "client_id": "c", "client_secret": CLIENT_SECRET, "username": "u@x.fr",
                                      "password": PASSWORD, "folder_id": "1"})
        with pytest.raises(inqom_documents.InqomError) as raised:
            await inqom_documents.InqomSession(account, mocked, TokenCache()).upload_expense_bill(
                "n.pdf", PDF, beneficiary="J", reference="R")
    text = str(raised.value)
    assert "malformed (400)" in text and "********" in text
    assert not [s for s in (PASSWORD, CLIENT_SECRET, "jwt-token-echoed-123") if s in text], text
