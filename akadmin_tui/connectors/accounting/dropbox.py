"""Dropbox: OAuth2 code flow without redirect (offline access), then the account the token belongs to.

The authorisation page is https://www.dropbox.com/oauth2/authorize and the API https://api.dropboxapi.com;
`values["api_base"]`, when set, replaces both origins (the sandbox sets it to its emulator).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from ...settings.editor import SettingsEditor
from ..diagnose import error_text, json_object, retry_after
from ..probe import Probe, StepListener
from ..result import Outcome, TestResult
from ..tokens import SHARED, TokenCache, cache_key, lifetime, token_step
from .base import AccountingConnector, ServiceRefused

WEB, API = "https://www.dropbox.com", "https://api.dropboxapi.com"
AUTHORIZE_PATH, TOKEN_PATH, ACCOUNT_PATH = "/oauth2/authorize", "/oauth2/token", "/2/users/get_current_account"
TOKEN_STEP, ACCOUNT_STEP = "Dropbox token", "Dropbox account"
ACCESS_LIFETIME_S = 14400.0


class DropboxError(ServiceRefused):
    """Why the authorisation code could not be exchanged, in words (never a secret)."""


def _origins(values: dict) -> tuple[str, str]:
    override = str(values.get("api_base") or "").strip().rstrip("/")
    return (override, override) if override else (WEB, API)


def authorization_url(values: dict) -> str:
    """The page where the Dropbox account's owner lets akadmin in; it then shows a code to paste back."""
    query = {"client_id": str(values.get("client_id") or ""), "response_type": "code", "token_access_type": "offline"}
    return f"{_origins(values)[0]}{AUTHORIZE_PATH}?{urlencode(query)}"


def _token_url(values: dict) -> str:
    return _origins(values)[1] + TOKEN_PATH


def _key(values: dict, refresh_token: str) -> tuple[str, ...]:
    secret = f"{values.get('client_secret') or ''}\n{refresh_token}"
    return cache_key(_token_url(values), str(values.get("client_id") or ""), secret)


def _token_refused(for_code: bool):
    def explain(response: httpx.Response) -> str | None:
        status, body = response.status_code, json_object(response)
        said = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
        says = f" Dropbox says: {said}." if said else ""
        if status >= 500:
            return f"Dropbox's token service failed ({status}): try again later.{says}"
        if status not in (400, 401):
            return None
        error = str(body.get("error") or "")
        if error == "invalid_client" or status == 401:
            return f"Dropbox refused the app ({status}): check the Client ID (app key) and Client secret (app secret).{says}"
        if error == "invalid_grant" and for_code:
            return (f"Dropbox refused the authorisation code (invalid_grant): it was already used or has expired. "
                    f"Authorise again and paste the new code at once.{says}")
        if error == "invalid_grant":
            return (f"Dropbox refused the refresh token (invalid_grant): akadmin was disconnected from the account "
                    f"(Dropbox > Settings > Connected apps) or the app changed. Authorise akadmin again.{says}")
        return f"Dropbox refused the token request ({status}).{says}"
    return explain


def _account_refused(response: httpx.Response) -> str | None:
    status, body = response.status_code, json_object(response)
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    tag = str(error.get(".tag") or "")
    if status == 401 and tag == "missing_scope":
        return (f"The app may not read the account (missing scope {error.get('required_scope', 'account_info.read')}): "
                "tick it under App Console > Permissions, then authorise akadmin again (a token keeps the scopes it "
                "was issued with).")
    if status == 401:
        said = f", {tag}" if tag else ""
        return f"Dropbox refused the access token (401{said}): authorise akadmin again if it keeps refusing it."
    if status == 400:
        return f"Dropbox found the call malformed (400): {error_text(response)}."
    if status == 429:
        wait = retry_after(response)
        return f"Too many calls to Dropbox (429){'; ' + wait if wait else ''}: try again later."
    if status >= 500:
        return f"Dropbox failed ({status}): it is down or in maintenance, try again later."
    return None


def _account_business(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("account_id"):
        return "Dropbox answered without an account_id: the URL may not be Dropbox's API."
    return None


def _describe_account(body: dict) -> str:
    name, kind = body.get("name"), body.get("account_type")
    name = name if isinstance(name, dict) else {}
    kind = kind if isinstance(kind, dict) else {}
    who = f"{name.get('display_name') or '(no name)'} <{body.get('email') or 'no e-mail'}>"
    return who + (f", {kind['.tag']} account" if kind.get(".tag") else "")


async def exchange_code(values: dict, code: str, client: httpx.AsyncClient, *,
                        cache: TokenCache = SHARED) -> dict[str, Any]:
    """Trade the code Dropbox showed for tokens; the caller saves the returned refresh_token (nothing is stored here)."""
    code = code.strip()
    missing = [label for key, label in (("client_id", "Client ID"), ("client_secret", "Client secret"))
               if not values.get(key)]
    if missing or not code:
        raise DropboxError(f"Set {' and '.join(missing) or 'the authorisation code'} first.")
    result = TestResult("accounting", "Dropbox authorisation")
    probe = Probe(result, [str(values["client_secret"]), code])
    form = {"grant_type": "authorization_code", "code": code, "client_id": str(values["client_id"]),
            "client_secret": str(values["client_secret"])}
    reply = await probe.call(TOKEN_STEP, client, "POST", _token_url(values), form=form,
                             on_status=_token_refused(for_code=True))
    if reply is None:
        failed = result.failed_step
        raise DropboxError(failed.diagnosis if failed else "Dropbox gave no answer.")
    body = reply.body if isinstance(reply.body, dict) else {}
    if not body.get("access_token") or not body.get("refresh_token"):
        raise DropboxError("Dropbox answered without a refresh token: the authorisation must ask for offline access "
                           "(token_access_type=offline), as authorization_url does.")
    seconds = lifetime(body.get("expires_in"), ACCESS_LIFETIME_S)
    cache.put(_key(values, str(body["refresh_token"])), str(body["access_token"]), seconds)
    return {"refresh_token": str(body["refresh_token"]), "access_token": str(body["access_token"]),
            "expires_in": int(seconds)}


async def connect(editor: SettingsEditor, name: str, values: dict, client: httpx.AsyncClient,
                  on_step: StepListener | None = None, *, cache: TokenCache = SHARED) -> TestResult:
    """An access token from the saved refresh token, then the account it opens."""
    result = TestResult("accounting", f"{name} (Dropbox)")
    refresh_token = str(values.get("refresh_token") or "")
    probe = Probe(result, [str(values.get("client_secret") or ""), refresh_token], on_step=on_step)
    if not refresh_token:
        probe.failed(TOKEN_STEP, "No refresh token yet: authorise akadmin first (open the authorisation address, "
                                 "allow akadmin, paste the code Dropbox shows).")
        return result
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": str(values.get("client_id") or ""), "client_secret": str(values.get("client_secret") or "")}
    key = _key(values, refresh_token)
    for attempt in (1, 2):
        cached = cache.get(key) is not None
        token = await token_step(probe, client, step=TOKEN_STEP, service="Dropbox", url=_token_url(values),
                                 form=form, key=key, cache=cache, on_status=_token_refused(for_code=False))
        if token is None:
            probe.skipped(ACCOUNT_STEP, "needs a Dropbox token")
            return result
        reply = await probe.call(ACCOUNT_STEP, client, "POST", _origins(values)[1] + ACCOUNT_PATH,
                                 headers={"Authorization": f"Bearer {token}"}, business=_account_business,
                                 describe=_describe_account, on_status=_account_refused)
        if not (reply is None and cached and attempt == 1 and result.steps[-1].detail == "HTTP 401"):
            return result
        # A cached token was refused (expired early, revoked): fetch a new one once.
        cache.forget(key)
        result.steps[-1].outcome, result.steps[-1].diagnosis = Outcome.SKIPPED, ""
        result.steps[-1].detail = "the cached token was refused; fetching a new one"
    return result


class DropboxConnector(AccountingConnector):
    """Connect, and the sign-in (a code Dropbox shows) that keeps a refresh token."""

    name = "dropbox"
    paste_prompt = "Paste the code Dropbox shows after you allow akadmin:"

    async def connect(self, editor: SettingsEditor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        return await connect(editor, name, dict(values), client, on_step)

    def authorise_url(self, values: Mapping[str, Any], state: str) -> str:
        return authorization_url(dict(values))  # Dropbox shows the code instead of sending it back with the state

    async def exchange_code(self, values: Mapping[str, Any], code: str, client: httpx.AsyncClient) -> dict[str, Any]:
        return await exchange_code(dict(values), code, client)


CONNECTOR = DropboxConnector()
