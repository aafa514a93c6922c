"""Inqom's identity server and accounting documents API, as the product documentation describes them."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time

from .server import Emulator, Request, Response

TOKEN_PATH = "/identity/connect/token"
FOLDER_PATH = "/api/accounting-documents/accounting-folders/"
DOCUMENTS = re.compile(FOLDER_PATH + r"(?P<folder>[^/]+)/Documents(?:/(?P<document>[^/]+))?/?")
PROBLEM_400 = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
PROBLEM_404 = "https://tools.ietf.org/html/rfc7231#section-6.5.4"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class InqomEmulator(Emulator):
    """Token endpoint (password grant) plus the documents of the accounting folders it is given."""

    name = "inqom"

    def __init__(self, client_id: str, client_secret: str, username: str, password: str,
                 folders: dict[int | str, list[dict]], forbidden_folders: set = frozenset()) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.folders = {str(k): v for k, v in folders.items()}
        self.forbidden_folders = {str(k) for k in forbidden_folders}
        self.token_lifetime_s = 3600
        self.tokens: dict[str, float] = {}
        self.server_error = False  # the documents API answers 500 while the token endpoint works
        self.route("POST", TOKEN_PATH, self.token)
        self.route("GET", DOCUMENTS.pattern, self.documents)

    @property
    def auth_url(self) -> str:
        """The token URL to configure."""
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        """The documents API base URL to configure."""
        return self.url

    def expire_tokens(self) -> None:
        """Make every issued token expired, as after an hour."""
        self.tokens = {token: 0.0 for token in self.tokens}

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "password":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        if self.wrong_credentials or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json({"error": "invalid_client"}, 400)
        if "apidata" not in form.get("scope", "").split():
            return Response.json({"error": "invalid_scope"}, 400)
        if form.get("username") != self.username or form.get("password") != self.password or not self.password:
            return Response.json({"error": "invalid_grant", "error_description": "invalid_username_or_password"}, 400)
        now = int(time.time())
        claims = {"iss": "https://auth.inqom.com/identity", "sub": self.username, "client_id": self.client_id,
                  "scope": ["openid", "apidata"], "iat": now, "exp": now + self.token_lifetime_s}
        token = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        self.tokens[token] = time.time() + self.token_lifetime_s
        return Response.json({"access_token": token, "expires_in": self.token_lifetime_s,
                              "token_type": "Bearer", "scope": "openid apidata"})

    def documents(self, request: Request) -> Response:
        auth = request.header("authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token or self.tokens.get(token, 0) < time.time():
            return Response(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                           'error_description="The token is expired or unknown"'})
        match = DOCUMENTS.fullmatch(request.path)
        folder, document = match["folder"], match["document"]
        values = {"accountingFolderId": folder, "id": document or "0",
                  "pageNumber": request.query.get("pageNumber", ["1"])[0], "pageSize": request.query.get("pageSize", ["50"])[0]}
        invalid = {k: [f"The value '{v}' is not valid."] for k, v in values.items() if not v.isdigit()}
        if invalid:
            return Response.json({"type": PROBLEM_400, "title": "One or more validation errors occurred.",
                                  "status": 400, "errors": invalid}, 400)
        if self.server_error:
            return Response(500, b"An unexpected fault happened. Try again later.", {"Content-Type": "text/plain"})
        if folder in self.forbidden_folders:
            return Response(403, b"")
        items = self.folders.get(folder)
        if items is None:
            return Response.json({"type": PROBLEM_404, "title": "Not Found", "status": 404}, 404)
        if document is not None:
            found = next((d for d in items if str(d.get("Id")) == document), None)
            return Response.json(found) if found else Response.json({"type": PROBLEM_404, "title": "Not Found",
                                                                     "status": 404}, 404)
        page, size = max(1, int(values["pageNumber"])), max(1, int(values["pageSize"]))
        return Response.json(items[(page - 1) * size: page * size])
