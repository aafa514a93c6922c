"""Bridge (bridgeapi.io) v3: the application's Client-Id and Client-Secret on every call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .diagnose import retry_after
from .probe import Probe
from .result import TestResult

DEFAULT_VERSION = "2025-01-15"
SLOW_EFFECT = "the statements batch, which makes several calls per bank account, will take long"


@dataclass(frozen=True)
class BridgeAccount:
    """The API base URL, the Bridge-Version to speak, and the application's credentials."""

    url: str
    version: str
    client_id: str
    client_secret: str

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.client_secret]

    def headers(self) -> dict[str, str]:
        """The headers every call sends."""
        return {"Client-Id": self.client_id, "Client-Secret": self.client_secret,
                "Bridge-Version": self.version, "Accept": "application/json"}

    def api(self, path: str) -> str:
        """The full URL of an API path under the configured base."""
        return self.url.rstrip("/") + "/" + path.lstrip("/")


def bridge_says(response: httpx.Response) -> tuple[str, str]:
    """Bridge's error code and its own words (code: property: message), both "" when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    parts = [str(body[k]) for k in ("code", "property", "message") if body.get(k)]
    return str(body.get("code") or ""), ": ".join(parts)


def _refused(account: BridgeAccount):
    def explain(response: httpx.Response) -> str | None:
        status = response.status_code
        code, said = bridge_says(response)
        said_part = f" Bridge says: {said}." if said else ""
        if status == 401:
            return (f"Bridge refused the application's credentials (401).{said_part} Check Bridge client ID and "
                    "Bridge client secret, and that they belong to this environment (sandbox and production "
                    "applications have different credentials).")
        if status == 403:
            return (f"Bridge refused the call (403): production applications only accept calls from the IP "
                    f"addresses on their allow-list; add this server's public IP in the Bridge dashboard.{said_part}")
        if status == 429:
            wait = retry_after(response)
            return (f"Bridge's rate limit is reached (429; 2000 requests per 5 minutes per application)"
                    f"{', ' + wait if wait else ''}: try again later.{said_part}")
        if status == 400 and "version" in (code + said).lower():
            return (f"Bridge does not accept Bridge-Version {account.version or '(empty)'} (400).{said_part} "
                    f"The v3 API expects a dated version such as {DEFAULT_VERSION}.")
        return None
    return explain


def _business(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("resources"), list):
        return "Bridge answered without a 'resources' list: the URL may not be the Bridge API (https://api.bridgeapi.io)."
    return None


def _describe(body: dict) -> str:
    more = isinstance(body.get("pagination"), dict) and body["pagination"].get("next_uri")
    count = len(body["resources"])
    users = "no user yet" if not count else ("users exist" if more else f"{count} user(s)")
    return f"application authenticated, {users}"


async def test_connection(account: BridgeAccount, client: httpx.AsyncClient, *, on_step=None,
                          timeout_s: float = 30.0) -> TestResult:
    """`GET /v3/aggregation/users?limit=1` with the application's headers (CONNECTORS.md §6)."""
    result = TestResult("akuiteo_connect", f"{account.url}, version {account.version or '(none)'}")
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s, service="Bridge",
                  slow_effect=SLOW_EFFECT)
    await probe.call("Application credentials", client, "GET", account.api("v3/aggregation/users?limit=1"),
                     headers=account.headers(), business=_business, describe=_describe,
                     on_status=_refused(account))
    return result
