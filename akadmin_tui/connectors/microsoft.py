"""Microsoft identity platform: app-only (client_credentials) tokens shared by EWS and Graph."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from .diagnose import json_object
from .probe import Probe, Reply
from .result import Outcome
from .tokens import TokenCache, cache_key, token_step

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
EWS_SCOPE = "https://outlook.office365.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_STEP = "Microsoft token"


def token_url(authority_url: str, tenant: str) -> str:
    """The v2.0 token endpoint of a tenant."""
    return f"{authority_url.rstrip('/')}/{tenant}/oauth2/v2.0/token"


def token_key(*, authority_url: str, tenant: str, client_id: str, client_secret: str, scope: str) -> tuple[str, ...]:
    """The cache key of a token: one per tenant, application and scope."""
    return cache_key(token_url(authority_url, tenant), client_id, client_secret, scope)


def _aadsts(code: str, tenant: str, client_id: str, scope: str) -> str | None:
    known = {
        "90002": f"Microsoft Entra ID knows no tenant '{tenant}' (AADSTS90002): check the Tenant ID "
                 "(the Directory (tenant) ID on the app registration's Overview page).",
        "900023": f"'{tenant}' is not a valid tenant identifier (AADSTS900023): enter the Directory (tenant) ID, "
                  "a GUID, or the tenant's domain name.",
        "700016": f"No application with Client ID {client_id} exists in tenant {tenant} (AADSTS700016): check the "
                  "Client ID (Application (client) ID on the Overview page) and that the app is registered in this tenant.",
        "7000215": "The client secret is wrong (AADSTS7000215): enter the secret's Value, not its Secret ID, "
                   "as shown once when it was created under Certificates & secrets.",
        "7000222": "The client secret has expired (AADSTS7000222): create a new one under Certificates & secrets "
                   "in the Azure portal, save it as Client Secret and update the Client secret expiry date.",
        "7000218": "No client secret was sent (AADSTS7000218): enter the Client Secret.",
        "7000112": "The application is disabled in this tenant (AADSTS7000112): an administrator must enable it "
                   "(Enterprise applications > Properties).",
        "500011": f"The tenant has no service for {scope} (AADSTS500011): the tenant may have no Exchange Online, "
                  "or the API permission was never granted with admin consent.",
        "1002012": f"The scope {scope} was refused (AADSTS1002012): the tenant may be in a national cloud, "
                   "which uses another authority URL.",
    }
    return known.get(code)


def _refused(tenant: str, client_id: str, scope: str) -> Callable[[httpx.Response], str | None]:
    def explain(response: httpx.Response) -> str | None:
        if response.status_code not in (400, 401):
            return None
        body = json_object(response)
        # The description ends with trace and correlation ids: only its first line helps.
        said = str(body.get("error_description") or "").splitlines()[0:1]
        match = re.match(r"AADSTS(\d+)", said[0]) if said else None
        known = _aadsts(match.group(1), tenant, client_id, scope) if match else None
        if known:
            return known
        return (f"Microsoft refused the token request ({response.status_code}"
                f"{', ' + str(body['error']) if body.get('error') else ''}{': ' + said[0] if said else ''}): "
                "check Tenant ID, Client ID and Client Secret.")
    return explain


async def fetch_token(probe: Probe, client: httpx.AsyncClient, *, authority_url: str = DEFAULT_AUTHORITY,
                      tenant: str, client_id: str, client_secret: str, scope: str,
                      cache: TokenCache) -> str | None:
    """An app-only access token from the cache, or fetched as the step "Microsoft token"."""
    key = token_key(authority_url=authority_url, tenant=tenant, client_id=client_id,
                    client_secret=client_secret, scope=scope)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "scope": scope}
    return await token_step(probe, client, step=TOKEN_STEP, service="Microsoft", url=token_url(authority_url, tenant),
                            form=form, key=key, cache=cache, on_status=_refused(tenant, client_id, scope),
                            what=f"Bearer token for {scope}")


async def with_token(probe: Probe, client: httpx.AsyncClient, step: str, call: Callable[[str], Awaitable[Reply | None]],
                     *, cache: TokenCache, **token_args: str) -> Reply | None:
    """Fetch a token, then `call` with it; a cached token refused with 401 is replaced once."""
    key = token_key(**token_args)
    for attempt in (1, 2):
        reused = cache.get(key) is not None
        token = await fetch_token(probe, client, cache=cache, **token_args)
        if token is None:
            probe.skipped(step, "needs a Microsoft token")
            return None
        reply = await call(token)
        last = probe.result.steps[-1]
        if reply is not None or attempt == 2 or not reused or last.detail != "HTTP 401":
            return reply
        # A cached token can be revoked or expire early: fetch a new one once, as a long batch would.
        cache.forget(key)
        last.outcome = Outcome.SKIPPED
        last.detail = "the cached token was refused; fetching a new one"
    return None
