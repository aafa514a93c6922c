"""Statement retrieval: pull the new Bridge transactions of the connected accounts, then generate their statements."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from ..connectors.bridge import DEFAULT_VERSION, BridgeAccount
from ..connectors.bridge_api import (
    BridgeError,
    BridgeRefused,
    BridgeSession,
    external_user_id,
)
from ..settings import schema
from .queries import statements as queries
from .runtime import BatchFailure, RunContext

SINCE_MARGIN = dt.timedelta(hours=1)  # clocks differ; ids already stored are skipped anyway



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

    def __init__(self, ctx: RunContext, bridge: BridgeSession) -> None:
        self.ctx, self.bridge = ctx, bridge
        self.banks = _bank_companies(ctx)
        self.providers: dict[Any, str] = {}

    async def company(self, account: dict, label: str) -> str:
        provider_id = account.get("provider_id")
        if provider_id is None:
            self.providers[None] = ""
        if provider_id not in self.providers:
            try:
                self.providers[provider_id] = await self.bridge.provider_name(provider_id)
            except BridgeRefused:
                raise
            except BridgeError as error:
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
        queries.upsert_account(self.ctx.state, account_id=str(account["id"]), name=str(account.get("name") or ""),
                               iban=str(account.get("iban") or ""), company=company,
                               currency=str(account.get("currency_code") or "EUR"))

    async def pull(self, account_id: str, currency: str, label: str) -> int:
        """Store the account's new booked transactions (statement_id NULL); returns how many were new."""
        started = self.ctx.now()
        last = queries.last_sync_at(self.ctx.state, account_id=account_id)
        since = dt.datetime.fromisoformat(last) - SINCE_MARGIN if last else None
        new = 0
        async for page in self.bridge.transaction_pages(account_id, label, since):
            self.ctx.check_cancelled()
            new += self._store(account_id, currency, page, label)
        queries.set_last_sync_at(self.ctx.state, account_id=account_id,
                                 synced_at=started.isoformat(timespec="seconds"))
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
            rows.append(queries.BankTransaction(
                str(item["id"]), account_id, day.isoformat(), amount, str(item.get("currency_code") or currency),
                str(item.get("clean_description") or item.get("provider_description") or ""), fetched))
        return queries.add_transactions(self.ctx.state, transactions=rows)

    def statement(self, account_id: str, company: str) -> queries.Statement | None:
        """One statement of the account's pending transactions, linked to them; None when none is pending."""
        return queries.make_statement(self.ctx.state, account_id=account_id, company=company,
                                      generated_at=self.ctx.now().isoformat(timespec="seconds"),
                                      run_id=self.ctx.run_id)


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


async def _authorize(bridge: BridgeSession, user: dict) -> None:
    external = external_user_id(str(user["email"]))
    try:
        await bridge.authorize(external)
    except BridgeError as error:
        if error.status == 404:
            raise BatchFailure(f"Bridge knows no user {external!r} (the external_user_id made from the Bridge "
                               f"user's e-mail {user['email']}): check Email in Bridge user, or ask Akuiteo to "
                               "create the user in Bridge") from None
        raise BatchFailure(str(error)) from None


async def run(ctx: RunContext) -> None:
    """Retrieve each account's new transactions, then generate one statement per account with pending ones."""
    account, user = _settings(ctx)
    bridge = BridgeSession(account, ctx.client, warn=ctx.warn, check_cancelled=ctx.check_cancelled)
    for name in ("accounts", "new_transactions", "statements", "failed"):
        ctx.count(name, 0)
    await _authorize(bridge, user)
    try:
        accounts = await bridge.accounts()
    except BridgeError as error:
        raise BatchFailure(str(error)) from None
    ctx.info(f"Bridge user {user.get('name') or user['email']}: {len(accounts)} connected account(s).")
    books = _Accounts(ctx, bridge)
    ctx.progress(0, len(accounts))
    for done, item in enumerate(accounts, start=1):
        ctx.check_cancelled()
        account_id = str(item["id"])
        label = f"Account {item.get('name') or account_id} ({account_id})"
        try:
            company = await books.company(item, label)
            books.upsert(item, company)
            new = await books.pull(account_id, str(item.get("currency_code") or "EUR"), label)
        except BridgeRefused as refused:
            raise BatchFailure(str(refused)) from None
        except BridgeError as error:
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
            ctx.count("statements")
            ctx.info(f"{label}: {new} new transaction(s); statement {made.id} from {made.period_start} to "
                     f"{made.period_end}, {made.transactions} transaction(s), total {format(made.total, 'f')} "
                     f"{item.get('currency_code') or 'EUR'}"
                     + (f", company {company}." if company else ", no company."))
        ctx.progress(done, len(accounts))
