"""Bridge (bridgeapi.io) v3, as CONNECTORS.md §6 describes it."""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
import secrets
import threading
from urllib.parse import urlencode

from .server import Emulator, Request, Response

DEMO_USER_UUID = "5d1f3a9c-2e4b-4f7a-8c6d-9b0e1a2f3c4d"
# The demo Bridge user's external_user_id: finance@acme.example as the statement batch derives it.
DEMO_EXTERNAL_ID = "finance-acme-example"
PROVIDERS = {6: "BNP Paribas", 4: "Crédit Agricole", 153: "Qonto"}
LABELS = ("PRLV SEPA URSSAF", "VIR SEPA CLIENT BETA CONSEIL", "CB AMAZON PAYMENTS", "FRAIS TENUE DE COMPTE",
          "VIR SEPA LOYER BUREAUX", "PRLV SEPA EDF", "REMISE CHEQUES", "VIR SEPA SALAIRES")
TOKEN_LIFETIME = dt.timedelta(hours=2)


def _error(status: int, code: str, message: str, prop: str = "", **headers: str) -> Response:
    return Response.json({"code": code, "property": prop, "message": message}, status, **headers)


def _cursor(offset: int) -> str:
    # Opaque to clients, as Bridge's cursors are: they follow next_uri and never build one.
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        return None
    match = re.fullmatch(r"offset:(\d+)", text)
    return int(match.group(1)) if match else None


class BridgeEmulator(Emulator):
    """Users, the user token, accounts, transactions and providers, checking the app headers and Bridge-Version."""

    name = "bridge"

    def __init__(self, client_id: str, client_secret: str, version: str = "2025-01-15") -> None:
        super().__init__()
        self.client_id, self.client_secret, self.version = client_id, client_secret, version
        self.ip_refused = False  # the production IP allow-list does not hold the caller
        self.users = [{"uuid": "7f9c5a0e-3b1d-4c6e-9a2f-1d5e8b7c4a30", "external_user_id": "akuiteo-acme"},
                      {"uuid": "0b8e2f4a-6c1d-4e9b-8a7f-3c2d1e0f9a8b", "external_user_id": "akuiteo-beta"},
                      {"uuid": DEMO_USER_UUID, "external_user_id": DEMO_EXTERNAL_ID}]
        self.accounts: list[dict] = []  # each with the owning user's uuid under "_user"
        self.transactions: list[dict] = []  # in creation order; listing pages through this order
        self.providers = dict(PROVIDERS)
        self.tokens: dict[str, str] = {}  # access token -> user uuid
        self._spared = 0  # calls still served before the throttle below starts
        self._throttled = 0  # calls answered 429, then service resumes
        self._retry_after_s = 1
        self._next_id = 500_000_000
        self._lock = threading.Lock()
        self.route("GET", "/v3/aggregation/users", self.list_users)
        self.route("POST", "/v3/aggregation/authorization/token", self.token)
        self.route("GET", "/v3/aggregation/accounts", self.list_accounts)
        self.route("GET", "/v3/aggregation/transactions", self.list_transactions)
        self.route("GET", r"/v3/providers/(\d+)", self.provider)
        self._seed()

    def _seed(self) -> None:
        current = self.add_account("Compte courant ACME", iban="FR7630004000031234567890143")
        savings = self.add_account("Compte sur livret ACME", iban="FR7630004000039876543210987")
        self.add_transactions(current, 24)
        self.add_transactions(savings, 3)

    @property
    def api_url(self) -> str:
        """The base URL to configure (paths start with /v3)."""
        return self.url

    # --- control ---------------------------------------------------------------------------------

    def add_account(self, name: str, *, provider: str = "BNP Paribas", iban: str = "", currency: str = "EUR",
                    user_uuid: str = DEMO_USER_UUID) -> int:
        """An account of a user at a bank (a provider, added when unknown); returns its id."""
        with self._lock:
            provider_id = next((pid for pid, known in self.providers.items() if known == provider), None)
            if provider_id is None:
                provider_id = max(self.providers, default=0) + 1
                self.providers[provider_id] = provider
            account_id = 38_712_000 + len(self.accounts) + 1
            self.accounts.append({"id": account_id, "name": name, "balance": 0.0, "currency_code": currency,
                                  "iban": iban, "type": "checking", "provider_id": provider_id,
                                  "item_id": 9_100_000 + provider_id, "data_access": "enabled",
                                  "last_refresh_status": "successful", "_user": user_uuid})
            return account_id

    def add_transactions(self, account_id: int, count: int, *, start: dt.date | None = None,
                         days: int = 30) -> list[int]:
        """`count` booked transactions spread over `days` from `start` (default: the last `days`); returns their ids."""
        with self._lock:
            account = next(a for a in self.accounts if a["id"] == account_id)
            first = start or dt.date.today() - dt.timedelta(days=days - 1)
            rng = random.Random(account_id * 7919 + len(self.transactions))  # reproducible amounts
            # Bridge stamps updated_at when it stores a transaction, whatever its (booking) date.
            updated = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            ids = []
            for index in range(count):
                day = first + dt.timedelta(days=index * days // max(count, 1))
                amount = round(rng.uniform(-2500, 2500), 2) or 0.01
                label = LABELS[rng.randrange(len(LABELS))]
                self._next_id += 1
                self.transactions.append({
                    "id": self._next_id, "clean_description": label.title(), "provider_description": label,
                    "amount": amount, "currency_code": account["currency_code"], "date": day.isoformat(),
                    "booking_date": day.isoformat(), "transaction_date": day.isoformat(),
                    "value_date": day.isoformat(), "updated_at": updated,
                    "category_id": 1, "operation_type": "transfer" if "VIR" in label else "card",
                    "account_id": account_id, "future": False, "deleted": False})
                account["balance"] = round(account["balance"] + amount, 2)
                ids.append(self._next_id)
            return ids

    def rate_limit(self, calls: int, retry_after_s: int = 1, after: int = 0) -> None:
        """Answer `calls` requests 429 with Retry-After, once `after` more have been served (BURST_429 refuses all)."""
        with self._lock:
            self._spared, self._throttled, self._retry_after_s = after, calls, retry_after_s

    # --- routes ----------------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        with self._lock:
            if self._spared > 0:
                self._spared -= 1
            elif self._throttled > 0:
                self._throttled -= 1
                return _error(429, "too_many_requests", "Too many requests",
                              **{"Retry-After": str(self._retry_after_s)})
        return super()._dispatch(request)

    def _gate(self, request: Request) -> Response | None:
        version = request.header("bridge-version")
        if not version:
            return _error(400, "missing_header", "Missing Bridge-Version header", "Bridge-Version")
        if version != self.version:  # v3 routes refuse the v2-era dated versions
            return _error(400, "invalid_version", f"Bridge-Version {version} is not supported", "Bridge-Version")
        if (self.wrong_credentials or request.header("client-id") != self.client_id
                or request.header("client-secret") != self.client_secret):
            return _error(401, "invalid_client_credentials", "Invalid client credentials")
        if self.ip_refused:
            return _error(403, "forbidden", "Your IP address is not allowed to access this resource")
        return None

    def _user(self, request: Request) -> str | Response:
        """The uuid of the user whose Bearer token came with the app headers, or the refusal."""
        refused = self._gate(request)
        if refused:
            return refused
        auth = request.header("authorization")
        uuid = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if uuid is None:
            return _error(401, "invalid_access_token", "Missing, invalid or expired user access token",
                          "Authorization")
        return uuid

    def _page(self, request: Request, path: str, items: list[dict], filters: dict[str, str]) -> Response:
        try:
            limit = int(request.query.get("limit", ["50"])[0])
        except ValueError:
            limit = 0
        if not 1 <= limit <= 500:
            return _error(400, "invalid_parameter", "limit must be between 1 and 500", "limit")
        after = request.query.get("after", [None])[0]
        start = 0 if after is None else _offset(after)
        if start is None:
            return _error(400, "invalid_parameter", "after is not a valid cursor", "after")
        page = items[start:start + limit]
        more = start + limit < len(items)
        next_uri = f"{path}?{urlencode({**filters, 'limit': limit, 'after': _cursor(start + limit)})}" if more else None
        return Response.json({"resources": page, "generated_at": dt.datetime.now(dt.UTC).isoformat(),
                              "pagination": {"next_uri": next_uri}})

    def list_users(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        created = {"created_at": "2025-02-03T10:12:44.000Z"}
        return self._page(request, "/v3/aggregation/users", [{**user, **created} for user in self.users], {})

    def token(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        body = request.json()
        if not isinstance(body, dict) or not (body.get("user_uuid") or body.get("external_user_id")):
            return _error(400, "invalid_parameter", "user_uuid or external_user_id is required", "user_uuid")
        user = next((u for u in self.users if u["uuid"] == body.get("user_uuid")
                     or u["external_user_id"] == body.get("external_user_id")), None)
        if user is None:
            return _error(404, "not_found", "User not found")
        access = secrets.token_hex(24)
        with self._lock:
            self.tokens[access] = user["uuid"]
        expires = (dt.datetime.now(dt.UTC) + TOKEN_LIFETIME).isoformat(timespec="milliseconds")
        return Response.json({"access_token": access, "expires_at": expires.replace("+00:00", "Z"), "user": user})

    def list_accounts(self, request: Request) -> Response:
        uuid = self._user(request)
        if isinstance(uuid, Response):
            return uuid
        with self._lock:
            mine = [{k: v for k, v in a.items() if k != "_user"} for a in self.accounts if a["_user"] == uuid]
        return self._page(request, "/v3/aggregation/accounts", mine, {})

    def list_transactions(self, request: Request) -> Response:
        uuid = self._user(request)
        if isinstance(uuid, Response):
            return uuid
        filters = {k: request.query[k][0] for k in ("account_id", "since", "min_date", "max_date")
                   if k in request.query}
        for key in ("min_date", "max_date"):
            if key in filters and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", filters[key]):
                return _error(400, "invalid_parameter", f"{key} must be a date (YYYY-MM-DD)", key)
        try:
            since = dt.datetime.fromisoformat(filters["since"]) if "since" in filters else None
        except ValueError:
            return _error(400, "invalid_parameter", "since must be an ISO 8601 timestamp", "since")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        with self._lock:
            owned = {a["id"] for a in self.accounts if a["_user"] == uuid}
            items = [t for t in self.transactions if t["account_id"] in owned
                     and ("account_id" not in filters or str(t["account_id"]) == filters["account_id"])
                     and t["date"] >= filters.get("min_date", "") and t["date"] <= filters.get("max_date", "9999")
                     and (since is None or dt.datetime.fromisoformat(t["updated_at"]) >= since)]
        return self._page(request, "/v3/aggregation/transactions", items, filters)

    def provider(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        provider_id = int(request.path.rsplit("/", 1)[1])
        if provider_id not in self.providers:
            return _error(404, "not_found", f"Provider {provider_id} not found")
        return Response.json({"id": provider_id, "name": self.providers[provider_id], "country_code": "FR",
                              "images": {}, "capabilities": ["aggregation"]})
