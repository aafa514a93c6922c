"""Universign, legacy XML-RPC and REST, as CONNECTORS.md §5 describes them."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import string
import threading
import xmlrpc.client
from dataclasses import dataclass, field
from typing import Any

from .server import Emulator, Request, Response

RPC_PATH = "/sign/rpc/"
FILTER_MEMBERS = {"requesterEmail", "profile", "signerId", "status", "notBefore", "notAfter", "startRange",
                  "withAffiliated"}
RPC_PAGE = 1000  # requester.listTransactions answers at most 1000 ids per call; startRange pages further
STATUSES = ("ready", "expired", "completed", "canceled", "failed")  # requester.getTransactionInfo's `status`
# The REST API's transaction states for the XML-RPC statuses; REST has no "failed": it ends cancelled.
REST_STATES = {"ready": "started", "expired": "expired", "completed": "completed", "canceled": "cancelled",
               "failed": "cancelled"}
REST_ID = r"(tx_[A-Za-z0-9]+)"

TRANSACTIONS = [
    {"object": "transaction", "id": "tx_AWo949MOq0JE", "folder_id": "fol_MJQbbKe5PV7d",
     "created_at": "2025-03-18T07:34:58Z", "name": "Devis D-2025-0042", "state": "started", "language": "fr",
     "creator": {"workspace_name": "ACME Ingénierie", "api_key_name": "akuiteo"}},
    {"object": "transaction", "id": "tx_dy9Qn27PQ3mb", "folder_id": "fol_MJQbbKe5PV7d",
     "created_at": "2025-03-17T15:02:11Z", "name": "Devis D-2025-0041", "state": "completed", "language": "fr",
     "creator": {"workspace_name": "ACME Ingénierie", "api_key_name": "akuiteo"}},
]


def _basic(request: Request) -> tuple[str, str] | None:
    auth = request.header("authorization")
    if not auth.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _xml(body: str, status: int = 200) -> Response:
    return Response(status, body.encode(), {"Content-Type": "text/xml; charset=utf-8"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _token(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def signed_pdf(title: str) -> bytes:
    """A small, valid-looking PDF standing for a signed document."""
    text = f"(Signed: {title})".encode("latin-1", "replace")
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + text + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


@dataclass
class SignDocument:
    """One document of a transaction (its REST id, name and signed content)."""

    id: str
    name: str
    content: bytes


@dataclass
class SignTransaction:
    """A transaction as the emulator keeps it: one status, signers signed or not, documents."""

    id: str  # the REST id (tx_…); XML-RPC speaks the same id without its prefix
    name: str
    created_at: dt.datetime
    signers: list[bool]
    documents: list[SignDocument]
    status: str = "ready"
    emails: list[str] = field(default_factory=list)

    @property
    def rpc_id(self) -> str:
        """The id the legacy API lists and takes."""
        return self.id.removeprefix("tx_")

    def signer_statuses(self) -> list[str]:
        """Each signer's status as signerInfos gives it: signed, ready (their turn), waiting, or the end state."""
        current = next((i for i, signed in enumerate(self.signers) if not signed), None)
        statuses = []
        for index, signed in enumerate(self.signers):
            if signed:
                statuses.append("signed")
            elif self.status in ("canceled", "failed"):
                statuses.append(self.status)
            else:
                statuses.append("ready" if index == current and self.status == "ready" else "waiting")
        return statuses


class UniversignEmulator(Emulator):
    """XML-RPC `requester.*` (login and password) and the REST `/v1/transactions` resources (API key)."""

    name = "universign"

    def __init__(self, user: str, password: str, api_key: str) -> None:
        super().__init__()
        self.user, self.password, self.api_key = user, password, api_key
        self.rpc_fault: tuple[int, str] | None = None  # a fault every XML-RPC call answers
        self.key_forbidden = False  # the key is known but lacks the right to list transactions
        self.transactions: dict[str, SignTransaction] = {}
        self._lock = threading.Lock()
        self._seed()
        self.route("POST", RPC_PATH.rstrip("/") + "/?", self.rpc)
        self.route("GET", "/v1/transactions", self.list_rest)
        self.route("GET", f"/v1/transactions/{REST_ID}", self.get_rest)
        self.route("GET", f"/v1/transactions/{REST_ID}/archive/documents/([A-Za-z0-9_]+)/download", self.download_rest)

    def _seed(self) -> None:
        # The two demo transactions, created hours ago so a "last 24 h" listing still shows them.
        now = _now()
        for index, template in enumerate(TRANSACTIONS):
            completed = template["state"] == "completed"
            name = template["name"]
            self.transactions[template["id"]] = SignTransaction(
                template["id"], name, now - dt.timedelta(hours=2 + 3 * index), [True, completed],
                [SignDocument(f"doc_{index}A1", f"{name}.pdf", signed_pdf(name))],
                "completed" if completed else "ready", ["client@example.com", "direction@acme.example"])

    @property
    def rpc_url(self) -> str:
        """The legacy XML-RPC endpoint to configure."""
        return self.url + RPC_PATH

    @property
    def rest_url(self) -> str:
        """The REST base URL to configure (resources live under /v1)."""
        return self.url

    # --- control ---------------------------------------------------------------------------------

    def add_transaction(self, name: str, signers: int = 2, documents: list[str] | None = None,
                        created_at: dt.datetime | None = None) -> str:
        """A started transaction nobody has signed yet; returns its REST id (tx_…)."""
        with self._lock:
            tx_id = _token("tx_", 12)
            names = documents if documents is not None else [f"{name}.pdf"]
            docs = [SignDocument(_token("doc_", 4), doc, signed_pdf(f"{name} / {doc}")) for doc in names]
            self.transactions[tx_id] = SignTransaction(
                tx_id, name, (created_at or _now()).replace(microsecond=0), [False] * signers, docs,
                emails=[f"signer{i + 1}@example.com" for i in range(signers)])
            return tx_id

    def _find(self, tx_id: str) -> SignTransaction | None:
        return self.transactions.get(tx_id) or self.transactions.get("tx_" + tx_id)

    def sign(self, tx_id: str, signer_index: int) -> None:
        """One signer signs; the transaction completes when every signer has."""
        with self._lock:
            tx = self._find(tx_id)
            if tx is None or tx.status != "ready":
                raise ValueError(f"{tx_id} is not a transaction waiting for signatures")
            tx.signers[signer_index] = True
            if all(tx.signers):
                tx.status = "completed"

    def fail(self, tx_id: str, status: str = "expired") -> None:
        """End a transaction without completion: expired, canceled or failed."""
        if status not in ("expired", "canceled", "failed"):
            raise ValueError(f"{status!r} is not an end state")
        with self._lock:
            tx = self._find(tx_id)
            if tx is None:
                raise ValueError(f"no transaction {tx_id}")
            tx.status = status

    # --- legacy XML-RPC ----------------------------------------------------------------------------

    def rpc(self, request: Request) -> Response:
        if self.wrong_credentials or _basic(request) != (self.user, self.password):
            return Response(401, b"<html><body><h1>401 Unauthorized</h1></body></html>",
                            {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="Universign"'})
        try:
            params, method = xmlrpc.client.loads(request.body, use_builtin_types=True)
        except Exception:  # noqa: BLE001 - any unreadable call gets the same fault
            return self._fault(-32700, "parse error. not well formed")
        handlers = {"requester.listTransactions": self._list_rpc, "requester.getTransactionInfo": self._info_rpc,
                    "requester.getDocuments": self._documents_rpc}
        if method not in handlers:
            return self._fault(-32601, f"server error. requested method {method} not found")
        if self.rpc_fault:
            return self._fault(*self.rpc_fault)
        with self._lock:
            return handlers[method](params)

    def _answer(self, value: Any) -> Response:
        return _xml(xmlrpc.client.dumps((value,), methodresponse=True, encoding="utf-8", allow_none=False))

    def _list_rpc(self, params: tuple) -> Response:
        if len(params) != 1 or not isinstance(params[0], dict) or set(params[0]) - FILTER_MEMBERS:
            return self._fault(73002, "Invalid parameters for requester.listTransactions: expected a ListFilter")
        window = params[0]
        since, until = window.get("notBefore"), window.get("notAfter")
        start = int(window.get("startRange") or 0)
        ids = [tx.rpc_id for tx in sorted(self.transactions.values(), key=lambda t: t.created_at)
               if (since is None or tx.created_at.replace(tzinfo=None) >= since)
               and (until is None or tx.created_at.replace(tzinfo=None) <= until)]
        return self._answer(ids[start:start + RPC_PAGE])

    def _one(self, params: tuple, method: str) -> SignTransaction | Response:
        if len(params) != 1 or not isinstance(params[0], str):
            return self._fault(73002, f"Invalid parameters for {method}: expected a transaction id")
        tx = self._find(params[0])
        # The fault code is the emulator's choice: the legacy documentation gives none for an unknown id.
        return tx if tx is not None else self._fault(73013, f"Unknown transaction id {params[0]}")

    def _info_rpc(self, params: tuple) -> Response:
        tx = self._one(params, "requester.getTransactionInfo")
        if isinstance(tx, Response):
            return tx
        emails = tx.emails or [""] * len(tx.signers)
        infos = [{"status": status, "email": email, "firstName": "", "lastName": f"Signer {i + 1}"}
                 for i, (status, email) in enumerate(zip(tx.signer_statuses(), emails, strict=False))]
        current = next((i for i, signed in enumerate(tx.signers) if not signed), len(tx.signers))
        return self._answer({"status": tx.status, "signerInfos": infos, "currentSigner": current,
                             "creationDate": xmlrpc.client.DateTime(tx.created_at.replace(tzinfo=None)),
                             "description": tx.name, "transactionId": tx.rpc_id, "customId": "",
                             "initiatorInfo": {"email": self.user, "firstName": "", "lastName": "akuiteo"}})

    def _documents_rpc(self, params: tuple) -> Response:
        tx = self._one(params, "requester.getDocuments")
        if isinstance(tx, Response):
            return tx
        if tx.status != "completed":
            return self._fault(73025, f"Transaction {tx.rpc_id} is not completed: its documents are not signed")
        return self._answer([{"documentType": "pdf", "name": doc.name, "content": xmlrpc.client.Binary(doc.content)}
                             for doc in tx.documents])

    def _fault(self, code: int, text: str) -> Response:
        return _xml(xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True, encoding="utf-8"))

    # --- REST --------------------------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        auth = request.header("authorization")
        presented = auth[7:] if auth.startswith("Bearer ") else (_basic(request) or ("", "x"))
        valid = presented == self.api_key or presented == (self.api_key, "")
        if self.wrong_credentials or not valid:
            return Response.json({"code": "unauthorized", "message": "Invalid or missing API key"}, 401)
        if self.key_forbidden:
            return Response.json({"code": "forbidden", "message": "This API key cannot access this resource"}, 403)
        return None

    def _summary(self, tx: SignTransaction) -> dict:
        return {"object": "transaction", "id": tx.id, "folder_id": "fol_MJQbbKe5PV7d",
                "created_at": tx.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "name": tx.name,
                "state": REST_STATES[tx.status], "language": "fr",
                "creator": {"workspace_name": "ACME Ingénierie", "api_key_name": "akuiteo"}}

    def list_rest(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        try:
            page = int(request.query.get("page", ["0"])[0])
            size = int(request.query.get("size", ["20"])[0])
        except ValueError:
            page, size = -1, 0
        if page < 0 or not 1 <= size <= 100:
            return Response.json({"code": "invalid_parameter", "message": "page must be >= 0, size 1 to 100"}, 400)
        with self._lock:
            items = sorted(self.transactions.values(), key=lambda t: t.created_at, reverse=True)
            content = [self._summary(tx) for tx in items[page * size:(page + 1) * size]]
        return Response.json({"content": content, "page": page, "size": size, "total_elements": len(items)})

    def _rest_find(self, tx_id: str) -> SignTransaction | Response:
        tx = self.transactions.get(tx_id)
        if tx is None:
            return Response.json({"code": "not_found", "message": f"Transaction {tx_id} not found"}, 404)
        return tx

    def get_rest(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        with self._lock:
            tx = self._rest_find(re.match(f"/v1/transactions/{REST_ID}", request.path).group(1))
            if isinstance(tx, Response):
                return tx
            participants = [{"object": "participant", "id": f"ptc_{tx.id[3:9]}{i}", "email": email, "state": state}
                            for i, (email, state) in enumerate(zip(tx.emails, tx.signer_statuses(), strict=False))]
            return Response.json({**self._summary(tx), "participants": participants,
                                  "documents": [{"object": "document", "id": d.id, "name": d.name}
                                                for d in tx.documents]})

    def download_rest(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        path = re.match(f"/v1/transactions/{REST_ID}/archive/documents/([A-Za-z0-9_]+)/", request.path)
        tx_id, doc_id = path.groups()
        with self._lock:
            tx = self._rest_find(tx_id)
            if isinstance(tx, Response):
                return tx
            if tx.status != "completed":
                return Response.json({"code": "invalid_state", "message": "Signed documents can only be "
                                      "downloaded once the transaction is completed"}, 400)
            doc = next((d for d in tx.documents if d.id == doc_id), None)
            if doc is None:
                return Response.json({"code": "not_found", "message": f"Document {doc_id} not found"}, 404)
            return Response(200, doc.content, {"Content-Type": "application/pdf",
                                               "Content-Disposition": f'attachment; filename="{doc.id}.pdf"'})
