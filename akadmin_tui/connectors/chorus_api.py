"""The CHORUS PRO calls batches make, within the rate, the daily quota and the retry rules."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .chorus import ChorusAccount
from .diagnose import diagnose_exception, diagnose_status, json_object, retry_after_s
from .probe import MASK, secret_forms
from .ratelimit import MemoryUsage, RateLimiter, UsageCounter, shared_limiter, utc_day
from .tokens import SHARED, TokenCache, cache_key

DAILY_QUOTAS = {"qualification": 50_000, "production": 1_000_000}
# Deposits stop this share of the quota early, so status checks and Tests still fit in the day.
DEPOSIT_RESERVE = 0.02
MAX_RETRY_AFTER_S = 300.0
SEARCH_PAGE_SIZE = 100
SEARCH_SORT = "NumeroFacture"

DEPOSIT = "factures/v1/deposer/flux"
FLOW_REPORT = "transverses/v1/consulterCRDetaille"
SEARCH = "factures/v1/rechercher/fournisseur"
HISTORY = "factures/v1/consulter/historique"


class ChorusError(Exception):
    """A CHORUS PRO call failed for good (after the retries); the text says why in plain words."""

    def __init__(self, message: str, *, status: int | None = None, code: Any = None, retryable: bool = False,
                 maybe_received: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        # True when CHORUS PRO may have acted on the request although no answer came back.
        self.maybe_received = maybe_received


class QuotaReached(ChorusError):
    """The day's quota of calls is used up (or nearly, for deposits)."""


@dataclass(frozen=True)
class CallRules:
    """How calls are paced and retried, from [interfaces.chorus]."""

    max_calls_per_second: int = 20
    retry_count: int = 3
    retry_delay_s: float = 10.0
    daily_quota: int = DAILY_QUOTAS["production"]

    @classmethod
    def from_settings(cls, values: dict) -> CallRules:
        """The rules of the CHORUS PRO settings (environment decides the daily quota)."""
        return cls(int(values.get("max_calls_per_second") or 20), int(values.get("retry_count") or 0),
                   float(values.get("retry_delay_s") or 10),
                   DAILY_QUOTAS.get(str(values.get("environment")), DAILY_QUOTAS["production"]))


Log = Callable[[str, str], None]  # (level, text)


def account_key(account: ChorusAccount) -> str:
    """The name limits are kept under: one PISTE application (never its secret)."""
    return f"{account.auth_url}|{account.client_id}"


class ChorusSession:
    """Calls for one PISTE account: token reuse, shared pacing, daily quota, retries, Retry-After."""

    def __init__(self, account: ChorusAccount, client: httpx.AsyncClient, rules: CallRules, *,
                 usage: UsageCounter | None = None, tokens: TokenCache = SHARED, limiter: RateLimiter | None = None,
                 log: Log | None = None, sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.account = account
        self.client = client
        self.rules = rules
        self.key = account_key(account)
        self.usage = usage or MemoryUsage()
        self.tokens = tokens
        self.limiter = limiter or shared_limiter(self.key, rules.max_calls_per_second)
        self._log = log or (lambda level, text: None)
        self._sleep = sleep
        self._secrets = sorted({f for s in account.secrets() if len(s) >= 3 for f in secret_forms(s)}, key=len, reverse=True)
        self.calls = 0
        self.throttled = 0  # 429 answers received

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    # --- budget -----------------------------------------------------------------------------------

    def quota_left(self) -> int:
        """Calls left today for this account."""
        return self.rules.daily_quota - self.usage.used(self.key, utc_day())

    def _spend(self, purpose: str) -> None:
        used = self.usage.used(self.key, utc_day())
        quota = self.rules.daily_quota
        if purpose == "deposit" and used >= quota * (1 - DEPOSIT_RESERVE):
            raise QuotaReached(f"Deposits are stopped for today: {used} of the {quota} daily CHORUS PRO calls of "
                               f"{self.account.client_id} are used, and the last {DEPOSIT_RESERVE:.0%} are kept for "
                               "status checks. The remaining invoices go out tomorrow.")
        if used >= quota:
            raise QuotaReached(f"The daily quota of {quota} CHORUS PRO calls of {self.account.client_id} is used "
                               "up; calls resume tomorrow (UTC).")
        self.usage.add(self.key, utc_day())
        self.calls += 1

    # --- token ------------------------------------------------------------------------------------

    def _token_key(self) -> tuple[str, ...]:
        return cache_key(self.account.auth_url, self.account.client_id, self.account.client_secret)

    async def _token(self) -> str:
        cached = self.tokens.get(self._token_key())
        if cached:
            return cached
        form = {"grant_type": "client_credentials", "client_id": self.account.client_id,
                "client_secret": self.account.client_secret, "scope": "openid"}
        try:
            response = await self.client.post(self.account.auth_url, data=form)
        except httpx.HTTPError as error:
            raise ChorusError("PISTE token: " + await diagnose_exception(error, self.account.auth_url, 30.0),
                              retryable=True) from None
        body = json_object(response)
        if response.status_code in (400, 401):
            said = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
            raise ChorusError(f"PISTE refused the application's credentials ({response.status_code}"
                              f"{', ' + said if said else ''}): check the Piste Client ID and Piste Secret of the "
                              "setup.", status=response.status_code)
        if response.status_code != 200 or not body.get("access_token"):
            raise ChorusError("PISTE token: " + self._redact(diagnose_status(response)), status=response.status_code,
                              retryable=response.status_code == 429 or response.status_code >= 500)
        self.tokens.put(self._token_key(), body["access_token"], body.get("expires_in"))
        return str(body["access_token"])

    # --- one call ---------------------------------------------------------------------------------

    async def call(self, path: str, body: dict, *, purpose: str = "read") -> dict:
        """POST `body` to an API path and return the answer; retries per the rules, raises ChorusError."""
        url = self.account.api(path)
        payload = json.dumps(body).encode()
        attempts = self.rules.retry_count + 1
        refreshed = False
        attempt = 0
        last = "no answer"
        while attempt < attempts:
            attempt += 1
            self._spend(purpose)
            await self.limiter.acquire()
            try:
                token = await self._token()
                response = await self.client.post(url, content=payload, headers={
                    "Authorization": f"Bearer {token}", "cpro-account": self.account.cpro_account(),
                    "Content-Type": "application/json;charset=utf-8", "Accept": "application/json"})
            except ChorusError as error:
                if not error.retryable:
                    raise
                last = str(error)
                await self._pause(attempt, attempts, last, self.rules.retry_delay_s)
                continue
            except httpx.HTTPError as error:
                last = await diagnose_exception(error, url, 30.0)
                if purpose == "deposit" and not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
                    # The flow may have been recorded: sending it again could deposit the invoice twice.
                    raise ChorusError(f"{path}: {last}", retryable=True, maybe_received=True) from None
                await self._pause(attempt, attempts, last, self.rules.retry_delay_s)
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                # An expired or revoked token: fetch a new one once, without spending a retry.
                refreshed = True
                attempt -= 1
                self.tokens.forget(self._token_key())
                self._log("DEBUG", f"{path}: the token was refused (401); fetching a new one")
                continue
            if purpose == "deposit" and status >= 500 and status != 503:
                raise ChorusError(f"{path}: HTTP {status}: " + self._redact(diagnose_status(response)), status=status,
                                  retryable=True, maybe_received=True)
            if status == 429 or status >= 500:
                wait = retry_after_s(response, self.rules.retry_delay_s, MAX_RETRY_AFTER_S)
                if status == 429:
                    self.throttled += 1
                    self.limiter.slow_down(wait)
                last = f"HTTP {status}: " + self._redact(diagnose_status(response))
                await self._pause(attempt, attempts, last, wait)
                continue
            if status != 200:
                raise ChorusError(f"{path}: " + self._redact(diagnose_status(response)), status=status)
            try:
                answer = response.json()
            except ValueError:
                raise ChorusError(f"{path}: CHORUS PRO answered with something that is not JSON.", status=status) from None
            if not isinstance(answer, dict):
                raise ChorusError(f"{path}: CHORUS PRO answered with something that is not an object.", status=status)
            if answer.get("codeRetour") not in (0, "0", None):
                raise ChorusError(f"CHORUS PRO refused {path}: codeRetour {answer.get('codeRetour')}, "
                                  f"{self._redact(str(answer.get('libelle', 'no label')))}", code=answer.get("codeRetour"))
            return answer
        raise ChorusError(f"{path} failed {attempts} time(s); last: {last}", retryable=True)

    async def _pause(self, attempt: int, attempts: int, reason: str, wait: float) -> None:
        if attempt >= attempts:
            return
        self._log("WARN", f"{reason} — attempt {attempt} of {attempts}, next in {wait:.0f} s")
        await self._sleep(wait)

    # --- the operations -----------------------------------------------------------------------------

    async def deposit(self, file_name: str, content: bytes, syntax: str) -> dict:
        """deposer/flux: one invoice file as a flow; returns the answer with numeroFluxDepot."""
        return await self.call(DEPOSIT, {"fichierFlux": base64.b64encode(content).decode(), "nomFichier": file_name,
                                         "syntaxeFlux": syntax, "avecSignature": False}, purpose="deposit")

    async def flow_report(self, flow_number: str) -> dict:
        """consulterCRDetaille: the state of a deposited flow and its errors."""
        return await self.call(FLOW_REPORT, {"numeroFluxDepot": flow_number})

    async def search(self, criteria: dict, *, page_size: int = SEARCH_PAGE_SIZE) -> AsyncIterator[dict]:
        """rechercher/fournisseur, every page: yields the invoices found."""
        page, pages = 1, 1
        while page <= pages:
            # triColonne must be one of the description's sort columns (IdentifiantFactureCPP is not). NumeroFacture
            # is unique per supplier and never changes, so the order is total and a status changing between two
            # pages moves no invoice across them; Statut or a date would (or leave ties in any order).
            answer = await self.call(SEARCH, {**criteria, "rechercheFactureParFournisseur": {
                "nbResultatsParPage": page_size, "pageResultatDemandee": page,
                "triColonne": SEARCH_SORT, "triSens": "Ascendant"}})
            for invoice in answer.get("listeFactures") or []:
                if isinstance(invoice, dict):
                    yield invoice
            returned = answer.get("parametresRetour") or {}
            pages = int(returned.get("pages") or 0)
            page += 1

    async def history(self, chorus_id: str | int) -> dict:
        """consulter/historique: the statuses an invoice went through, with their comments."""
        return await self.call(HISTORY, {"idFacture": int(chorus_id)})
