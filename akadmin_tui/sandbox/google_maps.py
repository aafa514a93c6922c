"""Google Maps in both generations, on loopback, as strict as Google (CONNECTORS.md §8).

Legacy: GET Place Autocomplete and Distance Matrix, the key in `?key=`, HTTP 200 with a JSON `status`.
New: POST Places API (New) `places:autocomplete` and Routes API `computeRouteMatrix`, the key in
`X-Goog-Api-Key`, JSON bodies parsed the protobuf way (unknown fields and wrong types refused), errors
as HTTP statuses with a google.rpc.Status body. Each key belongs to a project that has enabled one
generation or both (`enable_generations`), so tests can play a key of a new project or of an old one.
The messages are ours; the statuses, reasons and shapes are Google's, with the source of each fact cited.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .server import Emulator, Request, Response

NEW, LEGACY = "new", "legacy"

AUTOCOMPLETE_PATH = "/maps/api/place/autocomplete/json"
MATRIX_PATH = "/maps/api/distancematrix/json"
# Source: developers.google.com/maps/documentation/places/web-service/migrate-autocomplete (POST to
# places.googleapis.com/v1/places:autocomplete) and …/routes/reference/rest/v2/TopLevel/computeRouteMatrix
# (POST routes.googleapis.com/distanceMatrix/v2:computeRouteMatrix).
PLACES_AUTOCOMPLETE_PATH = "/v1/places:autocomplete"
ROUTE_MATRIX_PATH = "/distanceMatrix/v2:computeRouteMatrix"
PLACES_SERVICE, ROUTES_SERVICE = "places.googleapis.com", "routes.googleapis.com"
SERVICE_TITLES = {PLACES_SERVICE: "Places API (New)", ROUTES_SERVICE: "Routes API"}

INVALID_KEY = "The provided API key is invalid. "
NO_KEY = ("You must use an API key to authenticate each request to Google Maps Platform APIs. "
          "For additional information, please refer to http://g.co/dev/maps-no-account")
WRONG_API = "This API key is not authorized to use this service or API."
# Legacy services cannot be enabled on new projects (developers.google.com/maps/legacy; the Places and
# Distance Matrix legacy quick references: "as of October 2026"); what they answer such a project is REQUEST_DENIED.
LEGACY_NOT_ENABLED = ("This legacy API is not enabled for this project, and new projects can no longer enable it: "
                      "switch to Places API (New) or the Routes API.")

ADDRESSES = [
    "Paris, France", "Paris 15e Arrondissement, Paris, France", "Gare de Lyon, Paris, France",
    "Lyon, France", "Marseille, France", "Lille, France", "Bordeaux, France", "Nantes, France",
    "Fort-de-France, Martinique",
]
REGIONS = {"France": "fr", "Martinique": "mq"}
# Metres and seconds by road; a pair absent from the table has no route (ZERO_RESULTS / ROUTE_NOT_FOUND).
ROADS = {
    ("Paris, France", "Lyon, France"): (465_312, 16_380),
    ("Paris, France", "Marseille, France"): (775_044, 26_640),
    ("Paris, France", "Lille, France"): (225_186, 8_520),
    ("Paris, France", "Bordeaux, France"): (584_550, 20_160),
    ("Paris, France", "Nantes, France"): (385_402, 13_500),
    ("Lyon, France", "Marseille, France"): (314_697, 10_800),
}
CITIES = ["Fort-de-France, Martinique", "Paris, France", "Lyon, France", "Marseille, France", "Lille, France",
          "Bordeaux, France", "Nantes, France"]
POINTS = {"Fort-de-France, Martinique": (14.6161, -61.0588), "Paris, France": (48.8566, 2.3522),
          "Lyon, France": (45.7640, 4.8357), "Marseille, France": (43.2965, 5.3698),
          "Lille, France": (50.6292, 3.0573), "Bordeaux, France": (44.8378, -0.5792),
          "Nantes, France": (47.2184, -1.5536)}


def _city(text: str) -> str:
    """The table city an address names ("" when none)."""
    lowered = text.lower()
    return next((city for city in CITIES if city.split(",")[0].lower() in lowered), "")


def _near(latitude: float, longitude: float) -> str:
    """The table city within 30 km of a point ("" when none)."""
    def km(point: tuple[float, float]) -> float:
        (a, b), (c, d) = map(math.radians, (latitude, longitude)), map(math.radians, point)
        return 6371 * math.acos(min(1.0, math.sin(a) * math.sin(c) + math.cos(a) * math.cos(c) * math.cos(b - d)))
    best = min(POINTS, key=lambda city: km(POINTS[city]))
    return best if km(POINTS[best]) <= 30 else ""


def _duration(seconds: int) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} hour{'s' if hours != 1 else ''} {minutes} mins" if hours else f"{minutes} mins"


def _road(origin: str, destination: str) -> tuple[int, int] | None:
    if origin == destination:
        return 0, 0
    return ROADS.get((origin, destination)) or ROADS.get((destination, origin))


def _element(origin: str, destination: str, imperial: bool) -> dict:
    if not origin or not destination:
        return {"status": "NOT_FOUND"}
    road = _road(origin, destination)
    if road is None:
        return {"status": "ZERO_RESULTS"}
    metres, seconds = road
    text = f"{metres / 1609.344:,.0f} mi" if imperial else f"{metres / 1000:,.0f} km"
    return {"distance": {"text": text, "value": metres}, "duration": {"text": _duration(seconds), "value": seconds},
            "status": "OK"}


# --- The new generation's request schemas, parsed the ProtoJSON way ---------------------------------------
# ProtoJSON (protobuf.dev/programming-guides/json): the parser takes lowerCamelCase or the proto field name,
# null means the default, enums are names or numbers, int32 a number or a numeric string, repeated an array;
# output leaves out default values (so no suggestion is `{}`, a zero distance is left out, an OK status is `{}`).

STRING, BOOL, INT32, DOUBLE = "TYPE_STRING", "TYPE_BOOL", "TYPE_INT32", "TYPE_DOUBLE"


@dataclass(frozen=True)
class Enum:
    """A protobuf enum: its full name and its value names."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Message:
    """A protobuf message: its full name and its fields by JSON name."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Repeated:
    """A repeated field of `of`."""

    of: Any


LAT_LNG = Message("google.type.LatLng", {"latitude": DOUBLE, "longitude": DOUBLE})
# Source: AutocompletePlacesRequest (cloud.google.com/nodejs/docs/reference/places/…/iautocompleteplacesrequest;
# googleapis.dev ruby GoogleMapsPlacesV1AutocompletePlacesRequest): input required, the rest optional.
CIRCLE = Message("google.maps.places.v1.Circle", {"center": LAT_LNG, "radius": DOUBLE})
VIEWPORT = Message("google.geo.type.Viewport", {"low": LAT_LNG, "high": LAT_LNG})
LOCATION_BIAS = Message("google.maps.places.v1.AutocompletePlacesRequest.LocationBias",
                        {"rectangle": VIEWPORT, "circle": CIRCLE})
LOCATION_RESTRICTION = Message("google.maps.places.v1.AutocompletePlacesRequest.LocationRestriction",
                               {"rectangle": VIEWPORT, "circle": CIRCLE})
AUTOCOMPLETE_REQUEST = Message("google.maps.places.v1.AutocompletePlacesRequest", {
    "input": STRING, "locationBias": LOCATION_BIAS, "locationRestriction": LOCATION_RESTRICTION,
    "includedPrimaryTypes": Repeated(STRING), "includedRegionCodes": Repeated(STRING), "languageCode": STRING,
    "regionCode": STRING, "origin": LAT_LNG, "inputOffset": INT32, "includeQueryPredictions": BOOL,
    "sessionToken": STRING, "includePureServiceAreaBusinesses": BOOL,
})
AUTOCOMPLETE_RESPONSE_FIELDS = ("suggestions",)

# Source: developers.google.com/maps/documentation/routes/reference/rest/v2/TopLevel/computeRouteMatrix and
# …/rest/v2/Waypoint (location | placeId | address | navigationPointToken, at most one).
LOCATION = Message("google.maps.routing.v2.Location", {"latLng": LAT_LNG, "heading": INT32})
WAYPOINT = Message("google.maps.routing.v2.Waypoint", {
    "via": BOOL, "vehicleStopover": BOOL, "sideOfRoad": BOOL, "location": LOCATION, "placeId": STRING,
    "address": STRING, "navigationPointToken": STRING,
})
ROUTE_MODIFIERS = Message("google.maps.routing.v2.RouteModifiers", {
    "avoidTolls": BOOL, "avoidHighways": BOOL, "avoidFerries": BOOL, "avoidIndoor": BOOL,
})
TRAVEL_MODE = Enum("google.maps.routing.v2.RouteTravelMode",
                   ("TRAVEL_MODE_UNSPECIFIED", "DRIVE", "BICYCLE", "WALK", "TWO_WHEELER", "TRANSIT"))
ROUTING_PREFERENCE = Enum("google.maps.routing.v2.RoutingPreference",
                          ("ROUTING_PREFERENCE_UNSPECIFIED", "TRAFFIC_UNAWARE", "TRAFFIC_AWARE",
                           "TRAFFIC_AWARE_OPTIMAL"))
UNITS = Enum("google.maps.routing.v2.Units", ("UNITS_UNSPECIFIED", "METRIC", "IMPERIAL"))
TRAFFIC_MODEL = Enum("google.maps.routing.v2.TrafficModel",
                     ("TRAFFIC_MODEL_UNSPECIFIED", "BEST_GUESS", "PESSIMISTIC", "OPTIMISTIC"))
EXTRA_COMPUTATION = Enum("google.maps.routing.v2.ComputeRouteMatrixRequest.ExtraComputation",
                         ("EXTRA_COMPUTATION_UNSPECIFIED", "TOLLS"))
MATRIX_REQUEST = Message("google.maps.routing.v2.ComputeRouteMatrixRequest", {
    "origins": Repeated(Message("google.maps.routing.v2.RouteMatrixOrigin",
                                {"waypoint": WAYPOINT, "routeModifiers": ROUTE_MODIFIERS})),
    "destinations": Repeated(Message("google.maps.routing.v2.RouteMatrixDestination", {"waypoint": WAYPOINT})),
    "travelMode": TRAVEL_MODE, "routingPreference": ROUTING_PREFERENCE, "departureTime": STRING,
    "arrivalTime": STRING, "languageCode": STRING, "regionCode": STRING, "units": UNITS,
    "extraComputations": Repeated(EXTRA_COMPUTATION), "trafficModel": TRAFFIC_MODEL,
})
# RouteMatrixElement (…/computeRouteMatrix, "Response body"): what a field mask may name.
ELEMENT_FIELDS = ("originIndex", "destinationIndex", "status", "condition", "distanceMeters", "duration",
                  "staticDuration", "travelAdvisory", "fallbackInfo", "localizedValues")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _type_name(kind: Any) -> str:
    if isinstance(kind, Repeated):
        return _type_name(kind.of)
    if isinstance(kind, (Message, Enum)):
        return f"type.googleapis.com/{kind.name}"
    return str(kind)


def _invalid(path: str, kind: Any, value: Any) -> dict:
    # The shape Google's JSON parser reports, e.g. "Invalid value at 'message.data[0].value' (TYPE_STRING), 428"
    # (seen in Firebase FCM v1 answers, code index).
    return {"field": path, "description": f"Invalid value at '{path}' ({_type_name(kind)}), {json.dumps(value)}"}


def _numeric(value: Any, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return False
    if not isinstance(value, (int, float)):
        return False
    return not whole or (float(value).is_integer() and -2**31 <= value < 2**31)


SCALARS = {
    STRING: lambda v: isinstance(v, str), BOOL: lambda v: isinstance(v, bool),
    INT32: lambda v: _numeric(v, whole=True), DOUBLE: lambda v: _numeric(v, whole=False),
}


def _parse(value: Any, kind: Any, path: str, problems: list[dict]) -> None:
    """Check `value` against `kind` as Google's ProtoJSON parser does, adding what it refuses to `problems`."""
    if value is None:
        return
    if isinstance(kind, Repeated):
        if not isinstance(value, list):
            problems.append(_invalid(path, kind, value))
            return
        for i, item in enumerate(value):
            _parse(item, kind.of, f"{path}[{i}]", problems)
    elif isinstance(kind, Message):
        if not isinstance(value, dict):
            problems.append(_invalid(path, kind, value))
            return
        for key, item in value.items():
            name = key if key in kind.fields else _camel(key)
            where = f" at '{path}'" if path else ""
            if name not in kind.fields:
                # Source: the 400 of Google APIs for an unknown member, e.g. 'Invalid JSON payload received.
                # Unknown name "autocompleteSearchDebounce": Cannot find field.'
                # (TappNetwork/filament-google-autocomplete-field#41).
                problems.append({"description": f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                                                "Cannot find field."})
                continue
            _parse(item, kind.fields[name], f"{path}.{_snake(name)}" if path else _snake(name), problems)
    elif isinstance(kind, Enum):
        if not ((isinstance(value, str) and value in kind.values) or (isinstance(value, int)
                                                                     and not isinstance(value, bool))):
            problems.append(_invalid(path, kind, value))
    elif not SCALARS[kind](value):
        problems.append(_invalid(path, kind, value))


def _get(body: dict, name: str) -> Any:
    """A field of a parsed body under either of its ProtoJSON names."""
    return body.get(name, body.get(_snake(name)))


# --- Google's error shape -----------------------------------------------------------------------------------
# Source: cloud.google.com/apis/design/errors (google.rpc.Status {code, message, details}; the HTTP mapping
# INVALID_ARGUMENT 400, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429, …) and google.rpc.ErrorInfo /
# google.api.ErrorReason (reason, domain "googleapis.com", metadata service/consumer; SERVICE_DISABLED,
# API_KEY_INVALID, API_KEY_SERVICE_BLOCKED, CREDENTIALS_MISSING:
# cloud.google.com/php/docs/reference/common-protos/latest/Api.ErrorReason).

STATUS_CODES = {"INVALID_ARGUMENT": 400, "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "NOT_FOUND": 404,
                "RESOURCE_EXHAUSTED": 429, "INTERNAL": 500, "UNAVAILABLE": 503}


def rpc_error(status: str, message: str, *details: dict, code: int | None = None) -> Response:
    """An error answer in Google's shape, its HTTP status matching its canonical code."""
    http = code or STATUS_CODES.get(status, 500)
    error: dict[str, Any] = {"code": http, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return Response.json({"error": error}, http)


def error_info(reason: str, service: str, **metadata: str) -> dict:
    """A google.rpc.ErrorInfo detail."""
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": service, **metadata}}


def bad_request(violations: list[dict]) -> Response:
    """400 INVALID_ARGUMENT with a google.rpc.BadRequest listing each violation."""
    return rpc_error("INVALID_ARGUMENT", "\n".join(v["description"] for v in violations),
                     {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations})


def _field_mask(request: Request) -> str | None:
    # Source: computeRouteMatrix reference: the response field mask comes from the `$fields` or `fields` URL
    # parameter or the X-Goog-FieldMask header.
    for name in ("$fields", "fields"):
        if request.query.get(name):
            return request.query[name][0]
    return request.header("x-goog-fieldmask").strip() or None


def _mask_paths(mask: str, top: tuple[str, ...]) -> tuple[list[list[str]], str | None]:
    """The paths of a field mask, or the path that names no field of the answer."""
    paths = [p.strip().split(".") for p in mask.split(",") if p.strip()]
    for path in paths:
        if path != ["*"] and path[0] not in top:
            return paths, ".".join(path)
    return paths, None


def _select(value: Any, paths: list[list[str]]) -> Any:
    """`value` with only the fields the mask's paths name."""
    if any(path == ["*"] or not path for path in paths):
        return value
    if isinstance(value, list):
        return [_select(item, paths) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        below = [path[1:] for path in paths if path[0] == key]
        if below:
            kept[key] = item if any(not rest for rest in below) else _select(item, below)
    return kept


def _unknown_mask_path(path: str) -> Response:
    return bad_request([{"field": "fields", "description": f"Error expanding 'fields' parameter. Cannot find matching "
                                                           f"fields for path '{path}'."}])


class GoogleMapsEmulator(Emulator):
    """Two keys, one per API (as the seed has one key per API), each of a project with its generations enabled."""

    name = "google_maps"

    def __init__(self, places_key: str, matrix_key: str, *, generations: tuple[str, ...] = (NEW, LEGACY)) -> None:
        super().__init__()
        self.places_key = places_key
        self.matrix_key = matrix_key
        # Which generations each key's project has enabled: a key of a project created since 2026 has only NEW.
        self.generations: dict[str, set[str]] = {places_key: set(generations), matrix_key: set(generations)}
        self.business_error: tuple[str, str] | None = None  # (status, error_message) for every keyed legacy call
        # (canonical status, ErrorInfo reason or "", message) for every keyed new-generation call
        self.rpc_failure: tuple[str, str, str] | None = None
        self.route("GET", AUTOCOMPLETE_PATH, self.autocomplete)
        self.route("GET", MATRIX_PATH, self.matrix)
        self.route("POST", re.escape(PLACES_AUTOCOMPLETE_PATH), self.places_autocomplete)
        self.route("POST", re.escape(ROUTE_MATRIX_PATH), self.route_matrix)

    def enable_generations(self, key: str, *generations: str) -> None:
        """Say which generations the project of `key` has enabled: NEW for a new key, LEGACY or both for an old one."""
        unknown = set(generations) - {NEW, LEGACY}
        if unknown:
            raise ValueError(f"unknown generation(s) {sorted(unknown)}")
        self.generations[key] = set(generations)

    @property
    def api_url(self) -> str:
        """The legacy base URL to configure (as https://maps.googleapis.com)."""
        return self.url

    @property
    def places_url(self) -> str:
        """The Places API (New) base URL to configure (as https://places.googleapis.com)."""
        return self.url

    @property
    def routes_url(self) -> str:
        """The Routes API base URL to configure (as https://routes.googleapis.com)."""
        return self.url

    def _project(self, key: str) -> str:
        return f"projects/{100000000001 + [self.places_key, self.matrix_key].index(key)}"

    # --- Legacy ------------------------------------------------------------------------------------------------

    def _denied(self, request: Request, expected: str) -> tuple[str, str] | None:
        key = (request.query.get("key") or [""])[0]
        if not key:
            return "REQUEST_DENIED", NO_KEY
        if self.wrong_credentials or key not in (self.places_key, self.matrix_key):
            return "REQUEST_DENIED", INVALID_KEY
        if LEGACY not in self.generations.get(key, set()):
            return "REQUEST_DENIED", LEGACY_NOT_ENABLED
        if key != expected:
            return "REQUEST_DENIED", WRONG_API
        return self.business_error

    def autocomplete(self, request: Request) -> Response:
        refused = self._denied(request, self.places_key)
        if refused:
            return Response.json({"error_message": refused[1], "predictions": [], "status": refused[0]})
        text = (request.query.get("input") or [""])[0].strip().lower()
        if not text:
            return Response.json({"predictions": [], "status": "INVALID_REQUEST"})
        found = [a for a in ADDRESSES if text in a.lower()][:5]
        predictions = [{"description": a, "place_id": f"ChIJ-sandbox-{ADDRESSES.index(a):03d}",
                        "structured_formatting": {"main_text": a.split(",")[0],
                                                  "secondary_text": ",".join(a.split(",")[1:]).strip()},
                        "terms": [{"offset": 0, "value": part.strip()} for part in a.split(",")],
                        "types": ["locality", "political", "geocode"]}
                       for a in found]
        return Response.json({"predictions": predictions, "status": "OK" if predictions else "ZERO_RESULTS"})

    def matrix(self, request: Request) -> Response:
        empty: dict[str, list] = {"destination_addresses": [], "origin_addresses": [], "rows": []}
        refused = self._denied(request, self.matrix_key)
        if refused:
            return Response.json({**empty, "error_message": refused[1], "status": refused[0]})
        origins = [o for o in (request.query.get("origins") or [""])[0].split("|") if o.strip()]
        destinations = [d for d in (request.query.get("destinations") or [""])[0].split("|") if d.strip()]
        if not origins or not destinations:
            return Response.json({**empty, "error_message": "Invalid request. Missing the 'origins' or "
                                  "'destinations' parameter.", "status": "INVALID_REQUEST"})
        if len(origins) > 25 or len(destinations) > 25:
            return Response.json({**empty, "status": "MAX_DIMENSIONS_EXCEEDED"})
        imperial = (request.query.get("units") or ["metric"])[0] == "imperial"
        starts, ends = [_city(o) for o in origins], [_city(d) for d in destinations]
        return Response.json({
            "destination_addresses": ends, "origin_addresses": starts, "status": "OK",
            "rows": [{"elements": [_element(o, d, imperial) for d in ends]} for o in starts],
        })

    # --- New ---------------------------------------------------------------------------------------------------

    def _refused(self, request: Request, service: str, expected: str) -> Response | None:
        """Google's refusal of the key, or None when the call may go on."""
        # Google APIs take the key in X-Goog-Api-Key or `?key=`; akadmin only ever uses the header.
        key = request.header("x-goog-api-key") or (request.query.get("key") or [""])[0]
        if not key:
            return rpc_error("PERMISSION_DENIED", "The request carries no API key: pass one in X-Goog-Api-Key.",
                             error_info("CREDENTIALS_MISSING", service))
        if self.wrong_credentials or key not in (self.places_key, self.matrix_key):
            # Source: a bad key gets 400 INVALID_ARGUMENT, reason API_KEY_INVALID, domain googleapis.com
            # (continuedev/continue#11759, micr0-dev/lexido#54).
            message = "The API key is not valid: pass a valid API key."
            return rpc_error("INVALID_ARGUMENT", message, error_info("API_KEY_INVALID", service),
                             {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                              "message": message})
        project = self._project(key)
        if NEW not in self.generations.get(key, set()):
            # Source: 403 PERMISSION_DENIED, reason SERVICE_DISABLED, metadata consumer/service/activationUrl
            # (Api.ErrorReason reference; google-gemini/gemini-cli#25226 for activationUrl).
            number = project.split("/")[1]
            url = f"https://console.developers.google.com/apis/api/{service}/overview?project={number}"
            return rpc_error("PERMISSION_DENIED",
                             f"{SERVICE_TITLES[service]} is disabled in project {number}, or was never used there. "
                             f"Enable it at {url}, then retry after a few minutes.",
                             error_info("SERVICE_DISABLED", service, consumer=project, activationUrl=url,
                                        serviceTitle=SERVICE_TITLES[service]))
        if key != expected:
            # The key's API restrictions leave this API out: API_KEY_SERVICE_BLOCKED (google.api.ErrorReason).
            return rpc_error("PERMISSION_DENIED", f"This key may not call {service}: its API restrictions block it.",
                             error_info("API_KEY_SERVICE_BLOCKED", service, consumer=project))
        if self.rpc_failure:
            status, reason, message = self.rpc_failure
            return rpc_error(status, message, *([error_info(reason, service, consumer=project)] if reason else []))
        return None

    def _body(self, request: Request, schema: Message) -> tuple[dict, Response | None]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}, bad_request([{"description": "Invalid JSON payload received. Unexpected token."}])
        problems: list[dict] = []
        _parse(body, schema, "", problems)
        if problems:
            return {}, bad_request(problems)
        return body, None

    def places_autocomplete(self, request: Request) -> Response:
        refused = self._refused(request, PLACES_SERVICE, self.places_key)
        if refused:
            return refused
        # A field mask is optional for Autocomplete (New), unlike the other Places methods (migrate-autocomplete:
        # "Field masks are not required for Autocomplete (New) requests"; v1.PlacesClient reference).
        mask = _field_mask(request)
        paths, unknown = _mask_paths(mask, AUTOCOMPLETE_RESPONSE_FIELDS) if mask else ([["*"]], None)
        if unknown or not paths:
            return _unknown_mask_path(unknown or mask or "")
        body, refusal = self._body(request, AUTOCOMPLETE_REQUEST)
        if refusal:
            return refusal
        text = str(_get(body, "input") or "")
        problems = []
        if not text.strip():
            problems.append({"field": "input", "description": "input is required and must not be empty."})
        if _get(body, "locationBias") is not None and _get(body, "locationRestriction") is not None:
            problems.append({"field": "location_restriction",
                             "description": "Set locationBias or locationRestriction, not both."})
        # At most 5 primary types and 15 region codes (Maps JavaScript AutocompleteRequest reference).
        for name, limit in (("includedPrimaryTypes", 5), ("includedRegionCodes", 15)):
            if len(_get(body, name) or []) > limit:
                problems.append({"field": _snake(name), "description": f"{name} takes at most {limit} values."})
        for name in ("locationBias", "locationRestriction"):
            area = _get(body, name) or {}
            if area.get("circle") is not None and area.get("rectangle") is not None:
                problems.append({"field": _snake(name), "description": f"{name} is a circle or a rectangle, not both."})
        if problems:
            return bad_request(problems)
        regions = {r.lower() for r in _get(body, "includedRegionCodes") or []}
        lowered = text.strip().lower()
        found = [a for a in ADDRESSES if lowered in a.lower()
                 and (not regions or REGIONS.get(a.rsplit(", ", 1)[-1], "") in regions)][:5]
        suggestions = [self._place_prediction(a, lowered) for a in found]
        if _get(body, "includeQueryPredictions"):
            suggestions.append({"queryPrediction": {"text": {"text": text.strip(), "matches": [
                {"endOffset": len(text.strip())}]}}})
        # Source: the response is {suggestions: [{placePrediction{place, placeId, text{text, matches},
        # structuredFormat{mainText, secondaryText}, types}} | {queryPrediction{…}}]} (pub.dev googleapis places_v1
        # GoogleMapsPlacesV1AutocompletePlacesResponse…); ProtoJSON leaves an empty list out, so none is {}.
        answer = {"suggestions": suggestions} if suggestions else {}
        return Response.json(_select(answer, paths))

    @staticmethod
    def _place_prediction(address: str, typed: str) -> dict:
        start = address.lower().find(typed)
        match = {"endOffset": start + len(typed), **({"startOffset": start} if start else {})}  # 0 is left out
        main, _, secondary = address.partition(", ")
        place_id = f"ChIJ-sandbox-{ADDRESSES.index(address):03d}"
        main_match = [match] if start + len(typed) <= len(main) else []
        return {"placePrediction": {
            "place": f"places/{place_id}", "placeId": place_id, "text": {"text": address, "matches": [match]},
            "structuredFormat": {"mainText": {"text": main, **({"matches": main_match} if main_match else {})},
                                 "secondaryText": {"text": secondary}},
            "types": ["locality", "political", "geocode"],
        }}

    def route_matrix(self, request: Request) -> Response:
        refused = self._refused(request, ROUTES_SERVICE, self.matrix_key)
        if refused:
            return refused
        mask = _field_mask(request)
        if not mask:
            # Source: computeRouteMatrix "requires that you specify a response field mask"; Google answers
            # 400 INVALID_ARGUMENT "FieldMask is a required parameter…" (googleapis/google-cloud-node#5970).
            return bad_request([{"field": "fields", "description": "FieldMask is a required parameter: set the "
                                 "X-Goog-FieldMask header, e.g. to originIndex,destinationIndex,status,condition,"
                                 "distanceMeters,duration."}])
        paths, unknown = _mask_paths(mask, ELEMENT_FIELDS)
        if unknown or not paths:
            return _unknown_mask_path(unknown or mask)
        body, refusal = self._body(request, MATRIX_REQUEST)
        if refusal:
            return refusal
        origins = _get(body, "origins") or []
        destinations = _get(body, "destinations") or []
        problems = self._matrix_problems(body, origins, destinations)
        if problems:
            return bad_request(problems)
        starts = [self._place((o or {}).get("waypoint") or {}) for o in origins]
        ends = [self._place((d or {}).get("waypoint") or {}) for d in destinations]
        elements = [self._route(i, start, j, end) for i, start in enumerate(starts) for j, end in enumerate(ends)]
        # The answer is a JSON array (a stream with gRPC) whose order is not the request's: the indices tell the
        # pair ("This proto can be streamed to the client", RouteMatrixElement reference).
        return Response.json([_select(element, paths) for element in reversed(elements)])

    @staticmethod
    def _matrix_problems(body: dict, origins: list, destinations: list) -> list[dict]:
        problems = []
        if not origins or not destinations:
            problems.append({"field": "origins" if not origins else "destinations",
                             "description": "origins and destinations are required."})
        for side, items in (("origins", origins), ("destinations", destinations)):
            for i, item in enumerate(items):
                waypoint = (item or {}).get("waypoint") or {}
                kinds = [k for k in ("location", "placeId", "place_id", "address", "navigationPointToken",
                                     "navigation_point_token") if waypoint.get(k) is not None]
                if len(kinds) != 1:
                    problems.append({"field": f"{side}[{i}].waypoint",
                                     "description": "A waypoint needs exactly one of location, placeId or address."})
        # Size limits (computeRouteMatrix reference, origins[]): at most 625 elements, 100 with TRAFFIC_AWARE_OPTIMAL,
        # 50 waypoints given as placeId or address.
        preference = _get(body, "routingPreference")
        count = len(origins) * len(destinations)
        if count > 625 or (preference == "TRAFFIC_AWARE_OPTIMAL" and count > 100):
            problems.append({"field": "origins", "description": f"Too many elements ({count}) for one route matrix."})
        named = sum(1 for item in origins + destinations
                    if {"placeId", "place_id", "address"} & set((item or {}).get("waypoint") or {}))
        if named > 50:
            problems.append({"field": "origins", "description": "At most 50 waypoints may be a placeId or an address."})
        # routingPreference is only for DRIVE and TWO_WHEELER (ComputeRouteMatrixRequest reference); DRIVE is the
        # default.
        if preference not in (None, "ROUTING_PREFERENCE_UNSPECIFIED", 0) and (
                _get(body, "travelMode") or "DRIVE") not in ("DRIVE", "TWO_WHEELER", 1, 4):
            problems.append({"field": "routing_preference",
                             "description": "routingPreference can only be set with travelMode DRIVE or TWO_WHEELER."})
        return problems

    @staticmethod
    def _place(waypoint: dict) -> str:
        if waypoint.get("address") is not None:
            return _city(str(waypoint["address"]))
        place_id = str(_get(waypoint, "placeId") or "")
        if place_id.startswith("ChIJ-sandbox-") and place_id[13:].isdigit() and int(place_id[13:]) < len(ADDRESSES):
            return _city(ADDRESSES[int(place_id[13:])])
        point = (_get(waypoint.get("location") or {}, "latLng") or {})
        if point:
            return _near(float(point.get("latitude") or 0), float(point.get("longitude") or 0))
        return ""

    @staticmethod
    def _route(i: int, start: str, j: int, end: str) -> dict:
        # RouteMatrixElement (computeRouteMatrix reference): originIndex and destinationIndex are optional int32 in v2,
        # so they are there even when 0; status is a google.rpc.Status ({} when OK); condition ROUTE_EXISTS or
        # ROUTE_NOT_FOUND (RouteMatrixElementCondition); duration a Duration string such as "16380s".
        element: dict[str, Any] = {"originIndex": i, "destinationIndex": j}
        if not start or not end:
            return {**element, "status": {"code": 5, "message": "The origin or the destination could not be found."}}
        road = _road(start, end)
        if road is None:
            return {**element, "status": {}, "condition": "ROUTE_NOT_FOUND"}
        metres, seconds = road
        return {**element, "status": {}, "condition": "ROUTE_EXISTS", **({"distanceMeters": metres} if metres else {}),
                "duration": f"{seconds}s", "staticDuration": f"{seconds}s"}
