"""CHORUS PRO through the PISTE gateway: OAuth client_credentials plus the `cpro-account` header."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from .diagnose import json_object
from .probe import Probe
from .result import Outcome, TestResult
from .tokens import SHARED, TokenCache, cache_key, token_step

STRUCTURES_PATH = "transverses/v1/recuperer/structures/actives/fournisseur"


@dataclass(frozen=True)
class ChorusAccount:
    """Everything a call to CHORUS PRO needs, as the resolution of a company's setup gives it."""

    auth_url: str
    url: str
    environment: str
    client_id: str
    client_secret: str
    login: str
    password: str
    setup: str = ""

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.client_secret, self.password, self.cpro_account()]

    def cpro_account(self) -> str:
        """The technical account header: base64 of login:password."""
        return base64.b64encode(f"{self.login}:{self.password}".encode()).decode()

    def api(self, path: str) -> str:
        """The full URL of an API path under the configured base."""
        return self.url.rstrip("/") + "/" + path.lstrip("/")


def _token_refused(response: httpx.Response) -> str | None:
    if response.status_code not in (400, 401):
        return None
    body = json_object(response)
    said = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
    return (f"PISTE refused the application's credentials ({response.status_code}{', ' + said if said else ''}). "
            "Check the Piste Client ID and Piste Secret, that the application subscribed to the CHORUS PRO APIs, "
            "and that they belong to this environment (production and qualification use different ones).")


def _structures_business(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "CHORUS PRO answered with something that is not an object."
    if body.get("codeRetour") not in (0, "0"):
        return f"CHORUS PRO refused the request: codeRetour {body.get('codeRetour')}, {body.get('libelle', 'no label')}."
    structures = body.get("listeStructures")
    if structures and not (isinstance(structures, list) and isinstance(structures[0], dict)):
        return "CHORUS PRO answered with a listeStructures that is not a list of structures."
    if not structures:
        return ("The technical account sees no active supplier structure: declare the API connection "
                "(Raccordement API) for this account in CHORUS PRO.")
    return None


def _describe_structures(body: dict) -> str:
    first = body["listeStructures"][0]
    name = first.get("designationStructure") or first.get("raisonSociale") or ""
    return f"supplier idStructureCPP {first.get('idStructureCPP')} {name}".strip()


def _account_refused(response: httpx.Response) -> str | None:
    if response.status_code in (401, 403):
        return ("CHORUS PRO refused the technical account (cpro-account, "
                f"{response.status_code}): check Chorus Login and Chorus Password, that the password has not "
                "expired, and that the account is declared for API connection. "
                + (f"WWW-Authenticate: {response.headers['WWW-Authenticate']}" if "WWW-Authenticate" in response.headers else ""))
    return None


async def fetch_token(probe: Probe, client: httpx.AsyncClient, account: ChorusAccount,
                      cache: TokenCache) -> str | None:
    """A PISTE access token from the cache, or fetched as a step of the Test."""
    form = {"grant_type": "client_credentials", "client_id": account.client_id,
            "client_secret": account.client_secret, "scope": "openid"}
    return await token_step(probe, client, step="PISTE token", service="PISTE", url=account.auth_url, form=form,
                            key=cache_key(account.auth_url, account.client_id, account.client_secret), cache=cache,
                            on_status=_token_refused)


async def test_connection(account: ChorusAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0, limiter=None) -> TestResult:
    """Token, then the supplier's active structures with the technical account (CONNECTORS.md §1)."""
    result = TestResult("chorus", f"setup {account.setup}, {account.environment}" if account.setup else account.environment)
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    key = cache_key(account.auth_url, account.client_id, account.client_secret)
    for attempt in (1, 2):
        from_cache = cache.get(key) is not None
        token = await fetch_token(probe, client, account, cache)
        if token is None:
            probe.skipped("Supplier structures", "needs a PISTE token")
            return result
        headers = {"Authorization": f"Bearer {token}", "cpro-account": account.cpro_account(),
                   "Content-Type": "application/json;charset=utf-8", "Accept": "application/json"}
        if limiter is not None:
            await limiter.acquire()  # the same per-second budget as the batches of this account
        reply = await probe.call("Supplier structures", client, "POST", account.api(STRUCTURES_PATH),
                                 headers=headers, content=b"{}", business=_structures_business,
                                 describe=_describe_structures, on_status=_account_refused)
        refused = reply is None and result.steps[-1].detail == "HTTP 401"
        if not (refused and from_cache and attempt == 1):
            return result
        # A cached token was refused (expired, revoked): fetch a new one once, as a long batch would.
        cache.forget(key)
        result.steps[-1].outcome = Outcome.SKIPPED
        result.steps[-1].detail = "the cached token was refused; fetching a new one"
    return result
