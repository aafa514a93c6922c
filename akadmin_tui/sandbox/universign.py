"""Universign, legacy XML-RPC and REST, as CONNECTORS.md §5 describes them."""

from __future__ import annotations

import base64
import xmlrpc.client

from .server import Emulator, Request, Response

RPC_PATH = "/sign/rpc/"
FILTER_MEMBERS = {"requesterEmail", "profile", "signerId", "status", "notBefore", "notAfter", "startRange",
                  "withAffiliated"}

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


class UniversignEmulator(Emulator):
    """`requester.listTransactions` over XML-RPC (login and password) and `GET /v1/transactions` (API key)."""

    name = "universign"

    def __init__(self, user: str, password: str, api_key: str) -> None:
        super().__init__()
        self.user, self.password, self.api_key = user, password, api_key
        self.rpc_fault: tuple[int, str] | None = None  # a fault every XML-RPC call answers
        self.key_forbidden = False  # the key is known but lacks the right to list transactions
        self.route("POST", RPC_PATH.rstrip("/") + "/?", self.rpc)
        self.route("GET", "/v1/transactions", self.transactions)

    @property
    def rpc_url(self) -> str:
        """The legacy XML-RPC endpoint to configure."""
        return self.url + RPC_PATH

    @property
    def rest_url(self) -> str:
        """The REST base URL to configure (resources live under /v1)."""
        return self.url

    def rpc(self, request: Request) -> Response:
        if self.wrong_credentials or _basic(request) != (self.user, self.password):
            return Response(401, b"<html><body><h1>401 Unauthorized</h1></body></html>",
                            {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="Universign"'})
        try:
            params, method = xmlrpc.client.loads(request.body)
        except Exception:  # noqa: BLE001 - any unreadable call gets the same fault
            return self._fault(-32700, "parse error. not well formed")
        if method != "requester.listTransactions":
            return self._fault(-32601, f"server error. requested method {method} not found")
        if len(params) != 1 or not isinstance(params[0], dict) or set(params[0]) - FILTER_MEMBERS:
            return self._fault(73002, "Invalid parameters for requester.listTransactions: expected a ListFilter")
        if self.rpc_fault:
            return self._fault(*self.rpc_fault)
        ids = [t["id"].removeprefix("tx_") for t in TRANSACTIONS]
        return _xml(xmlrpc.client.dumps((ids,), methodresponse=True, encoding="utf-8"))

    def _fault(self, code: int, text: str) -> Response:
        return _xml(xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True, encoding="utf-8"))

    def transactions(self, request: Request) -> Response:
        auth = request.header("authorization")
        presented = auth[7:] if auth.startswith("Bearer ") else (_basic(request) or ("", "x"))
        valid = presented == self.api_key or presented == (self.api_key, "")
        if self.wrong_credentials or not valid:
            return Response.json({"code": "unauthorized", "message": "Invalid or missing API key"}, 401)
        if self.key_forbidden:
            return Response.json({"code": "forbidden", "message": "This API key cannot access this resource"}, 403)
        return Response.json({"content": TRANSACTIONS, "page": 0, "size": 20, "total_elements": len(TRANSACTIONS)})
