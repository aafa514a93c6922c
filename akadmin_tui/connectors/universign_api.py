"""The Universign calls batches make: list transactions, read one, download its signed documents (XML-RPC or REST)."""

from __future__ import annotations

import datetime as dt
import xmlrpc.client
from dataclasses import dataclass, field
from typing import Any

import httpx

from .universign import UniversignAccount, listing_window, rpc_body

RPC_PAGE = 1000  # requester.listTransactions gives at most 1000 ids per call
REST_PAGE = 100
MAX_PAGES = 100  # a listing that never ends is a fault, not a workload
# REST states (draft, started, paused, cancelled, expired, completed; archived once stored) in the legacy words.
REST_STATUS = {"draft": "ready", "started": "ready", "paused": "ready", "completed": "completed",
               "archived": "completed", "cancelled": "canceled", "canceled": "canceled", "expired": "expired"}


class UniversignError(Exception):
    """One call failed; the text says how."""


class UniversignRefused(UniversignError):
    """Universign refused the credentials: no other call can succeed."""


@dataclass
class Snapshot:
    """A transaction as Universign describes it now."""

    status: str
    name: str
    signed: int
    total: int
    documents: list[dict] = field(default_factory=list)  # REST only: {id, name} to download one by one


class UniversignRpc:
    """The legacy XML-RPC API: login and password in HTTP Basic."""

    label = "XML-RPC"

    def __init__(self, account: UniversignAccount, client: httpx.AsyncClient) -> None:
        self.account, self.client = account, client

    async def _call(self, method: str, *params: Any) -> Any:
        try:
            response = await self.client.post(self.account.endpoint(), content=rpc_body(method, *params),
                                              headers=self.account.rpc_headers())
        except httpx.HTTPError as error:
            raise UniversignError(f"Universign could not be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise UniversignRefused("Universign refused the login and password (401): check Universign user (the "
                                    "account e-mail) and Universign password in Third-party interfaces > "
                                    "Electronic signature.")
        if response.status_code != 200:
            raise UniversignError(f"{method} answered HTTP {response.status_code}")
        try:
            return xmlrpc.client.loads(response.content, use_builtin_types=True)[0][0]
        except xmlrpc.client.Fault as fault:
            raise UniversignError(f"{method} answered fault {fault.faultCode}: {fault.faultString}") from None
        except Exception:  # noqa: BLE001 - expat and the unmarshaller raise many kinds for a non-XML-RPC body
            raise UniversignError(f"{method} did not answer XML-RPC (is the URL the …/sign/rpc/ endpoint?)") from None

    async def list_ids(self, since: dt.datetime, until: dt.datetime) -> list[str]:
        """The ids of the transactions created between `since` and `until`, every page."""
        ids: list[str] = []
        for _ in range(MAX_PAGES):
            page = await self._call("requester.listTransactions", listing_window(since, until, len(ids)))
            if not isinstance(page, list):
                raise UniversignError("requester.listTransactions did not answer a list of ids")
            ids += [str(tx_id) for tx_id in page]
            if len(page) < RPC_PAGE:
                break
        return ids

    async def info(self, tx_id: str) -> Snapshot:
        """The transaction's status, name and signers now."""
        info = await self._call("requester.getTransactionInfo", tx_id)
        if not isinstance(info, dict):
            raise UniversignError("requester.getTransactionInfo did not answer a struct")
        signers = [s for s in info.get("signerInfos") or [] if isinstance(s, dict)]
        return Snapshot(str(info.get("status") or ""), str(info.get("description") or ""),
                        sum(s.get("status") == "signed" for s in signers), len(signers))

    async def documents(self, tx_id: str, snapshot: Snapshot) -> list[tuple[str, bytes]]:
        """The signed documents of a completed transaction, as (name, content)."""
        answer = await self._call("requester.getDocuments", tx_id)
        if not isinstance(answer, list):
            raise UniversignError("requester.getDocuments did not answer a list of documents")
        found = []
        for doc in answer:
            content = doc.get("content") if isinstance(doc, dict) else None
            if isinstance(content, xmlrpc.client.Binary):
                content = content.data
            if not isinstance(content, (bytes, bytearray)) or not content:
                raise UniversignError("requester.getDocuments answered a document without content")
            found.append((str(doc.get("name") or ""), bytes(content)))
        return _signed(found)


class UniversignRest:
    """The REST API: the API key (held in Universign user) as a Bearer token."""

    label = "REST"

    def __init__(self, account: UniversignAccount, client: httpx.AsyncClient) -> None:
        self.account, self.client = account, client
        # Bearer is the documented alternative to `-u key:`; it works whatever the password field holds.
        self.headers = {"Authorization": f"Bearer {account.credentials()[0]}", "Accept": "application/json"}

    async def _get(self, path: str, params: dict | None = None) -> httpx.Response:
        try:
            response = await self.client.get(self.account.rest_url(path), params=params, headers=self.headers)
        except httpx.HTTPError as error:
            raise UniversignError(f"Universign could not be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise UniversignRefused("Universign refused the API key (401): check that Universign user holds a valid "
                                    "API key of this platform (alpha and production keys differ).")
        if response.status_code == 403:
            raise UniversignRefused("The API key does not grant access to transactions (403): create the key with a "
                                    "user who has administrator or integrator rights.")
        if response.status_code != 200:
            raise UniversignError(f"GET {path} answered HTTP {response.status_code}")
        return response

    async def _json(self, path: str, params: dict | None = None) -> Any:
        try:
            return (await self._get(path, params)).json()
        except ValueError:
            raise UniversignError(f"GET {path} did not answer JSON") from None

    async def list_ids(self, since: dt.datetime, until: dt.datetime) -> list[str]:
        """The ids of the transactions created since `since`, every page."""
        # The listing's date filters are not documented: page through it (page/size, as the API answers)
        # and keep the transactions created in the window.
        ids: list[str] = []
        for page in range(MAX_PAGES):
            body = await self._json("/v1/transactions", {"page": page, "size": REST_PAGE})
            items = body.get("content") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise UniversignError("GET /v1/transactions did not answer a page of transactions")
            ids += [str(tx["id"]) for tx in items if isinstance(tx, dict) and tx.get("id") and _within(tx, since)]
            total = body.get("total_elements")
            if len(items) < REST_PAGE or (isinstance(total, int) and (page + 1) * REST_PAGE >= total):
                break
        return ids

    async def info(self, tx_id: str) -> Snapshot:
        """The transaction's status (in the legacy words), name, participants and documents now."""
        body = await self._json(f"/v1/transactions/{tx_id}")
        if not isinstance(body, dict):
            raise UniversignError(f"GET /v1/transactions/{tx_id} did not answer a transaction")
        # Participants' field names are not in the public guides: a signer is done when its state says so.
        people = [p for p in body.get("participants") or [] if isinstance(p, dict)]
        state = str(body.get("state") or "")
        return Snapshot(REST_STATUS.get(state, state), str(body.get("name") or ""),
                        sum(p.get("state") in ("signed", "closed") for p in people), len(people),
                        [d for d in body.get("documents") or [] if isinstance(d, dict) and d.get("id")])

    async def documents(self, tx_id: str, snapshot: Snapshot) -> list[tuple[str, bytes]]:
        """The signed documents of a completed transaction, as (name, content), downloaded one by one."""
        found = []
        for doc in snapshot.documents:
            # Signed documents are downloaded one by one (apps.universign.com, "Download signed documents").
            response = await self._get(f"/v1/transactions/{tx_id}/archive/documents/{doc['id']}/download")
            if not response.content:
                raise UniversignError(f"document {doc['id']} came back empty")
            found.append((str(doc.get("name") or doc["id"]), response.content))
        return _signed(found)


UniversignApi = UniversignRpc | UniversignRest


def universign_api(account: UniversignAccount, client: httpx.AsyncClient) -> UniversignApi:
    """The API the account's URL speaks: XML-RPC for …/sign/rpc/, REST otherwise."""
    return UniversignRpc(account, client) if account.is_rpc else UniversignRest(account, client)


def _signed(found: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    if not found:
        raise UniversignError("it is completed but Universign gave no signed document")
    return found


def _within(tx: dict, since: dt.datetime) -> bool:
    try:
        created = dt.datetime.fromisoformat(str(tx.get("created_at")))
    except ValueError:
        return True  # an unreadable date must not hide a transaction
    return created.replace(tzinfo=created.tzinfo or dt.UTC) >= since
