"""PISTE OAuth and CHORUS PRO, as CONNECTORS.md §1 describes them."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .chorus_contract import MALFORMED, body_problem
from .chorus_invoices import OK, PARIS, SYNTAXES, ChorusLedger, Flow, Invoice, stamp
from .server import Emulator, Request, Response

TOKEN_PATH = "/api/oauth/token"
API_PREFIX = "/cpro/"
MAX_FILE_NAME = 50
MAX_PAGE_SIZE = 500  # the swagger gives no maximum for nbResultatsParPage
DEFAULT_PAGE_SIZE = 10  # what CHORUS PRO uses when nbResultatsParPage is absent (OCA issue #650)


@dataclass
class TechnicalAccount:
    """A CHORUS PRO technical account and the supplier structure it sees."""

    password: str
    structure_id: int
    siret: str
    name: str


@dataclass
class PisteState:
    """Applications, technical accounts, issued tokens, quotas and the CHORUS PRO flows and invoices."""

    applications: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, TechnicalAccount] = field(default_factory=dict)
    token_lifetime_s: int = 3600
    quota_per_second: int = 20
    tokens: dict[str, float] = field(default_factory=dict)
    business_error: tuple[int, str] | None = None  # answered with HTTP 200, as CHORUS PRO does
    daily_quota: int | None = None  # calls per application per UTC day; None: no daily quota
    deposit_answer_delay_s: float = 0.0  # the flow is recorded, then the answer waits this long
    integration_delay_s: float = 0.0  # how long after its deposit a flow can be processed
    max_flow_bytes: int = 120 * 1024 * 1024  # a billing folder's limit (CONNECTORS.md §1)
    token_apps: dict[str, str] = field(default_factory=dict)  # token -> client_id, for the daily quota
    chorus: ChorusLedger = field(default_factory=ChorusLedger)


class Refusal(Exception):
    """A request CHORUS PRO refuses with its envelope (codeRetour, libelle) and HTTP 400, as the swagger lists."""

    def __init__(self, code: int, label: str, status: int = 400, response: Response | None = None) -> None:
        super().__init__(label)
        self.response = response or Response.json({"codeRetour": code, "libelle": label}, status)


# Only 20001/GDP_MSG_11.022 (file too large) is a documented pair; the other codes and labels are plausible inventions.
def _invalid(name: str) -> Refusal:
    return Refusal(20003, f"GCU_MSG_01.003 Paramètre absent ou invalide : {name}")


def _malformed(detail: str) -> Refusal:
    # The description gives the 400's text, not its codeRetour; 400 stands in for it.
    return Refusal(400, f"{MALFORMED} : {detail}")


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _invalid(name)
    return value


def _integer(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _invalid(name)
    return value


def _instant(body: dict[str, Any], name: str) -> datetime | None:
    value = _text(body, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(name) from None
    if moment.tzinfo is None:  # a date-time without offset is read in French time, as CHORUS PRO writes them
        moment = moment.replace(tzinfo=PARIS)
    return moment


def _model_body(request: Request) -> dict[str, Any]:
    """The JSON object body, refused as malformed when its route's published model does not allow it."""
    body = request.json()
    if body is None and not request.body.strip():
        body = {}  # the description marks every body optional
    if not isinstance(body, dict):
        raise _malformed("corps de la requête (objet JSON attendu)")
    found = body_problem(request.path.removeprefix(API_PREFIX).lstrip("/"), body)
    if found:
        raise _malformed(found)
    return body


class PisteEmulator(Emulator):
    """Token endpoint plus the CHORUS PRO calls the Test and the batches make."""

    name = "piste"

    def __init__(self, state: PisteState | None = None) -> None:
        super().__init__()
        self.state = state or PisteState()
        self.calls_by_route: Counter[str] = Counter()
        self._window: list[float] = []
        self._window_lock = threading.Lock()
        self._daily: Counter[tuple[str, str]] = Counter()
        self._serve(TOKEN_PATH, self.token)
        self._serve(API_PREFIX + "transverses/v1/recuperer/structures/actives/fournisseur", self.structures)
        self._serve(API_PREFIX + "factures/v1/deposer/flux", self.deposit)
        self._serve(API_PREFIX + "transverses/v1/consulterCRDetaille", self.report_detailed)
        self._serve(API_PREFIX + "transverses/v1/consulterCR", self.report)
        self._serve(API_PREFIX + "factures/v1/rechercher/fournisseur", self.search)
        self._serve(API_PREFIX + "factures/v1/consulter/historique", self.history)

    def _serve(self, path: str, handler: Callable[[Request], Response]) -> None:
        """Answer POST on `path`, counting the calls per route and turning a Refusal into its answer."""
        route = path.removeprefix(API_PREFIX).lstrip("/")

        def serve(request: Request) -> Response:
            with self._window_lock:
                self.calls_by_route[route] += 1
            try:
                return handler(request)
            except Refusal as refusal:
                return refusal.response

        self.route("POST", path, serve)

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
        self.state.tokens = dict.fromkeys(self.state.tokens, 0.0)

    # Control methods for tests and the demo.

    @property
    def flows(self) -> dict[str, Flow]:
        """Every flow by numeroFluxDepot (a copy of the index; the flows themselves are live)."""
        with self.state.chorus.lock:
            return dict(self.state.chorus.flows)

    @property
    def invoices(self) -> dict[int, Invoice]:
        """Every invoice by identifiantFactureCPP (a copy of the index; the invoices themselves are live)."""
        with self.state.chorus.lock:
            return dict(self.state.chorus.invoices)

    def set_status(self, chorus_id: int, status: str, comment: str = "") -> Invoice:
        """Move an invoice to a status with a comment, as the recipient would; appends to its history."""
        return self.state.chorus.set_status(chorus_id, status, comment)

    def invoice_by_number(self, login: str, number: str) -> Invoice | None:
        """The technical account's invoice with this number, if CHORUS PRO has it."""
        return self.state.chorus.invoice_by_number(login, number)

    def seed_invoices(self, login: str, count: int, status: str = "MISE_A_DISPOSITION",
                      prefix: str = "BENCH-", age: timedelta = timedelta(0)) -> list[Invoice]:
        """Create `count` integrated invoices for a technical account at once (benchmarks), `age` old."""
        account = self.state.accounts[login]
        created = self.state.chorus.seed_invoices(login, account.siret, account.name, count, status, prefix)
        for invoice in created:
            for change in invoice.history:
                change.at -= age
        return created

    def process_flows(self) -> None:
        """Process every flow whose integration delay has passed, without waiting for a look at it."""
        self.state.chorus.process_due(None, self.state.integration_delay_s)

    # PISTE and the gate.

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
        self.state.token_apps[token] = client_id
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

    def _over_daily_quota(self, application: str) -> int | None:
        """Seconds until the quota resets when the application used its day's calls (None: go ahead)."""
        if self.state.daily_quota is None:
            return None
        now = datetime.now(UTC)
        key = (application, now.date().isoformat())
        with self._window_lock:
            if self._daily[key] >= self.state.daily_quota:
                midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
                return max(1, int((midnight - now).total_seconds()))
            self._daily[key] += 1
            return None

    @staticmethod
    def _credentials(request: Request) -> tuple[str, str]:
        try:
            login, _, password = base64.b64decode(request.header("cpro-account")).decode().partition(":")
        except ValueError:
            login, password = "", ""
        return login, password

    def _gate(self, request: Request) -> Response | TechnicalAccount:
        """What every CHORUS PRO call checks: quotas, bearer token, content type, technical account."""
        if self._over_quota():
            return Response.json({"error": "quota", "message": "Quota exceeded"}, 429, **{"Retry-After": "1"})
        auth = request.header("authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token or self.state.tokens.get(token, 0) < time.time():
            return Response.json({"error": "invalid_token", "error_description": "The access token is invalid or expired"},
                                 401, **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
        wait = self._over_daily_quota(self.state.token_apps.get(token, ""))
        if wait is not None:
            return Response.json({"error": "quota", "message": "Daily quota exceeded",
                                  "quota": self.state.daily_quota}, 429, **{"Retry-After": str(wait)})
        if not request.header("content-type").startswith("application/json"):
            return Response.json({"error": "unsupported_media_type"}, 415)
        login, password = self._credentials(request)
        account = self.state.accounts.get(login)
        if self.wrong_credentials or account is None or account.password != password:
            refusal = {"codeRetour": 20002, "libelle": "GCU_MSG_01_000 Technical account unknown or wrong password"}
            return Response.json(refusal, 403)
        return account

    def _caller(self, request: Request) -> tuple[str, TechnicalAccount, dict[str, Any]]:
        """The gate, the business-error switch and the JSON object body: how every flow and invoice call starts."""
        gate = self._gate(request)
        if isinstance(gate, Response):
            raise Refusal(0, "gate", response=gate)
        if self.state.business_error:
            code, label = self.state.business_error
            raise Refusal(code, label, 200)
        return self._credentials(request)[0], gate, _model_body(request)

    # CHORUS PRO calls.

    def structures(self, request: Request) -> Response:
        gate = self._gate(request)
        if isinstance(gate, Response):
            return gate
        _model_body(request)
        if self.state.business_error:
            code, label = self.state.business_error
            return Response.json({"codeRetour": code, "libelle": label})
        return Response.json({
            "codeRetour": 0, "libelle": OK,
            # Field names as the public Go client reads them (go-choruspro transverses_structures.go).
            "listeStructures": [{"idStructureCPP": gate.structure_id, "identifiant": gate.siret,
                                 "designationStructure": gate.name, "typeIdentifiantStructure": "SIRET"}],
        })

    def _flow_file(self, body: dict[str, Any]) -> bytes:
        encoded = body.get("fichierFlux")
        if not isinstance(encoded, str):
            raise _invalid("fichierFlux")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise Refusal(20004, "GDP_MSG_11.010 Le fichier du flux n'est pas encodé en base 64") from None
        if not data:
            raise Refusal(20005, "GDP_MSG_11.011 Le fichier du flux est vide")
        if len(data) > self.state.max_flow_bytes:
            raise Refusal(20001, "GDP_MSG_11.022")
        return data

    def deposit(self, request: Request) -> Response:
        login, account, body = self._caller(request)
        data = self._flow_file(body)
        name = _text(body, "nomFichier", required=True)
        if len(name) > MAX_FILE_NAME:
            raise Refusal(20006, f"GDP_MSG_11.012 Le nom du fichier dépasse {MAX_FILE_NAME} caractères")
        syntax = body.get("syntaxeFlux")
        if syntax is None:
            raise _invalid("syntaxeFlux")
        if syntax not in SYNTAXES:  # in the enum, but a syntax this emulator cannot read
            raise Refusal(20007, f"GDP_MSG_11.013 Syntaxe de flux non traitée par l'émulateur : {syntax}")
        user = body.get("idUtilisateurCourant")
        flow = self.state.chorus.deposit(login, account.siret, account.name, name, syntax, data, user)
        # Recorded first, answered late: a client killed meanwhile has a flow it never heard of.
        if self.state.deposit_answer_delay_s > 0:
            time.sleep(self.state.deposit_answer_delay_s)
        return Response.json({"codeRetour": 0, "libelle": OK, "numeroFluxDepot": flow.number,
                              "dateDepot": stamp(flow.deposited_at), "syntaxeFlux": syntax})

    def _report(self, request: Request, detailed: bool) -> Response:
        login, _, body = self._caller(request)
        number = _text(body, "numeroFluxDepot", required=True)
        self.state.chorus.process_due(login, self.state.integration_delay_s)
        answer = self.state.chorus.report(login, number, detailed)
        if answer is None:  # another account's flow is as unknown as a missing one
            raise Refusal(20008, f"TRA_MSG_01.001 Le flux {number} n'existe pas pour ce compte")
        return Response.json(answer)

    def report_detailed(self, request: Request) -> Response:
        return self._report(request, detailed=True)

    def report(self, request: Request) -> Response:
        return self._report(request, detailed=False)

    def search(self, request: Request) -> Response:
        login, _, body = self._caller(request)
        statuses = body.get("statutCourant")
        paging = body.get("rechercheFactureParFournisseur") or {}
        page = _integer(paging, "pageResultatDemandee", 1)
        size = _integer(paging, "nbResultatsParPage", DEFAULT_PAGE_SIZE)
        if page < 1:
            raise _invalid("pageResultatDemandee")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Refusal(20010, f"GDP_MSG_01.005 nbResultatsParPage doit être entre 1 et {MAX_PAGE_SIZE}")
        filters = dict(flow_number=_text(body, "numeroFluxDepot"), number=_text(body, "numeroFacture"),
                       statuses=set(statuses or ()),
                       status_range=(_instant(body, "periodeDateHeureEtatCourantDu"),
                                     _instant(body, "periodeDateHeureEtatCourantAu")),
                       deposit_range=(_instant(body, "periodeDateDepotDu"),
                                      _instant(body, "periodeDateDepotAu")))
        self.state.chorus.process_due(login, self.state.integration_delay_s)
        # Rows come sorted on triColonne (identifiantFactureCPP order when absent, and between equal values).
        total, rows = self.state.chorus.search(login, **filters, sort=paging.get("triColonne"),
                                               descending=paging.get("triSens") == "Descendant", page=page, size=size)
        return Response.json({"codeRetour": 0, "libelle": OK, "listeFactures": rows,
                              "parametresRetour": {"pageCourante": page, "pages": -(-total // size),
                                                   "nbResultatsParPage": size, "total": total}})

    def history(self, request: Request) -> Response:
        login, _, body = self._caller(request)
        chorus_id = _integer(body, "idFacture")
        if chorus_id is None:
            raise _invalid("idFacture")
        sorting = body.get("paramRechercheHistoStatuts") or {}
        self.state.chorus.process_due(login, self.state.integration_delay_s)
        descending = sorting.get("triSensListeHistoStatut") == "Descendant"  # chronological unless asked
        answer = self.state.chorus.history(login, chorus_id, descending=descending)
        if answer is None:  # another account's invoice is as unknown as a missing one
            raise Refusal(20009, f"GDP_MSG_02.001 La facture {chorus_id} n'existe pas pour ce fournisseur")
        return Response.json(answer)
