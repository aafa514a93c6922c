"""An Inqom account from a configuration's values, and Inqom's words when it refuses a call (Connect and deliveries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..diagnose import json_object

PRODUCTION_AUTH_URL = "https://auth.inqom.com/identity/connect/token"
PRODUCTION_API_URL = "https://wa-fred-accounting-documents-prod.azurewebsites.net"
RECETTE_AUTH_URL = "https://staging-auth.inqom.com/identity/connect/token"
RECETTE_API_URL = "https://wa-fred-accounting-documents-staging.azurewebsites.net"
ENVIRONMENTS = {"production": (PRODUCTION_AUTH_URL, PRODUCTION_API_URL),
                "recette": (RECETTE_AUTH_URL, RECETTE_API_URL)}
SCOPE = "openid apidata"
DOCUMENTS_PATH = "api/accounting-documents/accounting-folders/{folder}/Documents"
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


def inqom_words(response: httpx.Response) -> str:
    """Inqom's own words: OAuth error fields, or an ASP.NET problem's title and field errors."""
    body = json_object(response)
    parts = [str(body[k]) for k in ("error", "error_description", "title", "detail", "message") if body.get(k)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in errors.items()]
    return "; ".join(p.rstrip(". ") for p in parts)[:300] or response.text.strip().replace("\n", " ")[:200].rstrip(". ")


def token_refused(response: httpx.Response) -> str | None:
    """Why Inqom refused a token request, in words; None for a status with no meaning of its own."""
    status, said = response.status_code, inqom_words(response)
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
