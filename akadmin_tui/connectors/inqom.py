"""Inqom accounting documents: OAuth2 password grant, then one page of an accounting folder's documents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .diagnose import json_object
from .probe import Probe
from .result import Outcome, TestResult
from .tokens import SHARED, TokenCache, cache_key, token_step

PRODUCTION_AUTH_URL = "https://auth.inqom.com/identity/connect/token"
PRODUCTION_API_URL = "https://wa-fred-accounting-documents-prod.azurewebsites.net"
RECETTE_AUTH_URL = "https://staging-auth.inqom.com/identity/connect/token"
RECETTE_API_URL = "https://wa-fred-accounting-documents-staging.azurewebsites.net"
ENVIRONMENTS = {"production": (PRODUCTION_AUTH_URL, PRODUCTION_API_URL),
                "recette": (RECETTE_AUTH_URL, RECETTE_API_URL)}
SCOPE = "openid apidata"
DOCUMENTS_PATH = "api/accounting-documents/accounting-folders/{folder}/Documents"
TOKEN_STEP, DOCUMENTS_STEP = "Inqom token", "Accounting folder documents"
RETRY_LATER = "Inqom failed on its side ({status}): try again later, and if it keeps failing contact Inqom's team."


def urls_for(environment: str) -> tuple[str, str]:
    """The token URL and the API base URL of an Inqom environment ("production" or "recette")."""
    try:
        return ENVIRONMENTS[environment.strip().lower()]
    except KeyError:
        raise ValueError(f"Unknown Inqom environment {environment!r}: use production or recette.") from None


@dataclass(frozen=True)
class InqomAccount:
    """The API client, the Inqom user and the accounting folder a Test uses."""

    auth_url: str
    api_url: str
    client_id: str
    client_secret: str
    username: str
    password: str
    folder_id: str | int
    environment: str = "production"

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.client_secret, self.password]

    def documents_url(self) -> str:
        """The URL listing the folder's documents."""
        return self.api_url.rstrip("/") + "/" + DOCUMENTS_PATH.format(folder=str(self.folder_id).strip())


def account_from(values: Mapping[str, Any]) -> InqomAccount:
    """The account of an Inqom accounting configuration, from its effective values (secrets decrypted)."""
    environment = str(values.get("environment") or "production").strip().lower()
    auth_default, api_default = ENVIRONMENTS.get(environment, ENVIRONMENTS["production"])

    def text(key: str) -> str:
        return str(values.get(key) or "").strip()

    # Secrets are kept as typed: a space at their ends is the admin's to see in the diagnosis, not ours to drop.
    return InqomAccount(auth_url=text("auth_url") or auth_default, api_url=text("documents_url") or api_default,
                        client_id=text("client_id"), client_secret=str(values.get("client_secret") or ""),
                        username=text("username"), password=str(values.get("password") or ""),
                        folder_id=text("folder_id"), environment=environment)


def _said(response: httpx.Response) -> str:
    """Inqom's own words: OAuth error fields, or an ASP.NET problem's title and field errors."""
    body = json_object(response)
    parts = [str(body[k]) for k in ("error", "error_description", "title", "detail", "message") if body.get(k)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in errors.items()]
    return "; ".join(p.rstrip(". ") for p in parts)[:300] or response.text.strip().replace("\n", " ")[:200].rstrip(". ")


def _token_refused(response: httpx.Response) -> str | None:
    status, said = response.status_code, _said(response)
    if status >= 500:
        return RETRY_LATER.format(status=status) + (f" Inqom says: {said}." if said else "")
    if status not in (400, 401):
        return None
    error = json_object(response).get("error", "")
    what = {
        "invalid_client": "the API client was refused: check the Client ID and Client Secret of the Inqom API client",
        "invalid_grant": "the user was refused: check the Username (the access account's e-mail) and its Password",
        "invalid_scope": f"the API client may not ask for the scope \"{SCOPE}\": ask Inqom to enable it",
        "unauthorized_client": "the API client may not use the password grant: ask Inqom to enable it",
    }.get(error, "check the Client ID, Client Secret, Username and Password")
    return (f"Inqom refused the token request ({status}{', ' + said if said else ''}): {what}. "
            "Also check they belong to this environment (production and recette use different ones).")


def _documents_refused(account: InqomAccount):
    def explain(response: httpx.Response) -> str | None:
        status, said = response.status_code, _said(response)
        says = f" Inqom says: {said}." if said else ""
        folder = str(account.folder_id)
        if status == 400:
            return (f"Inqom found the request malformed (400): check the Accounting folder id {folder!r}, "
                    f"which must be the folder's numeric Id in Inqom.{says}")
        if status == 403:
            return (f"The Inqom user {account.username} has no rights on accounting folder {folder} (403): "
                    f"give that user read access to the folder in Inqom (Inqom also says 403 when a token is not accepted).{says}")
        if status == 404:
            return (f"Inqom knows no accounting folder {folder} (404): check the folder id, and that the API URL "
                    f"is the documents API of this environment.{says}")
        if status >= 500:
            return RETRY_LATER.format(status=status) + says
        return None
    return explain


def _documents(body: Any) -> list | None:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return next((body[k] for k in ("Items", "items", "Documents", "documents", "value", "data")
                     if isinstance(body.get(k), list)), None)
    return None


def _documents_business(body: Any) -> str | None:
    if _documents(body) is None:
        return f"Inqom answered with something that is not a list of documents: {json.dumps(body)[:120]}."
    return None


def _describe_documents(folder: str | int):
    def describe(body: Any) -> str:
        documents = _documents(body) or []
        if not documents or not isinstance(documents[0], dict):
            return f"folder {folder} is readable and has no document yet"
        first = documents[0]
        return (f"folder {folder} is readable; first document Id {first.get('Id')} "
                f"{first.get('Name') or first.get('OriginalName') or ''} ({first.get('Status', 'no status')})")
    return describe


async def fetch_token(probe: Probe, client: httpx.AsyncClient, account: InqomAccount,
                      cache: TokenCache) -> str | None:
    """An Inqom access token from the cache, or fetched as a step of the Test."""
    key = cache_key(account.auth_url, account.client_id, account.client_secret, account.username, account.password)
    form = {"grant_type": "password", "client_id": account.client_id, "client_secret": account.client_secret,
            "username": account.username, "password": account.password, "scope": SCOPE}
    return await token_step(probe, client, step=TOKEN_STEP, service="Inqom", url=account.auth_url, form=form,
                            key=key, cache=cache, on_status=_token_refused)


async def test_connection(account: InqomAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Token, then one document of the accounting folder (CONNECTORS.md §9)."""
    result = TestResult("inqom", f"{account.environment}, folder {account.folder_id}")
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    key = cache_key(account.auth_url, account.client_id, account.client_secret, account.username, account.password)
    for attempt in (1, 2):
        was_cached = cache.get(key) is not None
        token = await fetch_token(probe, client, account, cache)
        if token is None:
            probe.skipped(DOCUMENTS_STEP, "needs an Inqom token")
            return result
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        reply = await probe.call(DOCUMENTS_STEP, client, "GET", account.documents_url() + "?pageNumber=1&pageSize=1",
                                 headers=headers, business=_documents_business,
                                 describe=_describe_documents(account.folder_id),
                                 on_status=_documents_refused(account))
        # Inqom says 403 when a token does not work, so a refused cached token is renewed once on 401 or 403.
        refused = reply is None and result.steps[-1].detail in ("HTTP 401", "HTTP 403")
        if not (refused and was_cached and attempt == 1):
            return result
        cache.forget(key)
        result.steps[-1].outcome = Outcome.SKIPPED
        result.steps[-1].detail = "the cached token was refused; fetching a new one"
        result.steps[-1].diagnosis = ""
    return result


async def connect(editor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                  on_step=None) -> TestResult:
    """Connect (F5) for an Inqom configuration: the Test, with a fresh token so the saved credentials are tried."""
    return await test_connection(account_from(values), client, cache=TokenCache(), on_step=on_step)


def __getattr__(name: str) -> Any:
    # The batch operations live in inqom_documents (which imports this module); loading them lazily keeps
    # `inqom.InqomSession` usable without a circular import.
    if name in ("InqomSession", "InqomError", "describe_status", "origin_id"):
        from . import inqom_documents
        return getattr(inqom_documents, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
