"""Signature retrieval: follow Universign transactions and save the signed documents once every signer has signed."""

from __future__ import annotations

import datetime as dt
import re
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..connectors.universign import UniversignAccount
from ..settings import schema
from .files import write_private
from .runtime import BatchFailure, RunContext

EXPIRY_DAYS = 14  # a transaction must be completed within 14 days (CONNECTORS.md §5)
END_STATES = ("expired", "canceled", "failed")
RPC_PAGE = 1000  # requester.listTransactions gives at most 1000 ids per call
REST_PAGE = 100
MAX_PAGES = 100  # a listing that never ends is a fault, not a workload
# REST states (draft, started, paused, cancelled, expired, completed; archived once stored) in the legacy words.
REST_STATUS = {"draft": "ready", "started": "ready", "paused": "ready", "completed": "completed",
               "archived": "completed", "cancelled": "canceled", "canceled": "canceled", "expired": "expired"}


class _Refused(Exception):
    """Universign refused the credentials: no other call can succeed."""


class _CallFailed(Exception):
    """One call failed; the text says how."""


@dataclass
class Snapshot:
    """A transaction as Universign describes it now."""

    status: str
    name: str
    signed: int
    total: int
    documents: list[dict] = field(default_factory=list)  # REST only: {id, name} to download one by one


class _Rpc:
    """The legacy XML-RPC API: login and password in HTTP Basic."""

    def __init__(self, ctx: RunContext, account: UniversignAccount) -> None:
        self.ctx, self.account = ctx, account
        self.headers = {**account.headers(), "Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}

    async def _call(self, method: str, *params: Any) -> Any:
        body = xmlrpc.client.dumps(params, method, encoding="utf-8").encode()
        try:
            response = await self.ctx.client.post(self.account.endpoint(), content=body, headers=self.headers)
        except httpx.HTTPError as error:
            raise _CallFailed(f"Universign could not be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise _Refused("Universign refused the login and password (401): check Universign user (the account "
                           "e-mail) and Universign password in Third-party interfaces > Electronic signature.")
        if response.status_code != 200:
            raise _CallFailed(f"{method} answered HTTP {response.status_code}")
        try:
            return xmlrpc.client.loads(response.content, use_builtin_types=True)[0][0]
        except xmlrpc.client.Fault as fault:
            raise _CallFailed(f"{method} answered fault {fault.faultCode}: {fault.faultString}") from None
        except Exception:  # noqa: BLE001 - expat and the unmarshaller raise many kinds for a non-XML-RPC body
            raise _CallFailed(f"{method} did not answer XML-RPC (is the URL the …/sign/rpc/ endpoint?)") from None

    async def list_ids(self, since: dt.datetime, until: dt.datetime) -> list[str]:
        ids: list[str] = []
        for _ in range(MAX_PAGES):
            window = {"notBefore": xmlrpc.client.DateTime(since.replace(tzinfo=None)),
                      "notAfter": xmlrpc.client.DateTime(until.replace(tzinfo=None)), "startRange": len(ids)}
            page = await self._call("requester.listTransactions", window)
            if not isinstance(page, list):
                raise _CallFailed("requester.listTransactions did not answer a list of ids")
            ids += [str(tx_id) for tx_id in page]
            if len(page) < RPC_PAGE:
                break
        return ids

    async def info(self, tx_id: str) -> Snapshot:
        info = await self._call("requester.getTransactionInfo", tx_id)
        if not isinstance(info, dict):
            raise _CallFailed("requester.getTransactionInfo did not answer a struct")
        signers = [s for s in info.get("signerInfos") or [] if isinstance(s, dict)]
        return Snapshot(str(info.get("status") or ""), str(info.get("description") or ""),
                        sum(s.get("status") == "signed" for s in signers), len(signers))

    async def documents(self, tx_id: str, snapshot: Snapshot) -> list[tuple[str, bytes]]:
        answer = await self._call("requester.getDocuments", tx_id)
        if not isinstance(answer, list):
            raise _CallFailed("requester.getDocuments did not answer a list of documents")
        found = []
        for doc in answer:
            content = doc.get("content") if isinstance(doc, dict) else None
            if isinstance(content, xmlrpc.client.Binary):
                content = content.data
            if not isinstance(content, (bytes, bytearray)) or not content:
                raise _CallFailed("requester.getDocuments answered a document without content")
            found.append((str(doc.get("name") or ""), bytes(content)))
        return found


class _Rest:
    """The REST API: the API key (held in Universign user) as a Bearer token."""

    def __init__(self, ctx: RunContext, account: UniversignAccount) -> None:
        self.ctx, self.account = ctx, account
        # Bearer is the documented alternative to `-u key:`; it works whatever the password field holds.
        self.headers = {"Authorization": f"Bearer {account.credentials()[0]}", "Accept": "application/json"}

    async def _get(self, path: str, params: dict | None = None) -> httpx.Response:
        url = self.account.endpoint().rstrip("/") + path
        try:
            response = await self.ctx.client.get(url, params=params, headers=self.headers)
        except httpx.HTTPError as error:
            raise _CallFailed(f"Universign could not be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise _Refused("Universign refused the API key (401): check that Universign user holds a valid API "
                           "key of this platform (alpha and production keys differ).")
        if response.status_code == 403:
            raise _Refused("The API key does not grant access to transactions (403): create the key with a user "
                           "who has administrator or integrator rights.")
        if response.status_code != 200:
            raise _CallFailed(f"GET {path} answered HTTP {response.status_code}")
        return response

    async def _json(self, path: str, params: dict | None = None) -> Any:
        try:
            return (await self._get(path, params)).json()
        except ValueError:
            raise _CallFailed(f"GET {path} did not answer JSON") from None

    async def list_ids(self, since: dt.datetime, until: dt.datetime) -> list[str]:
        # The listing's date filters are not documented: page through it (page/size, as the API answers)
        # and keep the transactions created in the window.
        ids: list[str] = []
        for page in range(MAX_PAGES):
            body = await self._json("/v1/transactions", {"page": page, "size": REST_PAGE})
            items = body.get("content") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise _CallFailed("GET /v1/transactions did not answer a page of transactions")
            ids += [str(tx["id"]) for tx in items if isinstance(tx, dict) and tx.get("id") and _within(tx, since)]
            total = body.get("total_elements")
            if len(items) < REST_PAGE or (isinstance(total, int) and (page + 1) * REST_PAGE >= total):
                break
        return ids

    async def info(self, tx_id: str) -> Snapshot:
        body = await self._json(f"/v1/transactions/{tx_id}")
        if not isinstance(body, dict):
            raise _CallFailed(f"GET /v1/transactions/{tx_id} did not answer a transaction")
        # Participants' field names are not in the public guides: a signer is done when its state says so.
        people = [p for p in body.get("participants") or [] if isinstance(p, dict)]
        state = str(body.get("state") or "")
        return Snapshot(REST_STATUS.get(state, state), str(body.get("name") or ""),
                        sum(p.get("state") in ("signed", "closed") for p in people), len(people),
                        [d for d in body.get("documents") or [] if isinstance(d, dict) and d.get("id")])

    async def documents(self, tx_id: str, snapshot: Snapshot) -> list[tuple[str, bytes]]:
        found = []
        for doc in snapshot.documents:
            # Signed documents are downloaded one by one (apps.universign.com, "Download signed documents").
            response = await self._get(f"/v1/transactions/{tx_id}/archive/documents/{doc['id']}/download")
            if not response.content:
                raise _CallFailed(f"document {doc['id']} came back empty")
            found.append((str(doc.get("name") or doc["id"]), response.content))
        return found


def _within(tx: dict, since: dt.datetime) -> bool:
    try:
        created = dt.datetime.fromisoformat(str(tx.get("created_at")))
    except ValueError:
        return True  # an unreadable date must not hide a transaction
    return created.replace(tzinfo=created.tzinfo or dt.timezone.utc) >= since


def safe_name(name: str, fallback: str) -> str:
    """A file name that stays inside its folder: no separators, no leading dots, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w .()+,-]", "_", base).strip(" .")
    return base[:150] or fallback


def save_documents(folder: Path, documents: list[tuple[str, bytes]]) -> list[Path]:
    """Write each document into `folder` (0700), atomically and 0600; names made safe and unique."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[Path] = []
    for index, (name, content) in enumerate(documents, start=1):
        base = safe_name(name, f"document-{index}.pdf")
        path, copy = folder / base, 1
        while path in written:
            copy += 1
            stem, dot, suffix = base.rpartition(".")
            path = folder / (f"{stem} ({copy}).{suffix}" if dot and stem else f"{base} ({copy})")
        write_private(path, content)
        written.append(path)
    return written


def _followed(ctx: RunContext, listed: list[str]) -> list[str]:
    """Listed transactions plus stored ones still open, less those already ended or downloaded."""
    rows = ctx.state.query("SELECT id, status, downloaded_at FROM signature_transactions")
    done = {r["id"] for r in rows if r["status"] in END_STATES or r["downloaded_at"]}
    still_open = [r["id"] for r in rows if r["id"] not in done]
    return [tx_id for tx_id in dict.fromkeys(listed + still_open) if tx_id not in done]


def _record(ctx: RunContext, tx_id: str, snap: Snapshot) -> str | None:
    """Store the snapshot; returns the status stored before (None for a new transaction)."""
    before = ctx.state.query("SELECT status FROM signature_transactions WHERE id = ?", (tx_id,))
    ctx.state.execute(
        "INSERT INTO signature_transactions (id, name, status, signers_total, signers_signed, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = excluded.status, "
        "signers_total = excluded.signers_total, signers_signed = excluded.signers_signed, "
        "updated_at = excluded.updated_at",
        (tx_id, snap.name, snap.status, snap.total, snap.signed, ctx.now().isoformat(timespec="seconds")))
    return before[0]["status"] if before else None


def _signed_root(ctx: RunContext, configured: Any) -> Path:
    return Path(str(configured)).expanduser() if configured else ctx.state.path.parent / "signed"


async def run(ctx: RunContext) -> None:
    """Update every followed transaction's status and download the documents of the completed ones, once."""
    values = ctx.editor.values(schema.UNIVERSIGN)
    if values.get("enabled") is not True:
        raise BatchFailure("the electronic signature is not enabled (Third-party interfaces > Electronic signature)")
    if not values.get("url"):
        raise BatchFailure("Universign URL is empty (Third-party interfaces > Electronic signature)")
    account = UniversignAccount(str(values["url"]), str(values.get("universign_user") or ""),
                                str(values.get("universign_password") or ""))
    api = _Rpc(ctx, account) if account.is_rpc else _Rest(ctx, account)
    root = _signed_root(ctx, values.get("signed_folder"))
    for name in ("followed", "completed", "downloaded", "failed"):
        ctx.count(name, 0)

    until = ctx.now()
    since = until - dt.timedelta(days=EXPIRY_DAYS + 1)  # a day more, for clocks and time zones
    try:
        listed = await api.list_ids(since, until)
        ctx.info(f"Universign ({'XML-RPC' if account.is_rpc else 'REST'}) lists {len(listed)} transaction(s) "
                 f"created since {since:%Y-%m-%d}.")
    except _Refused as refused:
        raise BatchFailure(str(refused)) from None
    except _CallFailed as failure:
        ctx.error(f"The transactions could not be listed ({failure}); only those already followed are checked.")
        listed = []

    todo = _followed(ctx, listed)
    ctx.progress(0, len(todo))
    for done, tx_id in enumerate(todo, start=1):
        ctx.check_cancelled()
        try:
            await _follow(ctx, api, tx_id, root)
        except _Refused as refused:
            raise BatchFailure(str(refused)) from None
        except (_CallFailed, OSError) as failure:
            text = f"{failure.strerror or failure}" if isinstance(failure, OSError) else str(failure)
            ctx.error(f"Transaction {tx_id}: {text}; it is tried again at the next run.")
            ctx.count("failed")
        ctx.progress(done, len(todo))


async def _follow(ctx: RunContext, api: _Rpc | _Rest, tx_id: str, root: Path) -> None:
    snap = await api.info(tx_id)
    ctx.count("followed")
    before = _record(ctx, tx_id, snap)
    label = f"Transaction {tx_id}" + (f" ({snap.name})" if snap.name else "")
    signed = f"{snap.signed}/{snap.total} signed"
    if snap.status != "completed":
        # A change is news; an unchanged status is only worth a DEBUG line.
        (ctx.info if snap.status != before else ctx.debug)(f"{label}: {snap.status}, {signed}.")
        return
    ctx.count("completed")
    folder = root / safe_name(tx_id, "transaction")
    documents = await api.documents(tx_id, snap)
    if not documents:
        raise _CallFailed("it is completed but Universign gave no signed document")
    save_documents(folder, documents)
    ctx.state.execute("UPDATE signature_transactions SET folder = ?, documents = ?, downloaded_at = ? WHERE id = ?",
                      (str(folder), len(documents), ctx.now().isoformat(timespec="seconds"), tx_id))
    ctx.count("downloaded")
    ctx.info(f"{label}: completed, {signed}; {len(documents)} signed document(s) saved in {folder}.")
