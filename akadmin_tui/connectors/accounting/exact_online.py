"""Exact Online: OAuth2 authorization code, rotating refresh tokens, then `current/Me` (CONNECTORS.md §10).

Every URL starts at https://start.exactonline.<country>; `values["api_base"]`, when set, replaces that
origin for every call (the sandbox sets it to its emulator).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx

from ...settings import schema
from ...settings.editor import SettingsEditor
from ..diagnose import json_object, retry_after
from ..probe import Probe, StepListener
from ..result import Outcome, TestResult
from ..tokens import EARLY_S, SHARED, TokenCache, cache_key, lifetime
from .base import AccountingConnector, ServiceRefused

HOST = "https://start.exactonline.{country}"
AUTH_PATH, TOKEN_PATH, ME_PATH = "/api/oauth2/auth", "/api/oauth2/token", "/api/v1/current/Me"
DIVISIONS_PATH = "/api/v1/{division}/system/Divisions"
TOKEN_STEP, SAVE_STEP, ME_STEP, DIVISION_STEP = "Exact Online token", "New refresh token", "Current user", "Division"
ACCESS_LIFETIME_S = 600.0
# Exact refuses refreshes more often than every 570 s: a cached token is used until this close to its end.
USE_UNTIL_S = 30.0
REPLACED = ("Exact Online refused the refresh token (invalid_grant). Only the last connection to Exact Online stays "
            "valid: another connection (another configuration, another akadmin, or another application with this "
            "client ID) has replaced this one, or the token went 30 days unused. Authorise akadmin again, and reuse "
            "this configuration for every Exact Online integration.")


class ExactError(ServiceRefused):
    """Why the authorisation code could not be exchanged, in words (never a secret)."""


def base_url(values: dict) -> str:
    """The origin every call goes to: `api_base` when set, else the country's start.exactonline host."""
    override = str(values.get("api_base") or "").strip()
    return override.rstrip("/") if override else HOST.format(country=str(values.get("country") or "nl").strip())


def authorization_url(values: dict, state: str) -> str:
    """The address where the administrator signs in to Exact Online and lets akadmin in."""
    query = {"client_id": str(values.get("client_id") or ""), "redirect_uri": str(values.get("redirect_uri") or ""),
             "response_type": "code", "state": state}
    return f"{base_url(values)}{AUTH_PATH}?{urlencode(query)}"


def code_from(pasted: str, state: str | None = None) -> str:
    """The authorisation code from what was pasted: the code itself, or the whole address Exact sent to."""
    text = pasted.strip()
    if "code=" not in text:
        # Copied from the address bar, the code is still URL-encoded (Exact's codes hold "!" and "*").
        return unquote(text)
    query = parse_qs(urlsplit(text).query or text.partition("?")[2] or text)
    code = (query.get("code") or [""])[0]
    if state is not None and query.get("state") and query["state"][0] != state:
        raise ExactError("The pasted address answers another authorisation request (its state differs): start the "
                         "authorisation again and paste the address it leads to.")
    if not code:
        raise ExactError("The pasted address holds no authorisation code.")
    return code


def _key(values: dict, refresh_token: str) -> tuple[str, ...]:
    return cache_key(base_url(values) + TOKEN_PATH, str(values.get("client_id") or ""), refresh_token)


def _keep(cache: TokenCache, values: dict, body: dict) -> float:
    """Cache the access token under the refresh token that came with it; returns its lifetime."""
    seconds = lifetime(body.get("expires_in"), ACCESS_LIFETIME_S)
    cache.put(_key(values, str(body["refresh_token"])), str(body["access_token"]), seconds + EARLY_S - USE_UNTIL_S)
    return seconds


def _said(response: httpx.Response) -> str:
    """Exact's own words: OAuth error fields, or an OData error's message."""
    body = json_object(response)
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return str(message.get("value") if isinstance(message, dict) else message or "").strip()
    return ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))


def _token_refused(for_code: bool):
    def explain(response: httpx.Response) -> str | None:
        status, said = response.status_code, _said(response)
        says = f" Exact Online says: {said}." if said else ""
        error = str(json_object(response).get("error") or "")
        if status >= 500:
            return f"Exact Online's token service failed ({status}): try again later.{says}"
        if status not in (400, 401):
            return None
        if error == "invalid_client" or status == 401:
            return (f"Exact Online refused the app ({status}): check the Client ID and Client secret of the app "
                    f"registered in the Exact Online App Center of this country.{says}")
        if error == "invalid_grant" and for_code:
            return ("Exact Online refused the authorisation code (invalid_grant): it was already used or has expired "
                    "(it lives a few minutes), or the Redirect URI differs from the app's. Authorise again and paste "
                    f"the new code at once.{says}")
        if error == "invalid_grant":
            return f"{REPLACED}{says}"
        return f"Exact Online refused the token request ({status}).{says} Authorise akadmin again."
    return explain


def _reset(value: str) -> str:
    """An X-RateLimit-*-Reset value (milliseconds since 1970) as a local time."""
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000).strftime("%H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return value or "an unknown time"


def rate_limits(response: httpx.Response) -> str:
    """What the rate-limit headers say is left ("" when they are absent)."""
    headers, parts = response.headers, []
    if "X-RateLimit-Minutely-Remaining" in headers:
        parts.append(f"{headers['X-RateLimit-Minutely-Remaining']} of "
                     f"{headers.get('X-RateLimit-Minutely-Limit', '?')} calls left this minute")
    if "X-RateLimit-Remaining" in headers:
        parts.append(f"{headers['X-RateLimit-Remaining']} of {headers.get('X-RateLimit-Limit', '?')} today")
    return ", ".join(parts)


def _api_refused(response: httpx.Response) -> str | None:
    status, headers, said = response.status_code, response.headers, _said(response)
    says = f" Exact Online says: {said}." if said else ""
    if status == 401:
        return "Exact Online refused the access token (401): authorise akadmin again if it keeps refusing it."
    if status == 403:
        return ("Exact Online let the user in but refuses this call (403): the user lacks the rights for it, or the "
                "app is not allowed for this company's subscription or division.")
    if status == 429:
        if headers.get("X-RateLimit-Minutely-Remaining") == "0":
            what = (f"the limit of {headers.get('X-RateLimit-Minutely-Limit', '60')} calls a minute is used up; it "
                    f"resets at {_reset(headers.get('X-RateLimit-Minutely-Reset', ''))}")
        elif headers.get("X-RateLimit-Remaining") == "0":
            what = (f"the daily limit of {headers.get('X-RateLimit-Limit', '5000')} calls is used up; it resets at "
                    f"{_reset(headers.get('X-RateLimit-Reset', ''))}")
        else:
            what = f"a limit is reached{'; ' + retry_after(response) if retry_after(response) else ''}"
        return (f"Too many calls to Exact Online for this app and company (429): {what}. Do not retry in a loop: "
                f"ten errors an hour on one endpoint block the app for an hour.{says}")
    if status >= 500:
        return f"Exact Online failed ({status}): it is down or in maintenance, try again later.{says}"
    return None


def _has_tokens(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("access_token"):
        return "Exact Online answered without an access_token."
    return None


def _token_form(values: dict, **grant: str) -> dict[str, str]:
    return {**grant, "client_id": str(values.get("client_id") or ""),
            "client_secret": str(values.get("client_secret") or "")}


async def exchange_code(values: dict, code: str, client: httpx.AsyncClient, *, state: str | None = None,
                        cache: TokenCache = SHARED) -> dict[str, Any]:
    """Trade the pasted code (or address) for tokens; the caller saves the returned refresh_token, nothing is stored here."""
    code = code_from(code, state)
    missing = [label for key, label in (("client_id", "Client ID"), ("client_secret", "Client secret"),
                                        ("redirect_uri", "Redirect URI")) if not values.get(key)]
    if missing or not code:
        raise ExactError(f"Set {' and '.join(missing) or 'the authorisation code'} first.")
    result = TestResult("accounting", "Exact Online authorisation")
    probe = Probe(result, [str(values["client_secret"]), code])
    form = _token_form(values, grant_type="authorization_code", code=code, redirect_uri=str(values["redirect_uri"]))
    reply = await probe.call(TOKEN_STEP, client, "POST", base_url(values) + TOKEN_PATH, form=form,
                             business=_has_tokens, on_status=_token_refused(for_code=True))
    if reply is None:
        failed = result.failed_step
        raise ExactError(failed.diagnosis if failed else "Exact Online gave no answer.")
    if not reply.body.get("refresh_token"):
        raise ExactError("Exact Online answered without a refresh_token: akadmin could not stay connected.")
    # Cached so that the first Connect does not refresh at once, which Exact refuses within 570 s.
    seconds = _keep(cache, values, reply.body)
    return {"refresh_token": str(reply.body["refresh_token"]), "access_token": str(reply.body["access_token"]),
            "expires_in": int(seconds)}


async def _refresh(probe: Probe, editor: SettingsEditor, name: str, values: dict, refresh_token: str,
                   client: httpx.AsyncClient, cache: TokenCache) -> tuple[str, str] | None:
    """A new access token and the refresh token replacing the used one, saved at once; None when it failed."""
    if editor.read_only:
        probe.failed(TOKEN_STEP, "The configuration is open read-only: a refresh would use up the saved refresh token "
                                 "(Exact Online hands out a new one each time) with no way to keep its successor. "
                                 "Open it for editing and Connect again.")
        return None
    form = _token_form(values, grant_type="refresh_token", refresh_token=refresh_token)
    reply = await probe.call(TOKEN_STEP, client, "POST", base_url(values) + TOKEN_PATH, form=form,
                             business=_has_tokens, on_status=_token_refused(for_code=False),
                             describe=lambda b: f"Bearer token, expires in {b.get('expires_in', '?')} s")
    if reply is None:
        return None
    # Exact voids the used refresh token: its successor must be saved, or the next Connect is refused.
    successor = str(reply.body.get("refresh_token") or refresh_token)
    started = time.perf_counter()
    try:
        editor.apply(schema.ACCOUNTING, name, {"refresh_token": successor})
    except Exception as error:  # noqa: BLE001 - whatever stopped the save, the admin must know the token is lost
        probe.failed(SAVE_STEP, f"Exact Online replaced the refresh token, but the new one could not be saved "
                                f"({type(error).__name__}: {error}): authorise akadmin again.")
        return None
    probe.passed(SAVE_STEP, "saved (encrypted); Exact Online voids the previous one at each refresh",
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))
    _keep(cache, values, {**reply.body, "refresh_token": successor})
    return str(reply.body["access_token"]), successor


def _me(body: Any) -> dict | None:
    d = body.get("d") if isinstance(body, dict) else None
    results = d.get("results") if isinstance(d, dict) else None
    if isinstance(results, list) and results and isinstance(results[0], dict):
        return results[0]
    return d if isinstance(d, dict) and "CurrentDivision" in d else None


def _describe_me(body: Any) -> str:
    me = _me(body) or {}  # _me_business has refused a body without it
    return f"{me.get('FullName') or '(no name)'}, current division {me.get('CurrentDivision')}"


def _me_business(body: Any) -> str | None:
    if _me(body) is None:
        return "Exact Online answered without the current user (d.results): the URL may not be Exact Online's API."
    return None


async def _api(probe: Probe, client: httpx.AsyncClient, step: str, url: str, token: str, **checks: Any):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    reply = await probe.call(step, client, "GET", url, headers=headers, on_status=_api_refused, **checks)
    if reply is not None and rate_limits(reply.response):
        reply.step.detail += f"; rate limit: {rate_limits(reply.response)}"
    return reply


async def _division(probe: Probe, client: httpx.AsyncClient, values: dict, me: dict, token: str) -> None:
    wanted, current = str(values.get("division") or "").strip(), str(me.get("CurrentDivision") or "")
    if not wanted:
        probe.passed(DIVISION_STEP, f"none configured: documents go to the user's current division {current}")
        return
    if wanted == current:
        probe.passed(DIVISION_STEP, f"division {wanted} is the user's current division")
        return
    if not current:
        probe.failed(DIVISION_STEP, "Exact Online named no current division for the user: division "
                                    f"{wanted} cannot be checked.")
        return
    if not wanted.isdigit():
        probe.failed(DIVISION_STEP, f"Division must be an Exact Online division code, a number (the user's current "
                                    f"division is {current}).")
        return

    def rows(body: Any) -> list[dict]:
        d = body.get("d") if isinstance(body, dict) else None
        found = d.get("results") if isinstance(d, dict) else d
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    def business(body: Any) -> str | None:
        listed = rows(body)
        if any(str(r.get("Code")) == wanted for r in listed):
            return None
        names = ", ".join(f"{r.get('Code')} ({r.get('Description') or 'no description'})" for r in listed[:10])
        return (f"{me.get('FullName') or 'The user'} has no access to division {wanted}: set Division to one of "
                f"{names or 'the divisions of the user (none listed)'}.")

    def describe(body: Any) -> str:
        row = next(r for r in rows(body) if str(r.get("Code")) == wanted)
        return f"division {wanted} ({row.get('Description') or 'no description'}) is open to the user"

    url = base_url(values) + DIVISIONS_PATH.format(division=current) + "?$select=Code,Description"
    await _api(probe, client, DIVISION_STEP, url, token, business=business, describe=describe)


async def connect(editor: SettingsEditor, name: str, values: dict, client: httpx.AsyncClient,
                  on_step: StepListener | None = None, *, cache: TokenCache = SHARED) -> TestResult:
    """A token from the saved refresh token (its successor saved), the current user, then the division."""
    result = TestResult("accounting", f"{name} (Exact Online)")
    refresh_token = str(values.get("refresh_token") or "")
    secrets = [str(values.get("client_secret") or ""), refresh_token]
    probe = Probe(result, secrets, on_step=on_step)
    if not refresh_token:
        probe.failed(TOKEN_STEP, "No refresh token yet: authorise akadmin first (open the authorisation address, "
                                 "sign in to Exact Online, paste the code it gives).")
        return result
    for attempt in (1, 2):
        token = cache.get(_key(values, refresh_token))
        cached = token is not None
        if cached:
            probe.passed(TOKEN_STEP, "reused a cached token, still valid")
        else:
            fresh = await _refresh(probe, editor, name, values, refresh_token, client, cache)
            if fresh is None:
                probe.skipped(ME_STEP, "needs an Exact Online token")
                return result
            token, refresh_token = fresh
        # A new probe, so the tokens met since are masked too.
        probe = Probe(result, [*secrets, refresh_token, str(token)], on_step=on_step)
        reply = await _api(probe, client, ME_STEP, base_url(values) + ME_PATH, str(token), business=_me_business,
                           describe=_describe_me)
        if reply is not None:
            await _division(probe, client, values, _me(reply.body) or {}, str(token))
            return result
        if not (cached and attempt == 1 and result.steps[-1].detail == "HTTP 401"):
            probe.skipped(DIVISION_STEP, "needs the current user")
            return result
        # A cached token was refused (revoked): refresh once, as a delivery would.
        cache.forget(_key(values, refresh_token))
        result.steps[-1].outcome, result.steps[-1].diagnosis = Outcome.SKIPPED, ""
        result.steps[-1].detail = "the cached token was refused; fetching a new one"
    return result


class ExactOnlineConnector(AccountingConnector):
    """Connect, and the sign-in that keeps a refresh token (only the last connection to Exact Online stays valid)."""

    name = "exact_online"
    notes = ("Only the last connection to Exact Online stays valid: reuse this configuration for every Exact Online "
             "integration.",)
    paste_prompt = "Paste the whole address Exact Online sends you to (or just its code=… value):"

    async def connect(self, editor: SettingsEditor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        return await connect(editor, name, dict(values), client, on_step)

    def authorise_url(self, values: Mapping[str, Any], state: str) -> str:
        return authorization_url(dict(values), state)

    def code_from(self, pasted: str, state: str | None) -> str:
        return code_from(pasted, state)

    async def exchange_code(self, values: Mapping[str, Any], code: str, client: httpx.AsyncClient) -> dict[str, Any]:
        return await exchange_code(dict(values), code, client)


CONNECTOR = ExactOnlineConnector()
