"""Universign e-signature: the legacy XML-RPC API (login and password) or the REST API (an API key)."""

from __future__ import annotations

import base64
import datetime as dt
import xmlrpc.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from .probe import Probe
from .result import TestResult

RPC_METHOD = "requester.listTransactions"


@dataclass(frozen=True)
class UniversignAccount:
    """The configured URL and credentials; the URL decides which API is spoken."""

    url: str
    user: str
    password: str

    def secrets(self) -> list[str]:
        """Values to mask in anything shown: the password, or the user field when it holds an API key."""
        user, password = self.credentials()
        return [password] if password else [user]

    @property
    def is_rpc(self) -> bool:
        """True for the legacy XML-RPC endpoint (…/sign/rpc/)."""
        return "/rpc" in urlsplit(self.url).path

    def endpoint(self) -> str:
        """The URL without any user:password@ written into it."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    def credentials(self) -> tuple[str, str]:
        """User and password, taken from the URL when the fields are empty (legacy setups put them there)."""
        parts = urlsplit(self.url)
        if not self.user and parts.username:
            return unquote(parts.username), unquote(parts.password or "")
        return self.user, self.password

    def headers(self) -> dict[str, str]:
        """HTTP Basic: user:password, or the API key as user with an empty password."""
        user, password = self.credentials()
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}

    def rest_url(self, path: str) -> str:
        """The full URL of a REST API path (it starts with /v1) under the endpoint."""
        return self.endpoint().rstrip("/") + path

    def rpc_headers(self) -> dict[str, str]:
        """The headers of an XML-RPC call: HTTP Basic and XML both ways."""
        return {**self.headers(), "Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}


def rpc_body(method: str, *params: Any) -> bytes:
    """The XML-RPC request of `method` with `params`, UTF-8."""
    return xmlrpc.client.dumps(params, method, encoding="utf-8").encode()


def listing_window(since: dt.datetime, until: dt.datetime, start: int = 0) -> dict[str, Any]:
    """The `requester.listTransactions` filter: created between `since` and `until`, from the `start`-th id."""
    return {"notBefore": xmlrpc.client.DateTime(since.replace(tzinfo=None)),
            "notAfter": xmlrpc.client.DateTime(until.replace(tzinfo=None)), "startRange": start}


def rpc_request() -> bytes:
    """A `requester.listTransactions` call narrowed to the last day, so it stays small."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    return rpc_body(RPC_METHOD, listing_window(now - dt.timedelta(days=1), now))


def _rpc_result(body: bytes) -> Any:
    return xmlrpc.client.loads(body)[0][0]


def _rpc_business(body: bytes) -> str | None:
    try:
        value = _rpc_result(body)
    except xmlrpc.client.Fault as fault:
        return (f"Universign accepted the login but answered an XML-RPC fault {fault.faultCode}: {fault.faultString}. "
                "The account's profile or rights do not allow listing transactions, or the API changed: "
                "check the account with Universign support.")
    except Exception:  # noqa: BLE001 - expat and the unmarshaller raise many kinds for a non-XML-RPC body
        start = body[:60].decode("utf-8", "replace").replace("\n", " ")
        return (f"The answer is not an XML-RPC response (it starts with {start!r}): "
                "the URL may not be the Universign …/sign/rpc/ endpoint.")
    if not isinstance(value, list):
        return f"Universign answered a {type(value).__name__} where a list of transactions was expected."
    return None


def _rpc_describe(body: bytes) -> str:
    return f"XML-RPC, {len(_rpc_result(body))} transaction(s) in the last 24 h"


def _rpc_refused(response: httpx.Response) -> str | None:
    if response.status_code == 401:
        return ("Universign refused the login and password (401): check Universign user (the account e-mail) "
                "and password, and that the account belongs to this platform (test and production differ).")
    return None


def _rest_business(body: Any) -> str | None:
    if not isinstance(body, (dict, list)):
        return "Universign answered JSON that is neither an object nor a list: the URL may not be the REST API."
    return None


def _rest_describe(body: Any) -> str:
    items = body if isinstance(body, list) else next(
        (body[k] for k in ("content", "data", "items", "transactions") if isinstance(body.get(k), list)), None)
    return "REST, API key accepted" + (f", {len(items)} transaction(s) on the first page" if items is not None else "")


def _rest_refused(account: UniversignAccount):
    def explain(response: httpx.Response) -> str | None:
        if response.status_code == 401 and account.credentials()[1]:
            return ("Universign refused the credentials (401): the REST API takes an API key, not an account "
                    "password. Put the API key in Universign user and leave Universign password empty, or use "
                    "the legacy …/sign/rpc/ URL with a login and password.")
        if response.status_code == 401:
            return ("Universign refused the API key (401): check that it was copied whole, that it was not "
                    "deleted (Developer > API keys), and that it belongs to this platform (alpha and production differ).")
        if response.status_code == 403:
            return ("The API key is valid but does not grant access to transactions (403): create the key with "
                    "a user who has administrator or integrator rights.")
        return None
    return explain


async def test_connection(account: UniversignAccount, client: httpx.AsyncClient, *, on_step=None,
                          timeout_s: float = 30.0) -> TestResult:
    """One authenticated listing of transactions, XML-RPC or REST by the URL (CONNECTORS.md §5)."""
    result = TestResult("universign", account.endpoint())
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    if account.is_rpc:
        await probe.call("List transactions", client, "POST", account.endpoint(), expect="any",
                         headers=account.rpc_headers(), content=rpc_request(), business=_rpc_business,
                         describe=_rpc_describe, on_status=_rpc_refused)
    else:
        headers = {**account.headers(), "Accept": "application/json"}
        await probe.call("List transactions", client, "GET", account.rest_url("/v1/transactions"),
                         headers=headers, business=_rest_business, describe=_rest_describe,
                         on_status=_rest_refused(account))
    return result
