"""Google Maps for the expenses' kilometres, in two generations (CONNECTORS.md §8).

The new generation, the default, is Places API (New) `places:autocomplete` and the Routes API
`computeRouteMatrix`: JSON POSTs, the key in the `X-Goog-Api-Key` header, errors as HTTP statuses with a
Google RPC error body. The legacy one, Place Autocomplete and Distance Matrix, takes the key in the `key`
query parameter and answers HTTP 200 with a JSON `status`; new Google Cloud projects can no longer enable it,
so it is only for the keys of older projects. When a key is refused by one generation, the Test tries the
other once and says which one the key's project has enabled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from .probe import Probe
from .result import TestResult

NEW, LEGACY = "new", "legacy"
GENERATIONS = (NEW, LEGACY)

DEFAULT_URL = "https://maps.googleapis.com"  # the legacy web services
PLACES_URL = "https://places.googleapis.com"
ROUTES_URL = "https://routes.googleapis.com"
AUTOCOMPLETE_PATH = "/maps/api/place/autocomplete/json"
MATRIX_PATH = "/maps/api/distancematrix/json"
PLACES_AUTOCOMPLETE_PATH = "/v1/places:autocomplete"
ROUTE_MATRIX_PATH = "/distanceMatrix/v2:computeRouteMatrix"
KEY_HEADER = "X-Goog-Api-Key"
FIELD_MASK_HEADER = "X-Goog-FieldMask"
# computeRouteMatrix answers only the fields asked for; without `status` every element would look fine.
MATRIX_FIELDS = "originIndex,destinationIndex,status,condition,distanceMeters,duration"

PLACES, ROUTES = "places", "routes"
# What answers, per service and generation: the step names and the words of the diagnoses.
API_NAMES = {
    (PLACES, NEW): "Places API (New)", (PLACES, LEGACY): "Place Autocomplete (legacy)",
    (ROUTES, NEW): "Routes API", (ROUTES, LEGACY): "Distance Matrix (legacy)",
}
# What to enable in Google Cloud console for each.
CONSOLE_NAMES = {
    (PLACES, NEW): "Places API (New)", (PLACES, LEGACY): "the legacy Places API",
    (ROUTES, NEW): "the Routes API", (ROUTES, LEGACY): "the legacy Distance Matrix API",
}
GENERATION_STEP = "API generation"
# The codes of google.rpc.Code that an element of a route matrix may carry.
RPC_CODES = {1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
             7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 13: "INTERNAL",
             14: "UNAVAILABLE"}
# Reasons of a new-generation refusal that mean "this generation is closed to this key", not "bad key".
CLOSED_REASONS = {"SERVICE_DISABLED", "API_KEY_SERVICE_BLOCKED"}


class GoogleMapsError(Exception):
    """A Google Maps call failed; the message says why in plain words, the key masked."""


@dataclass(frozen=True)
class GoogleMapsAccount:
    """One API key, the generation to call and the base URLs of both generations."""

    base_url: str = DEFAULT_URL  # the legacy web services
    key: str = ""
    generation: str = NEW
    places_url: str = PLACES_URL
    routes_url: str = ROUTES_URL

    @classmethod
    def from_settings(cls, values: Mapping[str, Any], key: str | None) -> GoogleMapsAccount:
        """The account of one key of the Google API section as saved."""
        generation = values.get("api_generation") or NEW
        return cls(values.get("api_url") or DEFAULT_URL, key or "", generation if generation in GENERATIONS else NEW,
                   values.get("places_url") or PLACES_URL, values.get("routes_url") or ROUTES_URL)

    def secrets(self) -> list[str]:
        """Values to mask in anything shown, as typed and as they appear in a query string."""
        return [self.key, quote_plus(self.key), quote(self.key, safe="")]

    def api(self, path: str, **params: str) -> str:
        """The full URL of a legacy call, the key last."""
        return (self.base_url or DEFAULT_URL).rstrip("/") + path + "?" + urlencode({**params, "key": self.key})

    def places(self, path: str = PLACES_AUTOCOMPLETE_PATH) -> str:
        """The URL of a Places API (New) call: never a key in it."""
        return (self.places_url or PLACES_URL).rstrip("/") + path

    def routes(self, path: str = ROUTE_MATRIX_PATH) -> str:
        """The URL of a Routes API call: never a key in it."""
        return (self.routes_url or ROUTES_URL).rstrip("/") + path

    def headers(self, field_mask: str = "") -> dict[str, str]:
        """The new generation's headers: the key, and the field mask when the method needs one."""
        return {KEY_HEADER: self.key, **({FIELD_MASK_HEADER: field_mask} if field_mask else {})}

    def target(self, service: str) -> str:
        """The base URL the configured generation calls for `service`."""
        if self.generation == LEGACY:
            return self.base_url or DEFAULT_URL
        return (self.places_url or PLACES_URL) if service == PLACES else (self.routes_url or ROUTES_URL)


def _other(generation: str) -> str:
    return LEGACY if generation == NEW else NEW


# --- Legacy: HTTP 200 and a JSON status --------------------------------------------------------------

LEGACY_CLOSED_WORDS = ("not authorized", "not activated", "not enabled", "legacy api")


def _legacy_closed(body: Any) -> bool:
    """True when a REQUEST_DENIED says the legacy API is closed to the key, not that the key is wrong."""
    if not isinstance(body, dict) or body.get("status") != "REQUEST_DENIED":
        return False
    said = str(body.get("error_message") or "").lower()
    if "this ip" in said or "referer" in said:  # the key's application restrictions: the same in both generations
        return False
    return any(words in said for words in LEGACY_CLOSED_WORDS)


def _status_problem(body: Any, api: str, accepted: tuple[str, ...] = ("OK",)) -> str | None:
    """A diagnosis for a JSON `status` other than `accepted` (Google answers HTTP 200 even for errors)."""
    if not isinstance(body, dict) or "status" not in body:
        return f"The answer has no status: the URL may not be the Google Maps web services ({DEFAULT_URL})."
    status = body["status"]
    if status in accepted:
        return None
    said = f": {body['error_message'].strip().rstrip('.')}" if body.get("error_message") else ""
    if status == "REQUEST_DENIED" and "legacy" in said.lower():
        return (f"Google refused the legacy {api} (REQUEST_DENIED{said}): the key's project has not enabled it, and "
                "new Google Cloud projects no longer can.")
    if status == "REQUEST_DENIED":
        return (f"Google refused the request (REQUEST_DENIED{said}). Check the API key, that the {api} is enabled on "
                "its project with billing on, and that the key's restrictions (IP addresses, APIs) allow this server.")
    if status in ("OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT"):
        return (f"Google says a limit is reached ({status}{said}): billing may be off, or a daily cap or the "
                "per-second rate is hit. Check the project's quotas and billing, or try later.")
    if status == "INVALID_REQUEST":
        return f"Google says the request is invalid (INVALID_REQUEST{said}): a parameter is missing or wrong."
    if status in ("MAX_ELEMENTS_EXCEEDED", "MAX_DIMENSIONS_EXCEEDED"):
        return f"Google says the request is too large ({status}{said}): fewer origins or destinations are needed."
    if status == "ZERO_RESULTS":
        return f"Google found nothing (ZERO_RESULTS{said})."
    if status == "UNKNOWN_ERROR":
        return f"Google had a server error (UNKNOWN_ERROR{said}): try again."
    return f"Google answered status {status}{said}."


def _legacy_suggestions(body: dict) -> list[str]:
    return [p["description"] for p in body.get("predictions") or [] if isinstance(p, dict) and p.get("description")]


def _describe_legacy_suggestions(body: dict) -> str:
    found = _legacy_suggestions(body)
    name = API_NAMES[(PLACES, LEGACY)]
    if not found:
        return f"{name} answered status {body['status']}: the key works, no suggestion for this text"
    return f"{name} answered status OK, {len(found)} suggestion(s), first: {found[0]}"


def _element(body: dict) -> dict:
    rows = body.get("rows") or [{}]
    elements = (rows[0] if isinstance(rows[0], dict) else {}).get("elements") or [{}]
    return elements[0] if isinstance(elements[0], dict) else {}


def _ends(body: dict) -> tuple[str, str]:
    return ((body.get("origin_addresses") or ["?"])[0] or "?", (body.get("destination_addresses") or ["?"])[0] or "?")


def _element_problem(body: dict) -> str | None:
    element = _element(body)
    status = element.get("status", "missing")
    origin, destination = _ends(body)
    if status == "OK":
        distance = element.get("distance")
        return None if isinstance(distance, dict) and "value" in distance else "Google answered OK without a distance."
    if status == "NOT_FOUND":
        return "Google could not find the origin or the destination address (NOT_FOUND): check how they are written."
    if status == "ZERO_RESULTS":
        return f"Google found no route between {origin} and {destination} (ZERO_RESULTS)."
    if status == "MAX_ROUTE_LENGTH_EXCEEDED":
        return f"The route between {origin} and {destination} is too long for Google (MAX_ROUTE_LENGTH_EXCEEDED)."
    return f"Google answered element status {status}."


def _legacy_matrix_business(strict: bool) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        problem = _status_problem(body, "Distance Matrix API")
        if problem or not strict:
            return problem
        return _element_problem(body)
    return check


def _describe_legacy_matrix(body: dict) -> str:
    name = API_NAMES[(ROUTES, LEGACY)]
    problem = _element_problem(body)
    if problem:
        return f"{name} answered status OK, the key works, but: {problem}"
    element = _element(body)
    origin, destination = _ends(body)
    duration = (element.get("duration") or {}).get("text", "?")
    return f"{name} answered: {origin} → {destination}: {element['distance'].get('text', '?')} ({duration})"


# --- New: HTTP statuses and a Google RPC error body ----------------------------------------------------

@dataclass(frozen=True)
class RpcError:
    """The `error` object of a new-generation answer: {code, message, status, details[ErrorInfo…]}."""

    code: int
    status: str
    message: str
    reason: str = ""

    @classmethod
    def of(cls, response: httpx.Response) -> RpcError | None:
        """The error a response carries in Google's shape, or None when it has none."""
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("status"), str):
            return None
        reasons = [d.get("reason") for d in error.get("details") or ()
                   if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.ErrorInfo")]
        code = error.get("code")
        return cls(code if isinstance(code, int) else response.status_code, error["status"],
                   str(error.get("message") or "").strip(), str(reasons[0] or "") if reasons else "")

    @property
    def said(self) -> str:
        """Google's words, short."""
        text = " ".join(self.message.split())
        return text if len(text) <= 300 else text[:299] + "…"

    @property
    def label(self) -> str:
        """e.g. "403 PERMISSION_DENIED, SERVICE_DISABLED"."""
        return f"{self.code} {self.status}" + (f", {self.reason}" if self.reason else "")


def _rpc_diagnosis(error: RpcError, service: str) -> str:
    console = CONSOLE_NAMES[(service, NEW)]
    said = f": {error.said.rstrip('.')}" if error.said else ""
    if error.reason == "API_KEY_INVALID":
        return (f"Google does not know this API key ({error.label}{said}). Check the key as Google Cloud console "
                "shows it (APIs & Services > Credentials): it may be mistyped or deleted.")
    if error.reason == "SERVICE_DISABLED":
        return (f"{console[0].upper()}{console[1:]} is not enabled on the key's project ({error.label}): enable it in "
                "Google Cloud console > APIs & Services > Library, with billing on.")
    if error.reason == "API_KEY_SERVICE_BLOCKED":
        return (f"The key's API restrictions do not allow {console} ({error.label}): add it to the key's allowed "
                "APIs in Google Cloud console > APIs & Services > Credentials.")
    if error.reason in ("API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"):
        return (f"The key's application restrictions refuse this server ({error.label}): allow this server's "
                "IP address on the key, or use a key meant for servers.")
    if error.reason == "BILLING_DISABLED":
        return f"Billing is off on the key's project ({error.label}): link a billing account to it."
    if error.code == 429 or error.status == "RESOURCE_EXHAUSTED":
        return (f"Google says a quota is reached ({error.label}{said}): a per-minute rate or a daily cap of the "
                "project is hit. Check its quotas in Google Cloud console, or try later.")
    if error.code == 400 or error.status == "INVALID_ARGUMENT":
        return (f"Google refused the request as invalid ({error.label}{said}): a value sent is missing or wrong, "
                "or the API changed.")
    if error.code in (401, 403):
        return (f"Google refused the key ({error.label}): check the key, that {console} is enabled on its "
                "project with billing on, and the key's restrictions.")
    if error.code >= 500:
        return f"Google failed ({error.label}{said}): a fault on Google's side, try again later."
    return f"Google refused the request ({error.label}{said})."


def _suggestion_text(suggestion: Any) -> str:
    if not isinstance(suggestion, dict):
        return ""
    prediction = suggestion.get("placePrediction") or suggestion.get("queryPrediction")
    text = prediction.get("text") if isinstance(prediction, dict) else None
    return str(text.get("text") or "") if isinstance(text, dict) else ""


def _new_suggestions(body: dict) -> list[str]:
    return [t for t in map(_suggestion_text, body.get("suggestions") or []) if t]


def _places_business(body: Any) -> str | None:
    # AutocompletePlacesResponse has one field; proto3 JSON leaves it out when there is no suggestion ({}).
    unknown = sorted(body) if isinstance(body, dict) else []
    if not isinstance(body, dict) or [k for k in unknown if k != "suggestions"] or not isinstance(
            body.get("suggestions", []), list):
        shown = ", ".join(unknown[:5]) if unknown else type(body).__name__
        return (f"The answer is not Places API (New)'s (it has {shown}): the URL may not be Places API (New) "
                f"({PLACES_URL}).")
    return None


def _describe_new_suggestions(body: dict) -> str:
    found = _new_suggestions(body)
    name = API_NAMES[(PLACES, NEW)]
    if not found:
        return f"{name} answered: the key works, no suggestion for this text"
    return f"{name} answered: {len(found)} suggestion(s), first: {found[0]}"


def _matrix_element(body: Any) -> dict | None:
    """The element of the first origin and destination of a computeRouteMatrix answer (a JSON array)."""
    if not isinstance(body, list):
        return None
    elements = [e for e in body if isinstance(e, dict)]
    first = [e for e in elements if e.get("originIndex", 0) == 0 and e.get("destinationIndex", 0) == 0]
    chosen = first or elements
    return chosen[0] if chosen else None


def _seconds(duration: Any) -> float | None:
    """A protobuf Duration in JSON ("16380s", "3.5s") in seconds."""
    if not isinstance(duration, str) or not duration.endswith("s"):
        return None
    try:
        return float(duration[:-1])
    except ValueError:
        return None


def _route_problem(element: dict, origin: str, destination: str) -> str | None:
    status = element.get("status") or {}
    code = status.get("code", 0) if isinstance(status, dict) else 0
    if code:
        said = f": {str(status.get('message', '')).strip().rstrip('.')}" if status.get("message") else ""
        if code == 5:
            return (f"Google could not find the origin or the destination address (NOT_FOUND{said}): check how they "
                    "are written.")
        return f"Google could not compute this route ({RPC_CODES.get(code, code)}{said})."
    condition = element.get("condition", "")
    if condition == "ROUTE_NOT_FOUND":
        return f"Google found no route between {origin} and {destination} (ROUTE_NOT_FOUND)."
    if condition != "ROUTE_EXISTS":
        return f"Google answered the element condition {condition or 'missing'}."
    if _seconds(element.get("duration", "0s")) is None:
        return "Google answered a route without a readable duration."
    return None


def _matrix_business(origin: str, destination: str, strict: bool) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        element = _matrix_element(body)
        if element is None:
            return (f"The answer is not a route matrix (a JSON array of elements): the URL may not be the Routes API "
                    f"({ROUTES_URL}).")
        return _route_problem(element, origin, destination) if strict else None
    return check


def _km(metres: float) -> str:
    return f"{metres / 1000:,.0f} km"


def _duration_words(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} hour{'s' if hours != 1 else ''} {minutes} mins" if hours else f"{minutes} mins"


def _describe_route(origin: str, destination: str) -> Callable[[Any], str]:
    def describe(body: Any) -> str:
        name = API_NAMES[(ROUTES, NEW)]
        element = _matrix_element(body) or {}
        problem = _route_problem(element, origin, destination)
        if problem:
            return f"{name} answered, the key works, but: {problem}"
        # proto3 JSON leaves out a zero distance (same origin and destination).
        metres = element.get("distanceMeters", 0)
        return (f"{name} answered: {origin} → {destination}: {_km(metres)} "
                f"({_duration_words(_seconds(element.get('duration', '0s')) or 0)})")
    return describe


# --- One call of one generation --------------------------------------------------------------------------

@dataclass
class _Outcome:
    """How one call went: its answer, or whether its generation is closed to the key."""

    body: Any = None
    passed: bool = False
    closed: str = ""  # the refusal's reason when the generation is closed to the key (not enabled, blocked)


def _new_refusal(service: str, outcome: _Outcome) -> Callable[[httpx.Response], str | None]:
    def on_status(response: httpx.Response) -> str | None:
        error = RpcError.of(response)
        if error is None:
            return None  # not Google's shape (a proxy, a gateway): the generic diagnosis says more
        if error.reason in CLOSED_REASONS or (error.code == 403 and "has not been used" in error.message):
            outcome.closed = error.reason or "SERVICE_DISABLED"
        return _rpc_diagnosis(error, service)
    return on_status


def _legacy_check(business: Callable[[Any], str | None], outcome: _Outcome) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        problem = business(body)
        if problem and _legacy_closed(body):
            outcome.closed = "REQUEST_DENIED"
        return problem
    return check


def _record(reply: Any, outcome: _Outcome) -> _Outcome:
    if reply is not None:
        outcome.body, outcome.passed = reply.body, True
    return outcome


async def _autocomplete(probe: Probe, client: httpx.AsyncClient, account: GoogleMapsAccount, generation: str,
                        text: str, name: str, describe: bool) -> _Outcome:
    outcome = _Outcome()
    if generation == NEW:
        # Autocomplete (New) needs no field mask (unlike the other Places methods); the key goes in a header.
        reply = await probe.call(name, client, "POST", account.places(), headers=account.headers(),
                                 json_body={"input": text}, business=_places_business,
                                 describe=_describe_new_suggestions if describe else None,
                                 on_status=_new_refusal(PLACES, outcome))
    else:
        business = _legacy_check(lambda b: _status_problem(b, "Places API", ("OK", "ZERO_RESULTS")), outcome)
        reply = await probe.call(name, client, "GET", account.api(AUTOCOMPLETE_PATH, input=text), business=business,
                                 describe=_describe_legacy_suggestions if describe else None)
    return _record(reply, outcome)


def _matrix_body(origin: str, destination: str) -> dict:
    return {"origins": [{"waypoint": {"address": origin}}], "destinations": [{"waypoint": {"address": destination}}],
            "travelMode": "DRIVE", "routingPreference": "TRAFFIC_UNAWARE"}


async def _matrix(probe: Probe, client: httpx.AsyncClient, account: GoogleMapsAccount, generation: str,
                  origin: str, destination: str, name: str, strict: bool, describe: bool) -> _Outcome:
    outcome = _Outcome()
    if generation == NEW:
        reply = await probe.call(name, client, "POST", account.routes(), headers=account.headers(MATRIX_FIELDS),
                                 json_body=_matrix_body(origin, destination),
                                 business=_matrix_business(origin, destination, strict),
                                 describe=_describe_route(origin, destination) if describe else None,
                                 on_status=_new_refusal(ROUTES, outcome))
    else:
        reply = await probe.call(name, client, "GET",
                                 account.api(MATRIX_PATH, origins=origin, destinations=destination, units="metric"),
                                 business=_legacy_check(_legacy_matrix_business(strict), outcome),
                                 describe=_describe_legacy_matrix if describe else None)
    return _record(reply, outcome)


def _advice(service: str, configured: str, first: _Outcome, other: _Outcome) -> str:
    """What the comparison with the other generation tells, in words."""
    mine, theirs = API_NAMES[(service, configured)], API_NAMES[(service, _other(configured))]
    to_enable = CONSOLE_NAMES[(service, NEW)]
    if other.passed:
        if configured == NEW:
            fix = (f"allow {to_enable} in the key's API restrictions" if first.closed == "API_KEY_SERVICE_BLOCKED"
                   else f"enable {to_enable} on its project")
            return (f"This key works with the legacy {theirs.replace(' (legacy)', '')}: set API generation to legacy, "
                    f"or {fix}.")
        return (f"This key works with {theirs}, not with the legacy {mine.replace(' (legacy)', '')}: set API "
                "generation to new (keys of projects created since 2026 only work with the new generation).")
    if other.closed:
        return (f"Neither generation is open to this key: enable {to_enable} on the key's project and allow it in the "
                "key's API restrictions (new projects can no longer enable the legacy APIs).")
    return (f"{mine} refuses this key; whether {theirs} would take it is unknown, since that call failed too "
            "(see the step above).")


Call = Callable[[str, str], Awaitable[_Outcome]]


async def _with_the_other_generation(probe: Probe, account: GoogleMapsAccount, service: str, call: Call) -> None:
    """The configured generation's call; when it is closed to the key, the other one once, then the advice."""
    first = await call(account.generation, API_NAMES[(service, account.generation)])
    if first.passed or not first.closed:
        return
    other = _other(account.generation)
    second = await call(other, f"{API_NAMES[(service, other)]}, the other generation")
    probe.failed(GENERATION_STEP, _advice(service, account.generation, first, second))


async def test_place_autocomplete(account: GoogleMapsAccount, client: httpx.AsyncClient, *, text: str = "Paris",
                                  on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Suggestions for "Paris": any answer without an error proves the key (CONNECTORS.md §8)."""
    result = TestResult("place_autocomplete", account.target(PLACES))
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    await _with_the_other_generation(
        probe, account, PLACES,
        lambda generation, name: _autocomplete(probe, client, account, generation, text, name, describe=True))
    return result


async def test_distance_matrix(account: GoogleMapsAccount, client: httpx.AsyncClient, *,
                               origin: str = "Paris, France", destination: str = "Lyon, France",
                               on_step=None, timeout_s: float = 30.0) -> TestResult:
    """One origin and one destination; an element without a route still proves the key (CONNECTORS.md §8)."""
    result = TestResult("distance_matrix", account.target(ROUTES))
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    await _with_the_other_generation(
        probe, account, ROUTES,
        lambda generation, name: _matrix(probe, client, account, generation, origin, destination, name,
                                         strict=False, describe=True))
    return result


# --- The helpers the "try it" panel uses ----------------------------------------------------------------

def _raise(probe: Probe, outcome: _Outcome) -> None:
    failed = probe.result.failed_step
    diagnosis = failed.diagnosis if failed else "no answer"
    if outcome.closed:
        diagnosis += " The section's Test (F5) tells whether the key works with the other API generation."
    raise GoogleMapsError(diagnosis)


async def suggest(account: GoogleMapsAccount, client: httpx.AsyncClient, text: str) -> list[str]:
    """The addresses Google suggests for `text` (empty when it has none), with the configured generation."""
    name = API_NAMES[(PLACES, account.generation)]
    probe = Probe(TestResult(name, account.target(PLACES)), account.secrets())
    outcome = await _autocomplete(probe, client, account, account.generation, text, name, describe=False)
    if not outcome.passed:
        _raise(probe, outcome)
    if account.generation == NEW:
        return _new_suggestions(outcome.body)
    return _legacy_suggestions(outcome.body)


async def distance_km(account: GoogleMapsAccount, client: httpx.AsyncClient, origin: str, destination: str) -> float:
    """The driving distance in kilometres; raises GoogleMapsError when there is none."""
    name = API_NAMES[(ROUTES, account.generation)]
    probe = Probe(TestResult(name, account.target(ROUTES)), account.secrets())
    outcome = await _matrix(probe, client, account, account.generation, origin, destination, name,
                            strict=True, describe=False)
    if not outcome.passed:
        _raise(probe, outcome)
    if account.generation == NEW:
        element = _matrix_element(outcome.body) or {}
        return element.get("distanceMeters", 0) / 1000
    return _element(outcome.body)["distance"]["value"] / 1000
