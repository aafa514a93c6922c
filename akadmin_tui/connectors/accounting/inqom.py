"""Inqom accounting documents: Connect (OAuth2 password grant, then one page of an accounting folder's documents)
and the AccountingExport deliveries (inqom_documents)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from typing import Any

import httpx

from ..probe import Probe, StepListener
from ..result import Outcome, TestResult
from ..tokens import SHARED, TokenCache, cache_key, token_step
from .base import AccountingConnector, Delivered, DeliveryContext, DeliveryFailed, Document
from .inqom_account import RETRY_LATER, SCOPE, InqomAccount, account_from, inqom_words, token_refused
from .inqom_documents import InqomError, InqomSession, TypeScan, describe_status

TOKEN_STEP, DOCUMENTS_STEP = "Inqom token", "Accounting folder documents"
# Inqom's TypeScan of each kind of document (seed 004); expense reports go to expense-bills instead.
TYPE_SCAN: dict[str, TypeScan] = {"sales_invoice": "Client", "purchase_invoice": "Supplier", "bank_statement": "Others"}


def _documents_refused(account: InqomAccount):
    def explain(response: httpx.Response) -> str | None:
        status, said = response.status_code, inqom_words(response)
        says = f" Inqom says: {said}." if said else ""
        folder = str(account.folder_id)
        if status == 400:
            return (f"Inqom found the request malformed (400): check the Accounting folder id {folder!r}, "
                    f"which must be the folder's numeric Id in Inqom.{says}")
        if status == 403:
            return (f"The Inqom user {account.username} has no rights on accounting folder {folder} (403): "
                    "give that user read access to the folder in Inqom (Inqom also says 403 when a token is not "
                    f"accepted).{says}")
        if status == 404:
            return (f"Inqom knows no accounting folder {folder} (404): check the folder id, and that the API URL "
                    f"is the documents API of this environment.{says}")
        if status >= 500:
            return RETRY_LATER.format(status=status) + says
        return None
    return explain


def _documents(body: Any) -> list | None:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return next((body[k] for k in ("Items", "items", "Documents", "documents", "value", "data")
                     if isinstance(body.get(k), list)), None)
    return None


def _documents_business(body: Any) -> str | None:
    if _documents(body) is None:
        return f"Inqom answered with something that is not a list of documents: {json.dumps(body)[:120]}."
    return None


def _describe_documents(folder: str | int):
    def describe(body: Any) -> str:
        documents = _documents(body) or []
        if not documents or not isinstance(documents[0], dict):
            return f"folder {folder} is readable and has no document yet"
        first = documents[0]
        return (f"folder {folder} is readable; first document Id {first.get('Id')} "
                f"{first.get('Name') or first.get('OriginalName') or ''} ({first.get('Status', 'no status')})")
    return describe


async def fetch_token(probe: Probe, client: httpx.AsyncClient, account: InqomAccount,
                      cache: TokenCache) -> str | None:
    """An Inqom access token from the cache, or fetched as a step of the Test."""
    key = cache_key(account.auth_url, account.client_id, account.client_secret, account.username, account.password)
    form = {"grant_type": "password", "client_id": account.client_id, "client_secret": account.client_secret,
            "username": account.username, "password": account.password, "scope": SCOPE}
    return await token_step(probe, client, step=TOKEN_STEP, service="Inqom", url=account.auth_url, form=form,
                            key=key, cache=cache, on_status=token_refused)


async def test_connection(account: InqomAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Token, then one document of the accounting folder (CONNECTORS.md §9)."""
    result = TestResult("inqom", f"{account.environment}, folder {account.folder_id}")
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    key = cache_key(account.auth_url, account.client_id, account.client_secret, account.username, account.password)
    for attempt in (1, 2):
        was_cached = cache.get(key) is not None
        token = await fetch_token(probe, client, account, cache)
        if token is None:
            probe.skipped(DOCUMENTS_STEP, "needs an Inqom token")
            return result
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        reply = await probe.call(DOCUMENTS_STEP, client, "GET", account.documents_url() + "?pageNumber=1&pageSize=1",
                                 headers=headers, business=_documents_business,
                                 describe=_describe_documents(account.folder_id),
                                 on_status=_documents_refused(account))
        # Inqom says 403 when a token does not work, so a refused cached token is renewed once on 401 or 403.
        refused = reply is None and result.steps[-1].detail in ("HTTP 401", "HTTP 403")
        if not (refused and was_cached and attempt == 1):
            return result
        cache.forget(key)
        result.steps[-1].outcome = Outcome.SKIPPED
        result.steps[-1].detail = "the cached token was refused; fetching a new one"
        result.steps[-1].diagnosis = ""
    return result


async def connect(editor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                  on_step=None) -> TestResult:
    """Connect (F5) for an Inqom configuration: the Test, with a fresh token so the saved credentials are tried."""
    return await test_connection(account_from(values), client, cache=TokenCache(), on_step=on_step)


def _failed(error: InqomError) -> DeliveryFailed:
    return DeliveryFailed(str(error), retryable=error.retryable, maybe_received=error.maybe_received)


class InqomConnector(AccountingConnector):
    """Connect, the deliveries (documents by SourceId, expense bills), and what became of each document."""

    name = "inqom"
    traced_kinds = frozenset(TYPE_SCAN)  # expense bills carry no SourceId to look them up by
    open_statuses = frozenset({"Received", "ToReview", "Processing"})
    alarming_statuses = frozenset({"Duplicate", "Deleted", "ManualProcessing"})

    def __init__(self) -> None:
        self._sessions: weakref.WeakKeyDictionary[DeliveryContext, InqomSession] = weakref.WeakKeyDictionary()

    def _session(self, context: DeliveryContext) -> InqomSession:
        """One session per company's delivery, so its token is fetched once."""
        if context not in self._sessions:
            self._sessions[context] = InqomSession(account_from(context.values), context.client)
        return self._sessions[context]

    async def connect(self, editor: object, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        return await connect(editor, name, values, client, on_step)

    async def deliver(self, context: DeliveryContext, document: Document) -> Delivered:
        session = self._session(context)
        try:
            if document.kind == "expense_report":
                created = await session.upload_expense_bill(
                    document.file_name, document.content, beneficiary=document.beneficiary or context.company_name,
                    reference=document.reference)
            else:
                created = await session.upload_document(document.file_name, document.content,
                                                        type_scan=TYPE_SCAN[document.kind], doc_ref=document.reference,
                                                        source_id=document.source_key)
        except InqomError as error:
            raise _failed(error) from None
        return Delivered(str(created.get("Id") or created.get("DocumentId") or ""), str(created.get("Status") or ""),
                         str(created.get("StatusReason") or ""))

    async def find_delivered(self, context: DeliveryContext, source_key: str) -> Delivered | None:
        try:
            found = await self._session(context).find_by_source(source_key)
        except InqomError as error:
            raise _failed(error) from None
        if found is None:
            return None
        return Delivered(str(found.get("Id") or ""), str(found.get("Status") or ""))

    async def remote_status(self, context: DeliveryContext, remote_id: str) -> Delivered:
        try:
            found = await self._session(context).document(remote_id)
        except InqomError as error:
            raise _failed(error) from None
        status = str(found.get("Status") or "")
        return Delivered(remote_id, status, describe_status(found) if status else "")


CONNECTOR = InqomConnector()
