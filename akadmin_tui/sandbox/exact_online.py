"""Exact Online's token endpoint and `current/Me`, with refresh tokens that rotate and rate-limit headers (CONNECTORS.md §10)."""

from __future__ import annotations

import re
import secrets
import threading
import time

from .server import Emulator, Request, Response

TOKEN_PATH, ME_PATH = "/api/oauth2/token", "/api/v1/current/Me"
DIVISIONS_ROUTE = r"/api/v1/(\d+)/system/Divisions"
ACCESS_LIFETIME_S = 600
MINUTELY_LIMIT, DAILY_LIMIT = 60, 5000
DEMO_USER = {"UserID": "b1d5a6f2-4c3e-4f8a-9d2b-7e6f5a4b3c2d", "UserName": "boekhouder@acme.example",
             "FullName": "Demo Boekhouder", "Email": "boekhouder@acme.example", "LanguageCode": "nl-NL"}


def _oauth_error(error: str, description: str = "", status: int = 400) -> Response:
    return Response.json({"error": error, **({"error_description": description} if description else {})}, status)


def _odata_error(status: int, message: str, **headers: str) -> Response:
    return Response.json({"error": {"code": "", "message": {"lang": "", "value": message}}}, status, **headers)


def _random(size: int = 24) -> str:
    # Exact's codes and tokens hold "!" and "*", which a pasted address carries URL-encoded.
    return secrets.token_urlsafe(size) + "!IAAAA*" + secrets.token_hex(4)


class ExactOnlineEmulator(Emulator):
    """One app, one user with divisions; only the last refresh token issued is valid, as at Exact."""

    name = "exact-online"

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str = "https://localhost/akadmin",
                 current_division: int = 3401789, divisions: dict[int, str] | None = None) -> None:
        super().__init__()
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.user = {**DEMO_USER, "CurrentDivision": current_division}
        self.divisions = divisions or {current_division: "ACME Ingénierie B.V.", 3401790: "Beta Conseil B.V."}
        self.codes: dict[str, str] = {}  # code -> the redirect URI it was asked with
        self.refresh_token: str | None = None  # the only one still valid
        self.access_tokens: dict[str, float] = {}  # token -> expiry
        self.issued: list[str] = []  # every token handed out, for tests that look for leaks
        self.unauthorized = False  # every API call is refused 401, whatever the token
        self.forbidden = False  # the user lacks the rights for the API calls (403)
        self.minutely_remaining, self.daily_remaining = MINUTELY_LIMIT, DAILY_LIMIT
        self._minute_ends = time.time() + 60
        self._lock = threading.RLock()
        self.route("POST", TOKEN_PATH, self.token)
        self.route("GET", ME_PATH, self.me)
        self.route("GET", DIVISIONS_ROUTE, self.list_divisions)

    # --- control ---------------------------------------------------------------------------------

    def issue_code(self, redirect_uri: str | None = None) -> str:
        """The code Exact's sign-in page would put in the redirect address (single use)."""
        code = _random()
        with self._lock:
            self.codes[code] = redirect_uri or self.redirect_uri
        return code

    def grant(self) -> str:
        """A refresh token as if the admin had just authorised akadmin (for the demo, which has no sign-in page)."""
        return self._issue()["refresh_token"]

    def revoke_access_tokens(self) -> None:
        """Void every access token, as a revoked consent does."""
        with self._lock:
            self.access_tokens.clear()

    def use_up(self, minutely: bool = True) -> None:
        """Use up the calls left this minute (or today): the next API calls are answered 429."""
        with self._lock:
            if minutely:
                self.minutely_remaining, self._minute_ends = 0, time.time() + 60
            else:
                self.daily_remaining = 0

    # --- routes ----------------------------------------------------------------------------------

    def _issue(self) -> dict[str, str]:
        access, refresh = _random(32), _random(32)
        with self._lock:
            self.access_tokens[access] = time.time() + ACCESS_LIFETIME_S
            self.refresh_token = refresh  # every earlier refresh token stops working
            self.issued += [access, refresh]
        # Exact sends expires_in as a string.
        return {"access_token": access, "token_type": "bearer", "expires_in": str(ACCESS_LIFETIME_S),
                "refresh_token": refresh}

    def token(self, request: Request) -> Response:
        form = request.form()
        if self.wrong_credentials or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _oauth_error("invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = form.get("code", "")
            with self._lock:
                asked_with = self.codes.pop(code, None)
            known = asked_with is not None and form.get("redirect_uri") == asked_with == self.redirect_uri
            return Response.json(self._issue()) if known else _oauth_error("invalid_grant")
        if grant == "refresh_token":
            with self._lock:  # two refreshes with one token: only the first is served, as at Exact
                if not form.get("refresh_token") or form.get("refresh_token") != self.refresh_token:
                    return _oauth_error("invalid_grant")
                return Response.json(self._issue())
        return _oauth_error("unsupported_grant_type")

    def _limits(self) -> dict[str, str]:
        now = time.time()
        if now >= self._minute_ends:
            self.minutely_remaining, self._minute_ends = MINUTELY_LIMIT, now + 60
        midnight = (int(now // 86400) + 1) * 86400
        return {"X-RateLimit-Limit": str(DAILY_LIMIT), "X-RateLimit-Remaining": str(self.daily_remaining),
                "X-RateLimit-Reset": str(midnight * 1000),
                "X-RateLimit-Minutely-Limit": str(MINUTELY_LIMIT),
                "X-RateLimit-Minutely-Remaining": str(self.minutely_remaining),
                "X-RateLimit-Minutely-Reset": str(int(self._minute_ends * 1000))}

    def _gate(self, request: Request) -> Response | dict[str, str]:
        """The refusal of an API call, or the rate-limit headers of its answer."""
        auth = request.header("authorization")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self._lock:
            valid = self.access_tokens.get(token, 0) > time.time() and not (self.wrong_credentials or self.unauthorized)
            if not valid:
                return Response(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            headers = self._limits()
            if self.minutely_remaining <= 0 or self.daily_remaining <= 0:
                return _odata_error(429, "Too many requests", **headers)
            self.minutely_remaining -= 1
            self.daily_remaining -= 1
            headers = self._limits()
        if self.forbidden:
            return _odata_error(403, "Forbidden", **headers)
        return headers

    def me(self, request: Request) -> Response:
        gate = self._gate(request)
        if isinstance(gate, Response):
            return gate
        uri = f"{self.url}{ME_PATH}(guid'{self.user['UserID']}')"
        return Response.json({"d": {"results": [{"__metadata": {"uri": uri, "type": "Exact.Web.Api.System.Me"},
                                                 **self.user}]}}, **gate)

    def list_divisions(self, request: Request) -> Response:
        gate = self._gate(request)
        if isinstance(gate, Response):
            return gate
        match = re.fullmatch(DIVISIONS_ROUTE, request.path)
        if match is None or int(match.group(1)) not in self.divisions:
            return _odata_error(401, "Division not accessible")
        rows = [{"Code": code, "Description": description} for code, description in self.divisions.items()]
        return Response.json({"d": {"results": rows}}, **gate)
