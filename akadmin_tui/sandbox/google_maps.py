"""Google Maps Place Autocomplete and Distance Matrix (legacy), as CONNECTORS.md §8 describes them."""

from __future__ import annotations

from .server import Emulator, Request, Response

AUTOCOMPLETE_PATH = "/maps/api/place/autocomplete/json"
MATRIX_PATH = "/maps/api/distancematrix/json"
INVALID_KEY = "The provided API key is invalid. "
NO_KEY = ("You must use an API key to authenticate each request to Google Maps Platform APIs. "
          "For additional information, please refer to http://g.co/dev/maps-no-account")
WRONG_API = "This API key is not authorized to use this service or API."

ADDRESSES = [
    "Paris, France", "Paris 15e Arrondissement, Paris, France", "Gare de Lyon, Paris, France",
    "Lyon, France", "Marseille, France", "Lille, France", "Bordeaux, France", "Nantes, France",
    "Fort-de-France, Martinique",
]
# Metres and seconds by road; a pair absent from the table has no route (ZERO_RESULTS).
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


def _city(text: str) -> str:
    """The table city an address names ("" when none)."""
    lowered = text.lower()
    return next((city for city in CITIES if city.split(",")[0].lower() in lowered), "")


def _duration(seconds: int) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} hour{'s' if hours != 1 else ''} {minutes} mins" if hours else f"{minutes} mins"


def _element(origin: str, destination: str, imperial: bool) -> dict:
    if not origin or not destination:
        return {"status": "NOT_FOUND"}
    if origin == destination:
        metres, seconds = 0, 0
    elif (origin, destination) in ROADS or (destination, origin) in ROADS:
        metres, seconds = ROADS.get((origin, destination)) or ROADS[(destination, origin)]
    else:
        return {"status": "ZERO_RESULTS"}
    text = f"{metres / 1609.344:,.0f} mi" if imperial else f"{metres / 1000:,.0f} km"
    return {"distance": {"text": text, "value": metres}, "duration": {"text": _duration(seconds), "value": seconds},
            "status": "OK"}


class GoogleMapsEmulator(Emulator):
    """One key per API; a wrong key gets HTTP 200 with status REQUEST_DENIED, as Google answers."""

    name = "google_maps"

    def __init__(self, places_key: str, matrix_key: str) -> None:
        super().__init__()
        self.places_key = places_key
        self.matrix_key = matrix_key
        self.business_error: tuple[str, str] | None = None  # (status, error_message) for every keyed call
        self.route("GET", AUTOCOMPLETE_PATH, self.autocomplete)
        self.route("GET", MATRIX_PATH, self.matrix)

    @property
    def api_url(self) -> str:
        """The base URL to configure (as https://maps.googleapis.com)."""
        return self.url

    def _denied(self, request: Request, expected: str) -> tuple[str, str] | None:
        key = (request.query.get("key") or [""])[0]
        if not key:
            return "REQUEST_DENIED", NO_KEY
        if self.wrong_credentials or key not in (self.places_key, self.matrix_key):
            return "REQUEST_DENIED", INVALID_KEY
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
        predictions = [{"description": a, "place_id": f"ChIJ-sandbox-{i:03d}",
                        "structured_formatting": {"main_text": a.split(",")[0],
                                                  "secondary_text": ",".join(a.split(",")[1:]).strip()},
                        "terms": [{"offset": 0, "value": part.strip()} for part in a.split(",")],
                        "types": ["locality", "political", "geocode"]}
                       for i, a in enumerate(found)]
        return Response.json({"predictions": predictions, "status": "OK" if predictions else "ZERO_RESULTS"})

    def matrix(self, request: Request) -> Response:
        empty = {"destination_addresses": [], "origin_addresses": [], "rows": []}
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
