"""The Google Maps Tests and try-it helpers against the emulator, in both API generations."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import httpx
import pytest

from akadmin_tui.connectors import google_maps as gm
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.registry import run_section_test
from akadmin_tui.connectors.try_its import run_try
from akadmin_tui.sandbox.google_maps import (
    PLACES_AUTOCOMPLETE_PATH,
    ROUTE_MATRIX_PATH,
    GoogleMapsEmulator,
)
from akadmin_tui.sandbox.server import Fault, Response
from akadmin_tui.settings import schema

NEW, LEGACY = gm.NEW, gm.LEGACY
PLACES_KEY = "AIzaSy-sandbox-places-0123456789"
MATRIX_KEY = "AIzaSy-sandbox+matrix/key=="  # characters a query string encodes, to check those are masked too
WRONG = "AIzaSy-not-the-key-000"
SECRETS = [s for key in (PLACES_KEY, MATRIX_KEY, WRONG) for s in (key, quote_plus(key), quote(key, safe=""))]
NEW_PATHS = (PLACES_AUTOCOMPLETE_PATH, ROUTE_MATRIX_PATH)


def assert_no_secret(result) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, leaked


def assert_no_key_in_new_urls(emulator: GoogleMapsEmulator) -> None:
    """The new generation sends the key in its header only: never in a URL, as Google allows but akadmin avoids."""
    for call in emulator.calls:
        if call.path in NEW_PATHS:
            assert "key" not in call.query and not [s for s in SECRETS if s in call.path], call


@pytest.fixture
def emulator():
    server = GoogleMapsEmulator(PLACES_KEY, MATRIX_KEY)
    server.start()
    yield server
    assert_no_key_in_new_urls(server)
    server.stop()


def account(emulator: GoogleMapsEmulator, key: str, generation: str = NEW, **urls: str) -> gm.GoogleMapsAccount:
    return gm.GoogleMapsAccount(urls.get("base_url", emulator.api_url), key, generation,
                                urls.get("places_url", emulator.places_url), urls.get("routes_url", emulator.routes_url))


async def places(emulator, key: str = PLACES_KEY, generation: str = NEW, **kwargs):
    async with make_client() as client:
        result = await gm.test_place_autocomplete(account(emulator, key, generation), client, **kwargs)
    assert_no_secret(result)
    return result


async def matrix(emulator, key: str = MATRIX_KEY, generation: str = NEW, **kwargs):
    async with make_client() as client:
        result = await gm.test_distance_matrix(account(emulator, key, generation), client, **kwargs)
    assert_no_secret(result)
    return result


async def post(url: str, body, key: str = PLACES_KEY, mask: str | None = None) -> httpx.Response:
    headers = {"X-Goog-Api-Key": key, **({"X-Goog-FieldMask": mask} if mask is not None else {})}
    async with httpx.AsyncClient() as client:
        return await client.post(url, headers=headers, content=json.dumps(body))


def rpc(response: httpx.Response) -> dict:
    """The error of a new-generation answer, checked to have Google's shape."""
    error = response.json()["error"]
    assert error["code"] == response.status_code and isinstance(error["message"], str), error
    return error


def reason(error: dict) -> str:
    infos = [d for d in error.get("details", []) if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"]
    assert infos and infos[0]["domain"] == "googleapis.com", error
    return infos[0]["reason"]


# --- Settings and accounts ---------------------------------------------------------------------------------

def test_default_urls_and_generation() -> None:
    account = gm.GoogleMapsAccount(key=PLACES_KEY)
    assert account.generation == NEW
    assert account.api("/x", a="1") == f"https://maps.googleapis.com/x?a=1&key={PLACES_KEY}"
    assert account.places() == "https://places.googleapis.com/v1/places:autocomplete"
    assert account.routes() == "https://routes.googleapis.com/distanceMatrix/v2:computeRouteMatrix"
    assert account.headers() == {"X-Goog-Api-Key": PLACES_KEY}


def test_the_section_has_an_api_generation_choice_defaulting_to_new() -> None:
    field = schema.GOOGLE_API.field("api_generation")
    assert (field.label, field.choices, field.default) == ("API generation", ("new", "legacy"), "new")
    assert "2026" in field.help and "legacy" in field.help
    defaults = schema.GOOGLE_API.defaults()
    assert defaults["places_url"] == gm.PLACES_URL and defaults["routes_url"] == gm.ROUTES_URL
    assert defaults["api_url"] == gm.DEFAULT_URL
    saved = gm.GoogleMapsAccount.from_settings({**defaults, "api_generation": "legacy"}, PLACES_KEY)
    assert (saved.generation, saved.base_url, saved.places_url, saved.key) == (LEGACY, gm.DEFAULT_URL, gm.PLACES_URL,
                                                                               PLACES_KEY)
    assert gm.GoogleMapsAccount.from_settings({}, None) == gm.GoogleMapsAccount()


# --- The new generation, a key of a new project -------------------------------------------------------------

@pytest.fixture
def new_key_emulator(emulator):
    """Keys of projects created since 2026: the legacy APIs are not enabled, and cannot be."""
    emulator.enable_generations(PLACES_KEY, NEW)
    emulator.enable_generations(MATRIX_KEY, NEW)
    return emulator


async def test_places_new_with_a_new_key(new_key_emulator) -> None:
    result = await places(new_key_emulator)
    assert result.passed and result.section == "place_autocomplete", result.to_text()
    assert [s.name for s in result.steps] == ["Places API (New)"]
    step = result.steps[0]
    assert step.detail == "Places API (New) answered: 3 suggestion(s), first: Paris, France"
    assert step.request.endswith("/v1/places:autocomplete  [X-Goog-Api-Key: ********]") and "?" not in step.request
    call = new_key_emulator.calls[-1]
    assert (call.method, call.path, call.query) == ("POST", PLACES_AUTOCOMPLETE_PATH, {})
    assert call.header("x-goog-api-key") == PLACES_KEY and "x-goog-fieldmask" not in call.headers
    assert call.json() == {"input": "Paris"} and call.header("content-type") == "application/json"


async def test_places_new_without_a_suggestion_still_proves_the_key(new_key_emulator) -> None:
    result = await places(new_key_emulator, text="Zzyzx")
    assert result.passed
    assert result.steps[0].detail == "Places API (New) answered: the key works, no suggestion for this text"


async def test_routes_with_a_new_key(new_key_emulator) -> None:
    result = await matrix(new_key_emulator)
    assert result.passed and result.section == "distance_matrix", result.to_text()
    step = result.steps[0]
    assert step.name == "Routes API"
    assert step.detail == "Routes API answered: Paris, France → Lyon, France: 465 km (4 hours 33 mins)"
    assert "[X-Goog-Api-Key: ********; X-Goog-FieldMask: originIndex,destinationIndex,status," in step.request
    call = new_key_emulator.calls[-1]
    assert call.path == ROUTE_MATRIX_PATH and call.header("x-goog-api-key") == MATRIX_KEY
    assert call.header("x-goog-fieldmask") == gm.MATRIX_FIELDS and "status" in gm.MATRIX_FIELDS.split(",")
    assert call.json() == {"origins": [{"waypoint": {"address": "Paris, France"}}],
                           "destinations": [{"waypoint": {"address": "Lyon, France"}}],
                           "travelMode": "DRIVE", "routingPreference": "TRAFFIC_UNAWARE"}


async def test_routes_without_a_route_still_proves_the_key(new_key_emulator) -> None:
    result = await matrix(new_key_emulator, destination="Fort-de-France, Martinique")
    assert result.passed, result.to_text()
    assert result.steps[0].detail == ("Routes API answered, the key works, but: Google found no route between "
                                      "Paris, France and Fort-de-France, Martinique (ROUTE_NOT_FOUND).")


async def test_routes_with_an_address_google_cannot_find_still_proves_the_key(new_key_emulator) -> None:
    result = await matrix(new_key_emulator, destination="Atlantis")
    assert result.passed and "could not find the origin or the destination address (NOT_FOUND" in result.steps[0].detail


# --- The legacy generation, a key of an old project -----------------------------------------------------------

@pytest.fixture
def old_key_emulator(emulator):
    """Keys of projects that enabled the legacy APIs long ago, and never Places API (New) nor the Routes API."""
    emulator.enable_generations(PLACES_KEY, LEGACY)
    emulator.enable_generations(MATRIX_KEY, LEGACY)
    return emulator


async def test_place_autocomplete_legacy_with_an_old_key(old_key_emulator) -> None:
    result = await places(old_key_emulator, generation=LEGACY)
    assert result.passed and result.target == old_key_emulator.api_url, result.to_text()
    step = result.steps[0]
    assert step.name == "Place Autocomplete (legacy)"
    assert step.detail == "Place Autocomplete (legacy) answered status OK, 3 suggestion(s), first: Paris, France"
    assert step.request.endswith("/maps/api/place/autocomplete/json?input=Paris&key=********")
    call = old_key_emulator.calls[-1]
    assert call.query["key"] == [PLACES_KEY] and call.query["input"] == ["Paris"]


async def test_place_autocomplete_legacy_zero_results_still_proves_the_key(old_key_emulator) -> None:
    result = await places(old_key_emulator, generation=LEGACY, text="Zzyzx")
    assert result.passed and "answered status ZERO_RESULTS: the key works" in result.steps[0].detail


async def test_distance_matrix_legacy_with_an_old_key(old_key_emulator) -> None:
    result = await matrix(old_key_emulator, generation=LEGACY)
    assert result.passed, result.to_text()
    step = result.steps[0]
    assert step.detail == "Distance Matrix (legacy) answered: Paris, France → Lyon, France: 465 km (4 hours 33 mins)"
    assert "key=********" in step.request and "units=metric" in step.request
    call = old_key_emulator.calls[-1]
    assert call.query["key"] == [MATRIX_KEY] and call.query["origins"] == ["Paris, France"]


async def test_distance_matrix_legacy_without_a_route_still_proves_the_key(old_key_emulator) -> None:
    result = await matrix(old_key_emulator, generation=LEGACY, destination="Fort-de-France, Martinique")
    assert result.passed and "the key works, but: Google found no route" in result.steps[0].detail


@pytest.mark.parametrize("run", [places, matrix])
async def test_an_old_key_whose_project_has_both_generations_passes_with_new_in_one_call(emulator, run) -> None:
    result = await run(emulator)
    assert result.passed and len(result.steps) == 1 and len(emulator.calls) == 1


# --- A key refused by the configured generation: the other one is tried once -----------------------------------

@pytest.mark.parametrize("run, service_words, advice", [
    (places, "Places API (New) is not enabled on the key's project (403 PERMISSION_DENIED, SERVICE_DISABLED)",
     ("This key works with the legacy Place Autocomplete: set API generation to legacy, or enable Places API (New) "
      "on its project.")),
    (matrix, "The Routes API is not enabled on the key's project (403 PERMISSION_DENIED, SERVICE_DISABLED)",
     ("This key works with the legacy Distance Matrix: set API generation to legacy, or enable the Routes API on its "
      "project.")),
])
async def test_an_old_key_with_generation_new_is_told_to_switch_to_legacy(old_key_emulator, run, service_words: str,
                                                                           advice: str) -> None:
    result = await run(old_key_emulator, generation=NEW)
    assert not result.passed
    first, second, verdict = result.steps
    assert first.detail == "HTTP 403" and first.diagnosis.startswith(service_words), first.diagnosis
    assert second.passed and second.name.endswith("(legacy), the other generation")
    assert "(legacy) answered" in second.detail
    assert (verdict.name, verdict.diagnosis) == ("API generation", advice)
    assert len(old_key_emulator.calls) == 2  # once each: no retry loop


@pytest.mark.parametrize("run, name", [(places, "Places API (New)"), (matrix, "Routes API")])
async def test_a_new_key_with_generation_legacy_is_told_to_switch_to_new(new_key_emulator, run, name: str) -> None:
    result = await run(new_key_emulator, generation=LEGACY)
    assert not result.passed
    first, second, verdict = result.steps
    assert first.detail == "HTTP 200" and "REQUEST_DENIED" in first.diagnosis
    assert "the key's project has not enabled it, and new Google Cloud projects no longer can" in first.diagnosis
    assert second.passed and second.name == f"{name}, the other generation" and f"{name} answered" in second.detail
    assert verdict.name == "API generation"
    assert verdict.diagnosis.startswith(f"This key works with {name}, not with the legacy ")
    assert "set API generation to new (keys of projects created since 2026 only work with the new generation)" in (
        verdict.diagnosis)
    assert len(new_key_emulator.calls) == 2


@pytest.mark.parametrize("generation, first_words", [
    (NEW, "The key's API restrictions do not allow the Routes API (403 PERMISSION_DENIED, API_KEY_SERVICE_BLOCKED)"),
    (LEGACY, "REQUEST_DENIED: This API key is not authorized to use this service or API)"),
])
async def test_a_key_restricted_to_another_api_is_refused_by_both_generations(emulator, generation: str,
                                                                               first_words: str) -> None:
    result = await matrix(emulator, PLACES_KEY, generation)
    first, second, verdict = result.steps
    assert first_words in first.diagnosis and not second.passed
    assert verdict.diagnosis.startswith("Neither generation is open to this key: enable the Routes API")


async def test_a_key_blocked_for_places_new_but_good_for_legacy_is_told_about_its_restrictions(emulator) -> None:
    emulator.enable_generations(MATRIX_KEY, NEW, LEGACY)
    result = await places(emulator, MATRIX_KEY, NEW)  # the matrix key is restricted to the Routes API
    assert "API_KEY_SERVICE_BLOCKED" in result.steps[0].diagnosis
    assert result.steps[-1].diagnosis.startswith("Neither generation")  # its legacy call is restricted too


@pytest.mark.parametrize("run", [places, matrix])
@pytest.mark.parametrize("generation", [NEW, LEGACY])
async def test_an_unknown_key_is_not_retried_with_the_other_generation(emulator, run, generation: str) -> None:
    result = await run(emulator, WRONG, generation)
    assert [s.name for s in result.steps] == [gm.API_NAMES[(gm.PLACES if run is places else gm.ROUTES, generation)]]
    assert len(emulator.calls) == 1
    step = result.failed_step
    if generation == NEW:
        assert step.detail == "HTTP 400"
        assert "Google does not know this API key (400 INVALID_ARGUMENT, API_KEY_INVALID" in step.diagnosis
    else:
        assert step.detail == "HTTP 200" and "REQUEST_DENIED: The provided API key is invalid)" in step.diagnosis
        assert "Check the API key" in step.diagnosis


async def test_a_legacy_ip_restriction_is_not_a_generation_problem(emulator) -> None:
    said = "This IP, site or mobile application is not authorized to use this API key. Request received from 192.0.2.7"
    emulator.business_error = ("REQUEST_DENIED", said)
    result = await places(emulator, generation=LEGACY)
    assert len(result.steps) == 1
    assert "REQUEST_DENIED: This IP, site or mobile application" in result.failed_step.diagnosis


@pytest.mark.parametrize("generation, expected", [
    (NEW, "Google refused the key (403 PERMISSION_DENIED, CREDENTIALS_MISSING)"),
    (LEGACY, "REQUEST_DENIED: You must use an API key"),
])
async def test_no_key(emulator, generation: str, expected: str) -> None:
    assert expected in (await places(emulator, "", generation)).failed_step.diagnosis


@pytest.mark.parametrize("run", [places, matrix])
@pytest.mark.parametrize("generation, expected", [(NEW, "API_KEY_INVALID"), (LEGACY, "REQUEST_DENIED")])
async def test_wrong_credentials_fault(emulator, run, generation: str, expected: str) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    assert expected in (await run(emulator, generation=generation)).failed_step.diagnosis


# --- Other errors -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, message, expected", [
    ("OVER_QUERY_LIMIT", "You have exceeded your rate-limit for this API.", "a limit is reached (OVER_QUERY_LIMIT: You"),
    ("OVER_DAILY_LIMIT", "", "a limit is reached (OVER_DAILY_LIMIT)"),
    ("INVALID_REQUEST", "", "the request is invalid (INVALID_REQUEST)"),
    ("UNKNOWN_ERROR", "", "server error (UNKNOWN_ERROR)"),
])
@pytest.mark.parametrize("run", [places, matrix])
async def test_legacy_business_errors(emulator, run, status: str, message: str, expected: str) -> None:
    emulator.business_error = (status, message)
    result = await run(emulator, generation=LEGACY)
    assert expected in result.failed_step.diagnosis and len(result.steps) == 1


@pytest.mark.parametrize("failure, expected", [
    (("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for requests per minute."),
     ("Google says a quota is reached (429 RESOURCE_EXHAUSTED, RATE_LIMIT_EXCEEDED: Quota exceeded for requests per "
      "minute)")),
    (("PERMISSION_DENIED", "BILLING_DISABLED", "Billing is disabled."), "Billing is off on the key's project (403"),
    (("PERMISSION_DENIED", "API_KEY_IP_ADDRESS_BLOCKED", "Requests from this IP are blocked."),
     "The key's application restrictions refuse this server (403 PERMISSION_DENIED, API_KEY_IP_ADDRESS_BLOCKED)"),
    (("INTERNAL", "", "Internal error."), "Google failed (500 INTERNAL: Internal error)"),
])
@pytest.mark.parametrize("run", [places, matrix])
async def test_new_generation_errors_in_googles_shape(emulator, run, failure, expected: str) -> None:
    emulator.rpc_failure = failure
    result = await run(emulator)
    assert expected in result.failed_step.diagnosis, result.to_text()
    assert len(result.steps) == 1  # a quota or billing problem is not a generation problem


@pytest.mark.parametrize("run", [places, matrix])
@pytest.mark.parametrize("generation", [NEW, LEGACY])
@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, run, generation: str, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    assert expected in (await run(emulator, generation=generation)).failed_step.diagnosis


@pytest.mark.parametrize("generation", [NEW, LEGACY])
async def test_not_found_masks_the_key_in_the_diagnosis(emulator, generation: str) -> None:
    wrong = account(emulator, MATRIX_KEY, generation, base_url=emulator.url + "/nope", routes_url=emulator.url + "/nope")
    async with make_client() as client:
        result = await gm.test_distance_matrix(wrong, client)
    assert_no_secret(result)
    assert "(404): check the URL" in result.failed_step.diagnosis


async def test_not_google_at_all(emulator) -> None:
    emulator.route("GET", "/other/maps/api/place/autocomplete/json", lambda request: Response.json({"hello": "world"}))
    emulator.route("POST", "/other/v1/places:autocomplete", lambda request: Response.json({"hello": "world"}))
    emulator.route("POST", "/other/distanceMatrix/v2:computeRouteMatrix", lambda request: Response.json({"rows": []}))
    other = emulator.url + "/other"
    async with make_client() as client:
        legacy = await gm.test_place_autocomplete(account(emulator, PLACES_KEY, LEGACY, base_url=other), client)
        new = await gm.test_place_autocomplete(account(emulator, PLACES_KEY, NEW, places_url=other), client)
        routes = await gm.test_distance_matrix(account(emulator, MATRIX_KEY, NEW, routes_url=other), client)
    assert "The answer has no status" in legacy.failed_step.diagnosis
    assert "The answer is not Places API (New)'s (it has hello)" in new.failed_step.diagnosis
    assert "The answer is not a route matrix" in routes.failed_step.diagnosis


# --- Keys never shown, never in a new-generation URL ------------------------------------------------------------

async def test_the_key_never_appears_in_a_message_or_a_new_generation_url(emulator) -> None:
    results = [await places(emulator), await matrix(emulator)]
    results += [await places(emulator, WRONG), await matrix(emulator, WRONG)]
    emulator.enable_generations(MATRIX_KEY, LEGACY)
    results.append(await matrix(emulator))  # SERVICE_DISABLED, then the legacy call with the key in its query
    for fault in (Fault.BURST_429, Fault.MALFORMED):
        emulator.set_fault(fault)
        results.append(await places(emulator))
    emulator.set_fault(Fault.NONE)
    for result in results:
        assert_no_secret(result)
        for step in result.steps:
            if step.request.startswith("POST"):
                assert "key=" not in step.request and "X-Goog-Api-Key: ********" in step.request
    assert_no_key_in_new_urls(emulator)
    assert {c.path for c in emulator.calls} >= set(NEW_PATHS)
    async with make_client() as client:
        with pytest.raises(gm.GoogleMapsError) as raised:
            await gm.distance_km(account(emulator, WRONG), client, "Paris", "Lyon")
    assert not [s for s in SECRETS if s in str(raised.value)]


# --- The try-it helpers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("generation", [NEW, LEGACY])
async def test_suggest(emulator, generation: str) -> None:
    places_account = account(emulator, PLACES_KEY, generation)
    async with make_client() as client:
        assert await gm.suggest(places_account, client, "lyon") == ["Gare de Lyon, Paris, France", "Lyon, France"]
        assert await gm.suggest(places_account, client, "Zzyzx") == []


@pytest.mark.parametrize("generation", [NEW, LEGACY])
async def test_distance_km(emulator, generation: str) -> None:
    matrix_account = account(emulator, MATRIX_KEY, generation)
    async with make_client() as client:
        assert await gm.distance_km(matrix_account, client, "Paris", "Lyon") == 465.312
        assert await gm.distance_km(matrix_account, client, "10 rue de la République, Marseille", "Lyon") == 314.697
        assert await gm.distance_km(matrix_account, client, "Paris", "Paris, France") == 0


@pytest.mark.parametrize("helper, key, generation, args, fault, expected", [
    ("suggest", WRONG, LEGACY, ("Paris",), Fault.NONE, "REQUEST_DENIED: The provided API key is invalid)"),
    ("suggest", WRONG, NEW, ("Paris",), Fault.NONE, "400 INVALID_ARGUMENT, API_KEY_INVALID"),
    ("suggest", PLACES_KEY, LEGACY, ("",), Fault.NONE, "INVALID_REQUEST"),
    ("suggest", PLACES_KEY, NEW, ("",), Fault.NONE, "Google refused the request as invalid (400 INVALID_ARGUMENT"),
    ("suggest", PLACES_KEY, NEW, ("Paris",), Fault.DROP, "closed the connection"),
    ("distance_km", WRONG, LEGACY, ("Paris", "Lyon"), Fault.NONE, "REQUEST_DENIED"),
    ("distance_km", MATRIX_KEY, LEGACY, ("Paris", "Atlantis"), Fault.NONE, "could not find the origin or the"),
    ("distance_km", MATRIX_KEY, NEW, ("Paris", "Atlantis"), Fault.NONE, "could not find the origin or the"),
    ("distance_km", MATRIX_KEY, LEGACY, ("Paris", "Fort-de-France"), Fault.NONE,
     "no route between Paris, France and Fort-de-France, Martinique (ZERO_RESULTS)"),
    ("distance_km", MATRIX_KEY, NEW, ("Paris", "Fort-de-France"), Fault.NONE,
     "no route between Paris and Fort-de-France (ROUTE_NOT_FOUND)"),
    ("distance_km", MATRIX_KEY, NEW, ("Paris", "Lyon"), Fault.ERROR_503, "The service failed (503)"),
    ("distance_km", MATRIX_KEY, LEGACY, ("Paris", "Lyon"), Fault.MALFORMED, "The answer is not JSON"),
])
async def test_helpers_raise_clear_errors(emulator, helper: str, key: str, generation: str, args: tuple, fault: Fault,
                                          expected: str) -> None:
    emulator.set_fault(fault)
    async with make_client() as client:
        with pytest.raises(gm.GoogleMapsError) as raised:
            await getattr(gm, helper)(account(emulator, key, generation), client, *args)
    assert expected in str(raised.value)
    assert not [s for s in SECRETS if s in str(raised.value)]


async def test_a_helper_refused_by_its_generation_points_to_the_test(emulator) -> None:
    emulator.enable_generations(PLACES_KEY, LEGACY)
    async with make_client() as client:
        with pytest.raises(gm.GoogleMapsError) as raised:
            await gm.suggest(account(emulator, PLACES_KEY, NEW), client, "Paris")
    assert "SERVICE_DISABLED" in str(raised.value) and "the other API generation" in str(raised.value)


# --- Through the saved settings (the demo sandbox) ----------------------------------------------------------------

async def test_the_section_test_and_try_it_follow_the_saved_generation(editor, sandbox) -> None:
    keys = editor.values(schema.GOOGLE_API)
    assert keys["api_generation"] == NEW  # the demo keeps the default
    result = await run_section_test("google_api", editor)
    assert result.passed and [s.name for s in result.steps] == [
        "Place Autocomplete: Places API (New)", "Distance Matrix: Routes API"], result.to_text()
    assert "Distance: 465.3 km" in await run_try("google_api", editor, ["Paris", "Lyon"])

    editor.apply(schema.GOOGLE_API, None, {"api_generation": LEGACY})
    result = await run_section_test("google_api", editor)
    assert result.passed and [s.name for s in result.steps] == [
        "Place Autocomplete: Place Autocomplete (legacy)", "Distance Matrix: Distance Matrix (legacy)"]

    for key in ("place_autocomplete_key", "distance_matrix_key"):  # keys created today: Google's new generation only
        sandbox.google_maps.enable_generations(keys[key], NEW)
    result = await run_section_test("google_api", editor)
    advice = [s.diagnosis for s in result.steps if s.name.endswith(": API generation")]
    assert len(advice) == 2 and all("set API generation to new" in a for a in advice), result.to_text()


# --- The emulator is as strict as Google -------------------------------------------------------------------------

async def test_places_new_refuses_unknown_fields_with_googles_400(emulator) -> None:
    response = await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, {"input": "Paris", "types": ["locality"]})
    error = rpc(response)
    assert (response.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == 'Invalid JSON payload received. Unknown name "types": Cannot find field.'
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert error["details"][0]["fieldViolations"] == [{"description": error["message"]}]


async def test_routes_refuses_a_nested_unknown_field(emulator) -> None:
    body = {"origins": [{"waypoint": {"address": "Paris", "city": "Paris"}}],
            "destinations": [{"waypoint": {"address": "Lyon"}}]}
    error = rpc(await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY, gm.MATRIX_FIELDS))
    assert error["message"] == ('Invalid JSON payload received. Unknown name "city" at \'origins[0].waypoint\': '
                                "Cannot find field.")


@pytest.mark.parametrize("path, body, expected", [
    (PLACES_AUTOCOMPLETE_PATH, {"input": 5}, "Invalid value at 'input' (TYPE_STRING), 5"),
    (PLACES_AUTOCOMPLETE_PATH, {"input": "Paris", "includeQueryPredictions": "yes"},
     "Invalid value at 'include_query_predictions' (TYPE_BOOL), \"yes\""),
    (PLACES_AUTOCOMPLETE_PATH, {"input": "Paris", "includedRegionCodes": "fr"},
     "Invalid value at 'included_region_codes' (TYPE_STRING), \"fr\""),
    (PLACES_AUTOCOMPLETE_PATH, {"input": "Paris", "locationBias": "Paris"},
     ("Invalid value at 'location_bias' "
      "(type.googleapis.com/google.maps.places.v1.AutocompletePlacesRequest.LocationBias)")),
    (ROUTE_MATRIX_PATH, {"origins": [{"waypoint": {"address": "Paris"}}],
                         "destinations": [{"waypoint": {"address": "Lyon"}}], "travelMode": "CAR"},
     "Invalid value at 'travel_mode' (type.googleapis.com/google.maps.routing.v2.RouteTravelMode), \"CAR\""),
    (ROUTE_MATRIX_PATH, {"origins": [{"waypoint": {"location": {"latLng": {"latitude": "north"}}}}],
                         "destinations": [{"waypoint": {"address": "Lyon"}}]},
     "Invalid value at 'origins[0].waypoint.location.lat_lng.latitude' (TYPE_DOUBLE), \"north\""),
])
async def test_wrong_types_are_refused_with_googles_400(emulator, path: str, body: dict, expected: str) -> None:
    key, mask = (PLACES_KEY, None) if path == PLACES_AUTOCOMPLETE_PATH else (MATRIX_KEY, gm.MATRIX_FIELDS)
    response = await post(emulator.url + path, body, key, mask)
    error = rpc(response)
    assert (response.status_code, error["status"]) == (400, "INVALID_ARGUMENT") and expected in error["message"], error


@pytest.mark.parametrize("body, expected", [
    ({}, "input is required"),
    ({"input": "Paris", "locationBias": {"circle": {"radius": 5000}}, "locationRestriction": {"circle": {"radius": 1}}},
     "not both"),
    ({"input": "Paris", "includedPrimaryTypes": ["a", "b", "c", "d", "e", "f"]}, "at most 5"),
])
async def test_places_new_refuses_bad_values(emulator, body: dict, expected: str) -> None:
    error = rpc(await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, body))
    assert error["status"] == "INVALID_ARGUMENT" and expected in error["message"]


async def test_places_new_takes_proto_field_names_nulls_and_no_field_mask(emulator) -> None:
    response = await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH,
                          {"input": "Lyon", "language_code": "fr", "sessionToken": None, "includedRegionCodes": ["fr"],
                           "includeQueryPredictions": True})
    assert response.status_code == 200, response.text
    suggestions = response.json()["suggestions"]
    prediction = suggestions[0]["placePrediction"]
    assert prediction["text"] == {"text": "Gare de Lyon, Paris, France", "matches": [{"startOffset": 8, "endOffset": 12}]}
    assert prediction["placeId"] == prediction["place"].removeprefix("places/")
    assert suggestions[-1] == {"queryPrediction": {"text": {"text": "Lyon", "matches": [{"endOffset": 4}]}}}
    none = await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, {"input": "Zzyzx"})
    assert none.json() == {}  # ProtoJSON leaves an empty list out


async def test_places_new_applies_an_optional_field_mask(emulator) -> None:
    response = await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, {"input": "Lyon"},
                          mask="suggestions.placePrediction.text.text")
    assert response.json() == {"suggestions": [{"placePrediction": {"text": {"text": "Gare de Lyon, Paris, France"}}},
                                               {"placePrediction": {"text": {"text": "Lyon, France"}}}]}
    assert rpc(await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, {"input": "Lyon"}, mask="places.id"))[
        "status"] == "INVALID_ARGUMENT"


async def test_routes_needs_a_field_mask(emulator) -> None:
    body = {"origins": [{"waypoint": {"address": "Paris"}}], "destinations": [{"waypoint": {"address": "Lyon"}}]}
    response = await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY)
    error = rpc(response)
    assert (response.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("FieldMask is a required parameter")
    unknown = rpc(await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY, "routes.distanceMeters"))
    assert "Cannot find matching fields for path 'routes.distanceMeters'" in unknown["message"]


async def test_routes_answers_an_array_of_indexed_elements_with_only_the_masked_fields(emulator) -> None:
    body = {"origins": [{"waypoint": {"address": "Paris"}}, {"waypoint": {"location": {"latLng": {
        "latitude": 45.76, "longitude": 4.84}}}}], "destinations": [{"waypoint": {"address": "Lyon"}},
                                                                    {"waypoint": {"placeId": "ChIJ-sandbox-000"}}]}
    response = await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY, gm.MATRIX_FIELDS)
    elements = {(e["originIndex"], e["destinationIndex"]): e for e in response.json()}
    assert set(elements) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert elements[(0, 0)] == {"originIndex": 0, "destinationIndex": 0, "status": {}, "condition": "ROUTE_EXISTS",
                                "distanceMeters": 465_312, "duration": "16380s"}
    assert elements[(1, 0)] == {"originIndex": 1, "destinationIndex": 0, "status": {}, "condition": "ROUTE_EXISTS",
                                "duration": "0s"}  # a zero distance is left out
    only = await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY, "distanceMeters")
    assert {"distanceMeters": 465_312} in only.json() and all(set(e) <= {"distanceMeters"} for e in only.json())


@pytest.mark.parametrize("body, expected", [
    ({"origins": [], "destinations": [{"waypoint": {"address": "Lyon"}}]}, "required"),
    ({"origins": [{"waypoint": {}}], "destinations": [{"waypoint": {"address": "Lyon"}}]}, "exactly one of"),
    ({"origins": [{"waypoint": {"address": "Paris"}}], "destinations": [{"waypoint": {"address": "Lyon"}}],
      "travelMode": "WALK", "routingPreference": "TRAFFIC_AWARE"}, "only be set with travelMode DRIVE or TWO_WHEELER"),
    ({"origins": [{"waypoint": {"address": "Paris"}}] * 26, "destinations": [{"waypoint": {"address": "Lyon"}}] * 25},
     "Too many elements (650)"),
])
async def test_routes_refuses_bad_values(emulator, body: dict, expected: str) -> None:
    error = rpc(await post(emulator.routes_url + ROUTE_MATRIX_PATH, body, MATRIX_KEY, gm.MATRIX_FIELDS))
    assert error["status"] == "INVALID_ARGUMENT" and expected in error["message"], error


@pytest.mark.parametrize("path, key, service", [
    (PLACES_AUTOCOMPLETE_PATH, WRONG, "places.googleapis.com"), (ROUTE_MATRIX_PATH, "", "routes.googleapis.com"),
])
async def test_a_bad_key_gets_400_api_key_invalid(emulator, path: str, key: str, service: str) -> None:
    if not key:
        emulator.set_fault(Fault.WRONG_CREDENTIALS)
        key = MATRIX_KEY
    response = await post(emulator.url + path, {"input": "Paris"}, key, gm.MATRIX_FIELDS)
    error = rpc(response)
    assert (response.status_code, error["status"], reason(error)) == (400, "INVALID_ARGUMENT", "API_KEY_INVALID")
    assert error["details"][0]["metadata"]["service"] == service


async def test_a_project_without_the_new_generation_gets_403_service_disabled(emulator) -> None:
    emulator.enable_generations(PLACES_KEY, LEGACY)
    response = await post(emulator.places_url + PLACES_AUTOCOMPLETE_PATH, {"input": "Paris"})
    error = rpc(response)
    assert (response.status_code, error["status"], reason(error)) == (403, "PERMISSION_DENIED", "SERVICE_DISABLED")
    metadata = error["details"][0]["metadata"]
    assert metadata["service"] == "places.googleapis.com" and metadata["consumer"].startswith("projects/")
    assert metadata["activationUrl"].startswith("https://console.developers.google.com/apis/api/places.googleapis.com/")


async def test_a_project_without_the_legacy_generation_gets_request_denied_with_http_200(emulator) -> None:
    emulator.enable_generations(MATRIX_KEY, NEW)
    async with httpx.AsyncClient() as client:
        response = await client.get(emulator.api_url + "/maps/api/distancematrix/json",
                                    params={"origins": "Paris", "destinations": "Lyon", "key": MATRIX_KEY})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "REQUEST_DENIED" and "legacy" in body["error_message"]


def test_the_emulator_knows_only_two_generations(emulator) -> None:
    with pytest.raises(ValueError):
        emulator.enable_generations(PLACES_KEY, "beta")
