"""Microsoft Graph: an app-only token, then the test user's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from .diagnose import retry_after
from .microsoft import DEFAULT_AUTHORITY, GRAPH_SCOPE, with_token
from .probe import Probe
from .result import TestResult
from .tokens import SHARED, TokenCache

STEP = "Graph calendar"


@dataclass(frozen=True)
class GraphAccount:
    """The app registration and the mailbox whose calendar the Test reads."""

    tenant_id: str
    client_id: str
    client_secret: str
    test_user: str
    graph_url: str = "https://graph.microsoft.com"
    authority_url: str = DEFAULT_AUTHORITY

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.client_secret]

    def calendar_url(self) -> str:
        """`GET` this for the test user's default calendar."""
        return f"{self.graph_url.rstrip('/')}/v1.0/users/{quote(self.test_user, safe='@')}/calendar"


def _graph_error(response: httpx.Response) -> tuple[str, str] | None:
    """Graph's {"error": {"code", "message"}}, or None when the body is something else."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    return str(error.get("code", "")), str(error.get("message", ""))


def _on_status(account: GraphAccount):
    def explain(response: httpx.Response) -> str | None:
        status, error = response.status_code, _graph_error(response)
        said = f" {error[0]}: {error[1]}" if error else ""
        if status == 401:
            return (f"Microsoft Graph refused the token (401{',' + said if said else ''}): the token may have expired, "
                    "or been issued for another resource than https://graph.microsoft.com.")
        if status == 403:
            return (f"The application may not read the calendar of {account.test_user} (403{',' + said if said else ''}): "
                    "grant it the Microsoft Graph application permission Calendars.ReadWrite with admin consent, and "
                    "check that no Exchange application access policy (New-ApplicationAccessPolicy) excludes this mailbox.")
        if status == 404 and error:
            return (f"No user or mailbox {account.test_user} in the tenant (404,{said}): check the Test user address "
                    "(the user principal name) and that the user has an Exchange Online licence.")
        if status == 429:
            wait = retry_after(response)
            return (f"Microsoft Graph is throttling the application (429{',' + said if said else ''}): "
                    f"{wait or 'wait'} before the next call. Outlook allows about "
                    "10,000 requests per 10 minutes and 4 concurrent requests per mailbox.")
        return None
    return explain


def _business(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("id"):
        return "The answer is not a calendar (it has no id): the Graph URL may point at another service."
    return None


def _describe(body: dict) -> str:
    owner = body.get("owner")
    owner = owner if isinstance(owner, dict) else {}
    return f"calendar '{body.get('name', '?')}' of {owner.get('address') or owner.get('name') or '?'}"


async def test_connection(account: GraphAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Token with the Graph scope, then `GET /v1.0/users/{test user}/calendar` (CONNECTORS.md §4)."""
    result = TestResult("graph", account.test_user)
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    if not account.test_user:
        # App-only tokens cannot use /me: the Test needs a mailbox to read.
        probe.failed("Configuration", "No Test user is saved: Graph reads the calendar of that mailbox.")
        return result

    async def call(token: str):
        return await probe.call(STEP, client, "GET", account.calendar_url(),
                                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                                business=_business, describe=_describe, on_status=_on_status(account))

    await with_token(probe, client, STEP, call, cache=cache, authority_url=account.authority_url,
                     tenant=account.tenant_id, client_id=account.client_id, client_secret=account.client_secret,
                     scope=GRAPH_SCOPE)
    return result
