"""INSEE Sirene 3.11: an API key in `X-INSEE-Api-Key-Integration`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .probe import Probe
from .result import TestResult

KEY_HEADER = "X-INSEE-Api-Key-Integration"


@dataclass(frozen=True)
class SireneAccount:
    """The base URL and the API key of the portal's application."""

    url: str
    token: str

    def headers(self) -> dict[str, str]:
        """The headers every call sends."""
        return {KEY_HEADER: self.token, "Accept": "application/json"}


def _key_refused(response: httpx.Response) -> str | None:
    if response.status_code in (401, 403):
        return (f"INSEE refused the API key ({response.status_code}): check the token generated on "
                "https://portail-api.insee.fr/ and that the application subscribed to API Sirene.")
    if response.status_code == 503:
        return "The SIRENE API is closed for maintenance (503): try again later."
    return None


def _describe(body: Any) -> str:
    if not isinstance(body, dict):
        return "answered"
    state = body.get("etatService", "?")
    version = body.get("versionService", "?")
    return f"service {state}, version {version}"


def _business(body: Any) -> str | None:
    if not isinstance(body, dict) or "etatService" not in body:
        return "The answer has no etatService: the URL may not be the SIRENE API (…/api-sirene/3.11)."
    if body.get("etatService") not in ("UP", "up"):
        return f"The SIRENE API says its state is {body.get('etatService')}."
    return None


async def test_connection(account: SireneAccount, client: httpx.AsyncClient, *, on_step=None,
                          timeout_s: float = 30.0) -> TestResult:
    """`GET /informations` with the key (CONNECTORS.md §2)."""
    result = TestResult("sirene", account.url)
    probe = Probe(result, [account.token], on_step=on_step, timeout_s=timeout_s)
    await probe.call("Service information", client, "GET", account.url.rstrip("/") + "/informations",
                     headers=account.headers(), business=_business, describe=_describe, on_status=_key_refused)
    return result
