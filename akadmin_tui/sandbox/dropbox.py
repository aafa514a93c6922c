"""Dropbox's OAuth token endpoint (code and refresh grants) and `users/get_current_account`."""

from __future__ import annotations

import base64
import secrets
import threading
import time

from .server import Emulator, Request, Response

TOKEN_PATH, ACCOUNT_PATH = "/oauth2/token", "/2/users/get_current_account"
ACCESS_LIFETIME_S = 14400
ACCOUNT_SCOPE = "account_info.read"
DEMO_ACCOUNT = {"account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "email": "documents@cabinet-durand.example",
                "email_verified": True, "disabled": False, "country": "BE", "locale": "fr",
                "name": {"given_name": "Cabinet", "surname": "Durand", "familiar_name": "Cabinet",
                         "display_name": "Cabinet Durand", "abbreviated_name": "CD"},
                "account_type": {".tag": "business"}}


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return Response.json({"error": error, "error_description": description}, status)


def _api_error(status: int, tag: str, **extra: str) -> Response:
    return Response.json({"error_summary": f"{tag}/", "error": {".tag": tag, **extra}}, status)


class DropboxEmulator(Emulator):
    """One app (key and secret) and one account; refresh tokens last until the app is disconnected."""

    name = "dropbox"

    def __init__(self, app_key: str, app_secret: str, scopes: set[str] | None = None) -> None:
        super().__init__()
        self.app_key, self.app_secret = app_key, app_secret
        self.scopes = set(scopes or {ACCOUNT_SCOPE, "files.content.write", "files.content.read"})
        self.account = dict(DEMO_ACCOUNT)
        self.codes: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> expiry
        self.issued: list[str] = []  # every token handed out, for tests that look for leaks
        self._lock = threading.Lock()
        self.route("POST", TOKEN_PATH, self.token)
        self.route("POST", ACCOUNT_PATH, self.current_account)

    # --- control ---------------------------------------------------------------------------------

    def issue_code(self) -> str:
        """The code Dropbox's authorisation page shows the account's owner (single use)."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes.add(code)
        return code

    def grant(self) -> str:
        """A refresh token as if the owner had just authorised akadmin (for the demo, which has no sign-in page)."""
        refresh = secrets.token_urlsafe(48)
        with self._lock:
            self.refresh_tokens.add(refresh)
            self.issued.append(refresh)
        return refresh

    def expire_access_tokens(self) -> None:
        """Make every access token expired, as after four hours."""
        with self._lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    def disconnect(self) -> None:
        """The owner removes the app from Settings > Connected apps: every token stops working."""
        with self._lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    # --- routes ----------------------------------------------------------------------------------

    def _client(self, request: Request, form: dict[str, str]) -> tuple[str, str]:
        """The app credentials, from the form or HTTP Basic (Dropbox takes either)."""
        scheme, _, encoded = request.header("authorization").partition(" ")
        if scheme.lower() == "basic":
            try:
                key, _, secret = base64.b64decode(encoded).decode().partition(":")
                return key, secret
            except ValueError:
                return "", ""
        return form.get("client_id", ""), form.get("client_secret", "")

    def token(self, request: Request) -> Response:
        form = request.form()
        if self.wrong_credentials or self._client(request, form) != (self.app_key, self.app_secret):
            return _oauth_error("invalid_client", "Invalid client_id or client_secret", 400)
        access = "sl." + secrets.token_urlsafe(48)
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                if form.get("code") not in self.codes:
                    return _oauth_error("invalid_grant", "code doesn't exist or has expired")
                self.codes.discard(form["code"])
                refresh = secrets.token_urlsafe(48)
                self.refresh_tokens.add(refresh)
                self.access_tokens[access] = time.time() + ACCESS_LIFETIME_S
                self.issued += [access, refresh]
                return Response.json({"access_token": access, "token_type": "bearer", "expires_in": ACCESS_LIFETIME_S,
                                      "refresh_token": refresh, "scope": " ".join(sorted(self.scopes)),
                                      "uid": "12345678", "account_id": self.account["account_id"]})
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return _oauth_error("invalid_grant", "refresh token is invalid or revoked")
                self.access_tokens[access] = time.time() + ACCESS_LIFETIME_S
                self.issued.append(access)
                return Response.json({"access_token": access, "token_type": "bearer", "expires_in": ACCESS_LIFETIME_S})
        return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def current_account(self, request: Request) -> Response:
        auth = request.header("authorization")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self._lock:
            expiry = self.access_tokens.get(token)
        if expiry is None or self.wrong_credentials:
            return _api_error(401, "invalid_access_token")
        if expiry < time.time():
            return _api_error(401, "expired_access_token")
        if ACCOUNT_SCOPE not in self.scopes:
            return _api_error(401, "missing_scope", required_scope=ACCOUNT_SCOPE)
        if request.body not in (b"", b"null"):
            return Response(400, b'Error in call to API function "users/get_current_account": request body: '
                                 b"expected null, got value", {"Content-Type": "text/plain; charset=utf-8"})
        return Response.json(self.account)
