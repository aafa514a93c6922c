"""Statement retrieval: pull the new Bridge transactions of the connected accounts, then generate their statements."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from ..connectors.bridge import DEFAULT_VERSION, BridgeAccount
from ..connectors.diagnose import retry_after_s
from ..settings import schema
from .runtime import BatchFailure, RunContext

PAGE_LIMIT = 500  # Bridge's largest page
MAX_PAGES = 2000  # a listing that never ends is a fault, not a workload
MAX_RETRIES = 3  # after a 429
MAX_WAIT_S = 60  # never wait longer than this on one Retry-After
DEFAULT_WAIT_S = 5  # when a 429 gives no usable Retry-After
SINCE_MARGIN = dt.timedelta(hours=1)  # clocks differ; ids already stored are skipped anyway

sleep = asyncio.sleep  # the waits after a 429 (tests replace it)


class _BridgeError(Exception):
    """One Bridge call failed; the text says how."""

    def __init__(self, text: str, status: int = 0, code: str = "") -> None:
        super().__init__(text)
        self.status, self.code = status, code


class _Refused(_BridgeError):
    """Bridge refused the credentials or this server: no other call can succeed."""


def external_user_id(email: str) -> str:
    """The v3 external_user_id of the Bridge user: its e-mail, lower-case, other characters than [a-z0-9_-] as '-'."""
    return re.sub(r"[^a-z0-9_-]", "-", email.strip().lower())[:128]


def _said(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("code") or ""), ": ".join(str(body[k]) for k in ("code", "property", "message") if body.get(k))


def _retry_after(response: httpx.Response) -> int:
    return math.ceil(retry_after_s(response, DEFAULT_WAIT_S, MAX_WAIT_S))


class _Bridge:
    """Calls with the application's headers (and the user's token), waiting out 429s, JSON read exactly."""

    def __init__(self, ctx: RunContext, account: BridgeAccount) -> None:
        self.ctx, self.account = ctx, account

    async def call(self, method: str, url: str, what: str, *, token: str = "", body: dict | None = None) -> Any:
        headers = self.account.headers() | ({"Authorization": f"Bearer {token}"} if token else {})
        for attempt in range(1, MAX_RETRIES + 2):
            try:
                response = await self.ctx.client.request(method, url, headers=headers, json=body)
            except httpx.HTTPError as error:
                raise _BridgeError(f"Bridge could not be reached while {what} ({type(error).__name__})") from None
            if response.status_code != 429 or attempt > MAX_RETRIES:
                break
            wait = _retry_after(response)
            self.ctx.warn(f"Bridge's rate limit is reached (429) while {what}; waiting {wait} s before retry "
                          f"{attempt} of {MAX_RETRIES}.")
            await sleep(wait)
            self.ctx.check_cancelled()
        return self._read(response, what)

    def _read(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        code, said = _said(response)
        said_part = f" (Bridge says {said})" if said else ""
        if status in (200, 201):
            try:  # amounts as Decimal: a statement total must not drift by float rounding
                return json.loads(response.content, parse_float=Decimal)
            except ValueError:
                raise _BridgeError(f"Bridge did not answer JSON while {what}") from None
        if status == 401 and code == "invalid_client_credentials":
            raise _Refused("Bridge refused the application's credentials (401): check Bridge client ID and Bridge "
                           "client secret in Third-party interfaces > Akuiteo Connect (sandbox and production "
                           "applications differ).", status, code)
        if status == 401:
            raise _Refused(f"Bridge refused the user's access token (401) while {what}{said_part}.", status, code)
        if status == 403:
            raise _Refused(f"Bridge refused the call (403) while {what}: production applications only accept the "
                           f"IP addresses on their allow-list{said_part}.", status, code)
        if status == 429:
            raise _BridgeError(f"Bridge's rate limit was still reached after {MAX_RETRIES} retries while {what}",
                               status, code)
        raise _BridgeError(f"Bridge answered HTTP {status} while {what}{said_part}", status, code)

    def follow(self, next_uri: str) -> str:
        """The URL of a next_uri, refused when it leaves the configured host (the secret goes with every call)."""
        base = urlsplit(self.account.url)
        target = urljoin(self.account.url.rstrip("/") + "/", next_uri)
        if urlsplit(target)[:2] != base[:2]:
            raise _BridgeError(f"Bridge's next_uri leads to another host ({urlsplit(target).netloc})")
        return target

    async def pages(self, url: str, what: str, token: str) -> AsyncIterator[list[dict]]:
        """Each page's resources, following pagination.next_uri until there is none."""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = await self.call("GET", url, what, token=token)
            resources = body.get("resources") if isinstance(body, dict) else None
            if not isinstance(resources, list):
                raise _BridgeError(f"Bridge answered without a 'resources' list while {what}")
            yield [r for r in resources if isinstance(r, dict)]
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            next_uri = pagination.get("next_uri")
            if not next_uri:
                return
            if next_uri in seen:
                raise _BridgeError(f"Bridge gave the same next_uri twice while {what}")
            seen.add(next_uri)
            url = self.follow(str(next_uri))
        raise _BridgeError(f"more than {MAX_PAGES} pages while {what}")


def _plain(name: Any) -> str:
    text = unicodedata.normalize("NFKD", str(name or ""))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _bank_companies(ctx: RunContext) -> dict[str, set[str]]:
    """Companies by bank name (accents and case ignored), from Akuiteo Connect > Banks."""
    found: dict[str, set[str]] = {}
    for key in ctx.editor.record_keys(schema.BANKS):
        values = ctx.editor.values(schema.BANKS, key)
        found.setdefault(_plain(values.get("name")), set()).add(str(values.get("company") or ""))
    return found


class _Accounts:
    """Account bookkeeping: the company behind each account, its upsert, its transactions and statement."""

    def __init__(self, ctx: RunContext, bridge: _Bridge, token: str) -> None:
        self.ctx, self.bridge, self.token = ctx, bridge, token
        self.banks = _bank_companies(ctx)
        self.providers: dict[Any, str] = {}

    async def company(self, account: dict, label: str) -> str:
        provider_id = account.get("provider_id")
        if provider_id is None:
            self.providers[None] = ""
        if provider_id not in self.providers:
            try:
                body = await self.bridge.call("GET", self.bridge.account.api(f"v3/providers/{provider_id}"),
                                              f"reading bank {provider_id}")
                self.providers[provider_id] = str(body.get("name") or "") if isinstance(body, dict) else ""
            except _Refused:
                raise
            except _BridgeError as error:
                self.ctx.warn(f"{label}: its bank could not be read ({error}).")
                self.providers[provider_id] = ""
        bank = self.providers[provider_id]
        companies = self.banks.get(_plain(bank), set())
        if len(companies) == 1:
            return next(iter(companies))
        why = "several banks of Akuiteo Connect > Banks, with different companies" if companies else \
            "no bank of Akuiteo Connect > Banks"
        self.ctx.warn(f"{label} is at {bank or 'an unknown bank'}, which matches {why}: its statements carry no "
                      "company until a bank of that name is linked to one company.")
        return ""

    def upsert(self, account: dict, company: str) -> None:
        self.ctx.state.execute(
            "INSERT INTO bank_accounts (id, name, iban, company, currency) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, iban = excluded.iban, company = excluded.company, "
            "currency = excluded.currency",
            (str(account["id"]), str(account.get("name") or ""), str(account.get("iban") or ""), company,
             str(account.get("currency_code") or "EUR")))

    async def pull(self, account_id: str, currency: str, label: str) -> int:
        """Store the account's new booked transactions (statement_id NULL); returns how many were new."""
        started = self.ctx.now()
        last = self.ctx.state.query("SELECT last_sync_at FROM bank_accounts WHERE id = ?", (account_id,))
        params: dict[str, Any] = {"account_id": account_id, "limit": PAGE_LIMIT}
        if last and last[0]["last_sync_at"]:
            # `since` filters on updated_at, when Bridge last created or changed a transaction: unlike a date
            # bound (min_date), it still brings transactions a bank books late or a reconnection brings back.
            # CONNECTORS.md marks the v3 date filters unconfirmed; v3 clients send `since`.
            since = dt.datetime.fromisoformat(last[0]["last_sync_at"]) - SINCE_MARGIN
            params["since"] = since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = self.bridge.account.api("v3/aggregation/transactions") + "?" + urlencode(params)
        new = 0
        async for page in self.bridge.pages(url, f"retrieving the transactions of {label}", self.token):
            self.ctx.check_cancelled()
            new += self._store(account_id, currency, page, label)
        self.ctx.state.execute("UPDATE bank_accounts SET last_sync_at = ? WHERE id = ?",
                               (started.isoformat(timespec="seconds"), account_id))
        return new

    def _store(self, account_id: str, currency: str, page: list[dict], label: str) -> int:
        rows = []
        fetched = self.ctx.now().isoformat(timespec="seconds")
        for item in page:
            if item.get("id") is None or item.get("future") or item.get("deleted") \
                    or str(item.get("account_id")) != account_id:
                continue  # not booked yet, removed by the bank, or not this account's
            try:
                amount = format(Decimal(str(item["amount"])), "f")
                day = dt.date.fromisoformat(str(item.get("date") or item.get("booking_date")))
            except (KeyError, InvalidOperation, ValueError):
                self.ctx.warn(f"{label}: transaction {item.get('id')} has no readable amount or date; skipped.")
                continue
            rows.append((str(item["id"]), account_id, day.isoformat(), amount,
                         str(item.get("currency_code") or currency),
                         str(item.get("clean_description") or item.get("provider_description") or ""), fetched))
        with self.ctx.state.transaction() as db:
            return sum(db.execute(
                "INSERT INTO bank_transactions (id, account_id, date, amount, currency, label, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING", row).rowcount for row in rows)

    def statement(self, account_id: str, company: str) -> tuple[int, str, str, int, Decimal] | None:
        """One statement of the account's pending transactions, linked to them; None when none is pending."""
        with self.ctx.state.transaction() as db:
            rows = db.execute("SELECT id, date, amount FROM bank_transactions WHERE account_id = ? AND "
                              "statement_id IS NULL", (account_id,)).fetchall()
            if not rows:
                return None
            total = sum((Decimal(amount) for _, _, amount in rows), Decimal(0))
            start, end = min(r[1] for r in rows), max(r[1] for r in rows)
            cursor = db.execute(
                "INSERT INTO statements (account_id, company, period_start, period_end, transactions, total, "
                "generated_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (account_id, company, start, end, len(rows), format(total, "f"),
                 self.ctx.now().isoformat(timespec="seconds"), self.ctx.run_id))
            statement_id = int(cursor.lastrowid)
            db.executemany("UPDATE bank_transactions SET statement_id = ? WHERE id = ?",
                           [(statement_id, r[0]) for r in rows])
        return statement_id, start, end, len(rows), total


def _settings(ctx: RunContext) -> tuple[BridgeAccount, dict]:
    connect = ctx.editor.values(schema.AKUITEO_CONNECT)
    where = "Third-party interfaces > Akuiteo Connect"
    if connect.get("active") is not True:
        raise BatchFailure(f"Akuiteo Connect is not active: check Activate Akuiteo Connect in {where}")
    if not connect.get("bridge_client_id") or not connect.get("bridge_client_secret"):
        raise BatchFailure(f"Bridge client ID and Bridge client secret must be filled in ({where})")
    if not ctx.editor.exists(schema.BRIDGE_USER):
        raise BatchFailure(f"no Bridge user exists: add the user of the Bridge account in {where} > Bridge user")
    user = ctx.editor.values(schema.BRIDGE_USER)
    if not str(user.get("email") or "").strip():
        raise BatchFailure(f"the Bridge user has no e-mail ({where} > Bridge user)")
    account = BridgeAccount(str(connect.get("bridge_url") or "https://api.bridgeapi.io"),
                            str(connect.get("bridge_version") or DEFAULT_VERSION),
                            str(connect["bridge_client_id"]), str(connect["bridge_client_secret"]))
    return account, user


async def _user_token(bridge: _Bridge, user: dict) -> str:
    external = external_user_id(str(user["email"]))
    try:
        body = await bridge.call("POST", bridge.account.api("v3/aggregation/authorization/token"),
                                 "getting the Bridge user's token", body={"external_user_id": external})
    except _BridgeError as error:
        if error.status == 404:
            raise BatchFailure(f"Bridge knows no user {external!r} (the external_user_id made from the Bridge "
                               f"user's e-mail {user['email']}): check Email in Bridge user, or ask Akuiteo to "
                               "create the user in Bridge") from None
        raise BatchFailure(str(error)) from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise BatchFailure("Bridge answered the token request without an access_token")
    return str(token)


async def run(ctx: RunContext) -> None:
    """Retrieve each account's new transactions, then generate one statement per account with pending ones."""
    account, user = _settings(ctx)
    bridge = _Bridge(ctx, account)
    for name in ("accounts", "new_transactions", "statements", "failed"):
        ctx.count(name, 0)
    token = await _user_token(bridge, user)
    try:
        accounts = [a async for page in bridge.pages(account.api(f"v3/aggregation/accounts?limit={PAGE_LIMIT}"),
                                                     "listing the accounts", token) for a in page if a.get("id")]
    except _BridgeError as error:
        raise BatchFailure(str(error)) from None
    ctx.info(f"Bridge user {user.get('name') or user['email']}: {len(accounts)} connected account(s).")
    books = _Accounts(ctx, bridge, token)
    ctx.progress(0, len(accounts))
    for done, item in enumerate(accounts, start=1):
        ctx.check_cancelled()
        account_id = str(item["id"])
        label = f"Account {item.get('name') or account_id} ({account_id})"
        try:
            company = await books.company(item, label)
            books.upsert(item, company)
            new = await books.pull(account_id, str(item.get("currency_code") or "EUR"), label)
        except _Refused as refused:
            raise BatchFailure(str(refused)) from None
        except _BridgeError as error:
            ctx.error(f"{label}: {error}; what was stored stays pending until the next run.")
            ctx.count("failed")
            ctx.progress(done, len(accounts))
            continue
        ctx.count("accounts")
        ctx.count("new_transactions", new)
        made = books.statement(account_id, company)
        if made is None:
            ctx.info(f"{label}: no new transaction, no statement.")
        else:
            statement_id, start, end, count, total = made
            ctx.count("statements")
            ctx.info(f"{label}: {new} new transaction(s); statement {statement_id} from {start} to {end}, "
                     f"{count} transaction(s), total {format(total, 'f')} {item.get('currency_code') or 'EUR'}"
                     + (f", company {company}." if company else ", no company."))
        ctx.progress(done, len(accounts))
