"""The Bridge v3 calls batches make: the user's token, accounts, transactions and banks, 429s waited out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from . import bridge
from .bridge import BridgeAccount, bridge_says
from .diagnose import diagnose_exception, retry_after_s
from .probe import Probe
from .result import TestResult

PAGE_LIMIT = 500  # Bridge's largest page
MAX_PAGES = 2000  # a listing that never ends is a fault, not a workload
MAX_RETRIES = 3  # after a 429
MAX_WAIT_S = 60  # never wait longer than this on one Retry-After
DEFAULT_WAIT_S = 5  # when a 429 gives no usable Retry-After
TIMEOUT_S = 30.0  # what make_client waits for an answer, for the diagnosis of a timeout

sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep  # the waits after a 429 (tests replace it)


class BridgeError(Exception):
    """One Bridge call failed; the text says how."""

    def __init__(self, text: str, status: int = 0, code: str = "") -> None:
        super().__init__(text)
        self.status, self.code = status, code


class BridgeRefused(BridgeError):
    """Bridge refused the credentials or this server: no other call can succeed."""


def external_user_id(email: str) -> str:
    """The v3 external_user_id of the Bridge user: its e-mail, lower-case, other characters than [a-z0-9_-] as '-'."""
    return re.sub(r"[^a-z0-9_-]", "-", email.strip().lower())[:128]


def rate_limit_wait_s(response: httpx.Response) -> int:
    """Whole seconds to wait after a 429: what Retry-After asks (at most MAX_WAIT_S), else DEFAULT_WAIT_S."""
    return math.ceil(retry_after_s(response, DEFAULT_WAIT_S, MAX_WAIT_S))


def _no_check() -> None:
    return None


class BridgeSession:
    """Calls with the application's headers (and the user's token once authorized), 429s waited out, JSON exact."""

    def __init__(self, account: BridgeAccount, client: httpx.AsyncClient, *,
                 warn: Callable[[str], None] | None = None,
                 check_cancelled: Callable[[], None] = _no_check, retries: int = MAX_RETRIES) -> None:
        self.account, self.client = account, client
        self.retries = retries  # after a 429; a Test takes none, it reports the limit at once
        self.token = ""
        self._warn = warn or (lambda text: None)
        # Called after each wait, so a cancelled run stops there rather than after its retries.
        self._check_cancelled = check_cancelled

    async def call(self, method: str, url: str, what: str, *, as_user: bool = False, body: dict | None = None) -> Any:
        """One request, retried after a 429 up to `retries` times; the JSON answer, or BridgeError saying why."""
        headers = self.request_headers(as_user)
        for attempt in range(1, self.retries + 2):
            try:
                response = await self.client.request(method, url, headers=headers, json=body)
            except httpx.HTTPError as error:
                diagnosis = await diagnose_exception(error, url, TIMEOUT_S)
                raise BridgeError(f"Bridge could not be reached while {what}: {diagnosis}") from None
            if response.status_code != 429 or attempt > self.retries:
                break
            wait = rate_limit_wait_s(response)
            self._warn(f"Bridge's rate limit is reached (429) while {what}; waiting {wait} s before retry "
                       f"{attempt} of {self.retries}.")
            await sleep(wait)
            self._check_cancelled()
        return self._read(response, what)

    def request_headers(self, as_user: bool = False) -> dict[str, str]:
        """The headers of a call: the application's, and the user's token when made as the user."""
        return self.account.headers() | ({"Authorization": f"Bearer {self.token}"} if as_user else {})

    def _read(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        code, said = bridge_says(response)
        said_part = f" (Bridge says {said})" if said else ""
        if status in (200, 201):
            try:  # amounts as Decimal: a statement total must not drift by float rounding
                return json.loads(response.content, parse_float=Decimal)
            except ValueError:
                raise BridgeError(f"Bridge did not answer JSON while {what}") from None
        if status == 401 and code == "invalid_client_credentials":
            raise BridgeRefused("Bridge refused the application's credentials (401): check Bridge client ID and "
                                "Bridge client secret in Third-party interfaces > Akuiteo Connect (sandbox and "
                                "production applications differ).", status, code)
        if status == 401:
            raise BridgeRefused(f"Bridge refused the user's access token (401) while {what}{said_part}.", status, code)
        if status == 403:
            raise BridgeRefused(f"Bridge refused the call (403) while {what}: production applications only accept "
                                f"the IP addresses on their allow-list{said_part}.", status, code)
        if status == 429 and not self.retries:
            wait = rate_limit_wait_s(response)
            raise BridgeError(f"Bridge's rate limit is reached (429) while {what}: try again in {wait} s "
                              "(10 token requests per minute per user; 2000 requests per 5 minutes per application)",
                              status, code)
        if status == 429:
            raise BridgeError(f"Bridge's rate limit was still reached after {self.retries} retries while {what}",
                              status, code)
        raise BridgeError(f"Bridge answered HTTP {status} while {what}{said_part}", status, code)

    def follow(self, next_uri: str) -> str:
        """The URL of a next_uri, refused when it leaves the configured host (the secret goes with every call)."""
        base = urlsplit(self.account.url)
        target = urljoin(self.account.url.rstrip("/") + "/", next_uri)
        if urlsplit(target)[:2] != base[:2]:
            raise BridgeError(f"Bridge's next_uri leads to another host ({urlsplit(target).netloc})")
        return target

    async def pages(self, url: str, what: str) -> AsyncIterator[list[dict]]:
        """Each page's resources, as the user, following pagination.next_uri until there is none."""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = await self.call("GET", url, what, as_user=True)
            resources = body.get("resources") if isinstance(body, dict) else None
            if not isinstance(resources, list):
                raise BridgeError(f"Bridge answered without a 'resources' list while {what}")
            yield [r for r in resources if isinstance(r, dict)]
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            next_uri = pagination.get("next_uri")
            if not next_uri:
                return
            if next_uri in seen:
                raise BridgeError(f"Bridge gave the same next_uri twice while {what}")
            seen.add(next_uri)
            url = self.follow(str(next_uri))
        raise BridgeError(f"more than {MAX_PAGES} pages while {what}")

    # --- the operations -----------------------------------------------------------------------------

    async def authorize(self, external_id: str) -> dict:
        """Get the user's access token, sent with every later call as the user (status 404: no such user).

        Returns Bridge's whole answer (access_token, expires_at, user).
        """
        body = await self.call("POST", self.token_url, "getting the Bridge user's token",
                               body={"external_user_id": external_id})
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise BridgeError("Bridge answered the token request without an access_token")
        self.token = str(token)
        return body

    @property
    def token_url(self) -> str:
        """Where the user's token comes from."""
        return self.account.api("v3/aggregation/authorization/token")

    async def accounts(self) -> list[dict]:
        """The user's connected accounts (those with an id), every page."""
        url = self.account.api(f"v3/aggregation/accounts?limit={PAGE_LIMIT}")
        return [a async for page in self.pages(url, "listing the accounts") for a in page if a.get("id")]

    async def provider_name(self, provider_id: Any) -> str:
        """The name of a bank (a Bridge provider), "" when Bridge gives none."""
        body = await self.call("GET", self.account.api(f"v3/providers/{provider_id}"), f"reading bank {provider_id}")
        return str(body.get("name") or "") if isinstance(body, dict) else ""

    def transaction_pages(self, account_id: str, label: str, since: dt.datetime | None = None
                          ) -> AsyncIterator[list[dict]]:
        """The account's transactions, page by page; with `since`, only those Bridge created or changed after it."""
        params: dict[str, Any] = {"account_id": account_id, "limit": PAGE_LIMIT}
        if since is not None:
            # `since` filters on updated_at, when Bridge last created or changed a transaction: unlike a date
            # bound (min_date), it still brings transactions a bank books late or a reconnection brings back.
            # CONNECTORS.md marks the v3 date filters unconfirmed; v3 clients send `since`.
            params["since"] = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = self.account.api("v3/aggregation/transactions") + "?" + urlencode(params)
        return self.pages(url, f"retrieving the transactions of {label}")


# --- The Bridge user Test ---------------------------------------------------------------------------

USER_TEST = "bridge_user"
USER_STEP = "User token"


async def test_user(account: BridgeAccount, email: str, client: httpx.AsyncClient, *, password: str = "",
                    on_step=None) -> TestResult:
    """The Bridge user Test: the user's token from its external_user_id, the very call the statements batch makes.

    Bridge v3 users have no password (CONNECTORS.md §6): the Bridge user's Password is masked, never sent.
    """
    external = external_user_id(email)
    result = TestResult(USER_TEST, f"{email.strip()}, external_user_id {external}")
    probe = Probe(result, [*account.secrets(), password], on_step=on_step, service="Bridge",
                  slow_effect=bridge.SLOW_EFFECT)
    session = BridgeSession(account, client, retries=0)  # a Test reports a 429 at once, it does not wait it out
    request = probe.request_line("POST", session.token_url, session.request_headers(),
                                 form={"external_user_id": external})
    started = time.perf_counter()
    try:
        body = await session.authorize(external)
    except BridgeError as error:
        probe.failed(USER_STEP, _user_refused(error, email, external), request=request, duration_ms=_ms(started),
                     detail=f"HTTP {error.status}" if error.status else "")
        return result
    ms = _ms(started)
    user = body.get("user")
    user = user if isinstance(user, dict) else {}
    known = f"uuid {user['uuid']}" if user.get("uuid") else "no uuid in the answer"
    until = f", valid until {body['expires_at']}" if body.get("expires_at") else ""
    probe.passed(USER_STEP, f"Bridge knows the user {external} ({known}) and gave its token{until}. The Password "
                            "is not checked: Bridge v3 knows its users by external_user_id only.",
                 request=request, duration_ms=ms, warning=probe.slow_warning(ms))
    return result


def _user_refused(error: BridgeError, email: str, external: str) -> str:
    said = str(error) if str(error).endswith(".") else f"{error}."
    if error.status == 404:
        return (f"Bridge knows no user {external!r} (the external_user_id made from the Bridge user's e-mail "
                f"{email.strip()}): check Email in Third-party interfaces > Akuiteo Connect > Bridge user, or ask "
                "Akuiteo to create the user in Bridge. The statements batch cannot run until it exists.")
    if error.status == 400 and "version" in error.code.lower():
        return (f"{said} The v3 API expects a dated Bridge-Version such as {bridge.DEFAULT_VERSION} "
                "(Third-party interfaces > Akuiteo Connect).")
    return said


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
