"""PISTE OAuth and CHORUS PRO, as CONNECTORS.md §1 describes them."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field

from .server import Emulator, Request, Response

TOKEN_PATH = "/api/oauth/token"
API_PREFIX = "/cpro/"


@dataclass
class TechnicalAccount:
    """A CHORUS PRO technical account and the supplier structure it sees."""

    password: str
    structure_id: int
    siret: str
    name: str


@dataclass
class PisteState:
    """Applications, technical accounts, issued tokens and the per-second quota."""

    applications: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, TechnicalAccount] = field(default_factory=dict)
    token_lifetime_s: int = 3600
    quota_per_second: int = 20
    tokens: dict[str, float] = field(default_factory=dict)
    business_error: tuple[int, str] | None = None  # answered with HTTP 200, as CHORUS PRO does


class PisteEmulator(Emulator):
    """Token endpoint plus the CHORUS PRO calls the Test makes."""

    name = "piste"

    def __init__(self, state: PisteState | None = None) -> None:
        super().__init__()
        self.state = state or PisteState()
        self._window: list[float] = []
        self._window_lock = threading.Lock()
        self.route("POST", TOKEN_PATH, self.token)
        self.route("POST", API_PREFIX + "transverses/v1/recuperer/structures/actives/fournisseur", self.structures)

    @property
    def auth_url(self) -> str:
        """The token URL to configure."""
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        """The API base URL to configure."""
        return self.url + API_PREFIX

    def expire_tokens(self) -> None:
        """Make every issued token expired, as after an hour."""
        self.state.tokens = {token: 0.0 for token in self.state.tokens}

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type",
                                  "error_description": "grant_type must be client_credentials"}, 400)
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if self.wrong_credentials or self.state.applications.get(client_id) != secret or not secret:
            return Response.json({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        token = secrets.token_urlsafe(24)
        self.state.tokens[token] = time.time() + self.state.token_lifetime_s
        return Response.json({"access_token": token, "token_type": "Bearer",
                              "expires_in": self.state.token_lifetime_s, "scope": "openid"})

    def _over_quota(self) -> bool:
        now = time.monotonic()
        with self._window_lock:
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.state.quota_per_second:
                return True
            self._window.append(now)
            return False

    def _gate(self, request: Request) -> Response | TechnicalAccount:
        """What every CHORUS PRO call checks: quota, bearer token, content type, technical account."""
        if self._over_quota():
            return Response.json({"error": "quota", "message": "Quota exceeded"}, 429, **{"Retry-After": "1"})
        auth = request.header("authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token or self.state.tokens.get(token, 0) < time.time():
            return Response.json({"error": "invalid_token", "error_description": "The access token is invalid or expired"},
                                 401, **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not request.header("content-type").startswith("application/json"):
            return Response.json({"error": "unsupported_media_type"}, 415)
        try:
            login, _, password = base64.b64decode(request.header("cpro-account")).decode().partition(":")
        except ValueError:
            login, password = "", ""
        account = self.state.accounts.get(login)
        if self.wrong_credentials or account is None or account.password != password:
            return Response.json({"codeRetour": 20002, "libelle": "GCU_MSG_01_000 Technical account unknown or wrong password"}, 403)
        return account

    def structures(self, request: Request) -> Response:
        gate = self._gate(request)
        if isinstance(gate, Response):
            return gate
        if self.state.business_error:
            code, label = self.state.business_error
            return Response.json({"codeRetour": code, "libelle": label})
        return Response.json({
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeStructures": [{"idStructureCPP": gate.structure_id, "identifiantStructure": gate.siret,
                                 "designationStructure": gate.name, "typeIdentifiantStructure": "SIRET"}],
        })
