"""Google Maps legacy web services: Place Autocomplete and Distance Matrix, the key in the `key` parameter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from .probe import Probe
from .result import TestResult

DEFAULT_URL = "https://maps.googleapis.com"
AUTOCOMPLETE_PATH = "/maps/api/place/autocomplete/json"
MATRIX_PATH = "/maps/api/distancematrix/json"


class GoogleMapsError(Exception):
    """A Google Maps call failed; the message says why in plain words, the key masked."""


@dataclass(frozen=True)
class GoogleMapsAccount:
    """The web services' base URL and one API key."""

    base_url: str = DEFAULT_URL
    key: str = ""

    def secrets(self) -> list[str]:
        """Values to mask in anything shown, as typed and as they appear in a query string."""
        return [self.key, quote_plus(self.key), quote(self.key, safe="")]

    def api(self, path: str, **params: str) -> str:
        """The full URL of a call, the key last."""
        return (self.base_url or DEFAULT_URL).rstrip("/") + path + "?" + urlencode({**params, "key": self.key})


def _status_problem(body: Any, api: str, accepted: tuple[str, ...] = ("OK",)) -> str | None:
    """A diagnosis for a JSON `status` other than `accepted` (Google answers HTTP 200 even for errors)."""
    if not isinstance(body, dict) or "status" not in body:
        return f"The answer has no status: the URL may not be the Google Maps web services ({DEFAULT_URL})."
    status = body["status"]
    if status in accepted:
        return None
    said = f": {body['error_message'].strip().rstrip('.')}" if body.get("error_message") else ""
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


def _describe_suggestions(body: dict) -> str:
    found = [p.get("description", "?") for p in body.get("predictions") or []]
    if not found:
        return f"status {body['status']}: the key works, no suggestion for this text"
    return f"status OK, {len(found)} suggestion(s), first: {found[0]}"


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


def _matrix_business(strict: bool) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        problem = _status_problem(body, "Distance Matrix API")
        if problem or not strict:
            return problem
        return _element_problem(body)
    return check


def _describe_matrix(body: dict) -> str:
    problem = _element_problem(body)
    if problem:
        return f"status OK, the key works, but: {problem}"
    element = _element(body)
    origin, destination = _ends(body)
    duration = (element.get("duration") or {}).get("text", "?")
    return f"{origin} → {destination}: {element['distance'].get('text', '?')} ({duration})"


async def test_place_autocomplete(account: GoogleMapsAccount, client: httpx.AsyncClient, *, text: str = "Paris",
                                  on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Suggestions for "Paris": OK or ZERO_RESULTS both prove the key (CONNECTORS.md §8)."""
    result = TestResult("place_autocomplete", account.base_url)
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    await probe.call("Place Autocomplete", client, "GET", account.api(AUTOCOMPLETE_PATH, input=text),
                     business=lambda b: _status_problem(b, "Places API", ("OK", "ZERO_RESULTS")),
                     describe=_describe_suggestions)
    return result


async def test_distance_matrix(account: GoogleMapsAccount, client: httpx.AsyncClient, *,
                               origin: str = "Paris, France", destination: str = "Lyon, France",
                               on_step=None, timeout_s: float = 30.0) -> TestResult:
    """One origin and one destination; an element without a route still proves the key (CONNECTORS.md §8)."""
    result = TestResult("distance_matrix", account.base_url)
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    await probe.call("Distance Matrix", client, "GET",
                     account.api(MATRIX_PATH, origins=origin, destinations=destination, units="metric"),
                     business=_matrix_business(strict=False), describe=_describe_matrix)
    return result


async def _ask(account: GoogleMapsAccount, client: httpx.AsyncClient, name: str, url: str,
               business: Callable[[Any], str | None]) -> dict:
    probe = Probe(TestResult(name, account.base_url), account.secrets())
    reply = await probe.call(name, client, "GET", url, business=business)
    if reply is None:
        raise GoogleMapsError(probe.result.failed_step.diagnosis)
    return reply.body


async def suggest(account: GoogleMapsAccount, client: httpx.AsyncClient, text: str) -> list[str]:
    """The addresses Google suggests for `text` (empty when it has none)."""
    body = await _ask(account, client, "Place Autocomplete", account.api(AUTOCOMPLETE_PATH, input=text),
                      lambda b: _status_problem(b, "Places API", ("OK", "ZERO_RESULTS")))
    return [p["description"] for p in body.get("predictions") or [] if p.get("description")]


async def distance_km(account: GoogleMapsAccount, client: httpx.AsyncClient, origin: str, destination: str) -> float:
    """The driving distance in kilometres; raises GoogleMapsError when there is none."""
    body = await _ask(account, client, "Distance Matrix",
                      account.api(MATRIX_PATH, origins=origin, destinations=destination, units="metric"),
                      _matrix_business(strict=True))
    return _element(body)["distance"]["value"] / 1000
