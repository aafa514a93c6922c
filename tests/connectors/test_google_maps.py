"""The Google Maps Tests and try-it helpers against the emulator."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from akadmin_tui.connectors import google_maps as gm
from akadmin_tui.connectors.http import make_client
from akadmin_tui.sandbox.google_maps import GoogleMapsEmulator
from akadmin_tui.sandbox.server import Fault, Response

PLACES_KEY = "AIzaSy-sandbox-places-0123456789"
MATRIX_KEY = "AIzaSy-sandbox+matrix/key=="  # characters a query string encodes, to check those are masked too
WRONG = "AIzaSy-not-the-key-000"
SECRETS = [s for key in (PLACES_KEY, MATRIX_KEY, WRONG) for s in (key, quote_plus(key), quote(key, safe=""))]


def assert_no_secret(result) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, leaked


@pytest.fixture
def emulator():
    server = GoogleMapsEmulator(PLACES_KEY, MATRIX_KEY)
    server.start()
    yield server
    server.stop()


async def places(emulator, key: str = PLACES_KEY, **kwargs):
    async with make_client() as client:
        result = await gm.test_place_autocomplete(gm.GoogleMapsAccount(emulator.api_url, key), client, **kwargs)
    assert_no_secret(result)
    return result


async def matrix(emulator, key: str = MATRIX_KEY, **kwargs):
    async with make_client() as client:
        result = await gm.test_distance_matrix(gm.GoogleMapsAccount(emulator.api_url, key), client, **kwargs)
    assert_no_secret(result)
    return result


def test_default_base_url() -> None:
    assert gm.GoogleMapsAccount(key=PLACES_KEY).api("/x", a="1") == f"https://maps.googleapis.com/x?a=1&key={PLACES_KEY}"


async def test_place_autocomplete_success(emulator) -> None:
    result = await places(emulator)
    assert result.passed and result.section == "place_autocomplete", result.to_text()
    step = result.steps[0]
    assert step.detail == "status OK, 3 suggestion(s), first: Paris, France"
    assert step.request.endswith("/maps/api/place/autocomplete/json?input=Paris&key=********")
    call = emulator.calls[-1]
    assert call.query["key"] == [PLACES_KEY] and call.query["input"] == ["Paris"]


async def test_place_autocomplete_zero_results_still_proves_the_key(emulator) -> None:
    result = await places(emulator, text="Zzyzx")
    assert result.passed and "status ZERO_RESULTS: the key works" in result.steps[0].detail


async def test_distance_matrix_success(emulator) -> None:
    result = await matrix(emulator)
    assert result.passed and result.section == "distance_matrix", result.to_text()
    assert result.steps[0].detail == "Paris, France → Lyon, France: 465 km (4 hours 33 mins)"
    assert "key=********" in result.steps[0].request and "units=metric" in result.steps[0].request
    call = emulator.calls[-1]
    assert call.query["key"] == [MATRIX_KEY] and call.query["origins"] == ["Paris, France"]


async def test_distance_matrix_without_a_route_still_proves_the_key(emulator) -> None:
    result = await matrix(emulator, destination="Fort-de-France, Martinique")
    assert result.passed, result.to_text()
    assert "the key works, but: Google found no route" in result.steps[0].detail


@pytest.mark.parametrize("run, key, expected", [
    (places, WRONG, "REQUEST_DENIED: The provided API key is invalid)"),
    (matrix, WRONG, "REQUEST_DENIED: The provided API key is invalid)"),
    (places, "", "REQUEST_DENIED: You must use an API key"),
    (matrix, PLACES_KEY, "REQUEST_DENIED: This API key is not authorized to use this service or API)"),
])
async def test_wrong_key_is_request_denied_with_http_200(emulator, run, key: str, expected: str) -> None:
    result = await run(emulator, key)
    step = result.failed_step
    assert step.detail == "HTTP 200" and expected in step.diagnosis, result.to_text()
    assert "Check the API key" in step.diagnosis


@pytest.mark.parametrize("run", [places, matrix])
async def test_wrong_credentials_fault(emulator, run) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    assert "REQUEST_DENIED" in (await run(emulator)).failed_step.diagnosis


@pytest.mark.parametrize("status, message, expected", [
    ("OVER_QUERY_LIMIT", "You have exceeded your rate-limit for this API.", "a limit is reached (OVER_QUERY_LIMIT: You"),
    ("OVER_DAILY_LIMIT", "", "a limit is reached (OVER_DAILY_LIMIT)"),
    ("INVALID_REQUEST", "", "the request is invalid (INVALID_REQUEST)"),
    ("UNKNOWN_ERROR", "", "server error (UNKNOWN_ERROR)"),
])
@pytest.mark.parametrize("run", [places, matrix])
async def test_business_errors(emulator, run, status: str, message: str, expected: str) -> None:
    emulator.business_error = (status, message)
    assert expected in (await run(emulator)).failed_step.diagnosis


@pytest.mark.parametrize("run", [places, matrix])
@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, run, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    assert expected in (await run(emulator)).failed_step.diagnosis


async def test_not_found_masks_the_key_in_the_diagnosis(emulator) -> None:
    async with make_client() as client:
        result = await gm.test_distance_matrix(gm.GoogleMapsAccount(emulator.url + "/nope", MATRIX_KEY), client)
    assert_no_secret(result)
    assert "(404): check the URL" in result.failed_step.diagnosis


async def test_not_google_at_all(emulator) -> None:
    emulator.route("GET", "/other/maps/api/place/autocomplete/json", lambda request: Response.json({"hello": "world"}))
    async with make_client() as client:
        result = await gm.test_place_autocomplete(gm.GoogleMapsAccount(emulator.url + "/other", PLACES_KEY), client)
    assert "The answer has no status" in result.failed_step.diagnosis


async def test_suggest(emulator) -> None:
    account = gm.GoogleMapsAccount(emulator.api_url, PLACES_KEY)
    async with make_client() as client:
        assert await gm.suggest(account, client, "lyon") == ["Gare de Lyon, Paris, France", "Lyon, France"]
        assert await gm.suggest(account, client, "Zzyzx") == []


async def test_distance_km(emulator) -> None:
    account = gm.GoogleMapsAccount(emulator.api_url, MATRIX_KEY)
    async with make_client() as client:
        assert await gm.distance_km(account, client, "Paris", "Lyon") == 465.312
        assert await gm.distance_km(account, client, "10 rue de la République, Marseille", "Lyon") == 314.697


@pytest.mark.parametrize("helper, key, args, fault, expected", [
    ("suggest", WRONG, ("Paris",), Fault.NONE, "REQUEST_DENIED: The provided API key is invalid)"),
    ("suggest", PLACES_KEY, ("",), Fault.NONE, "INVALID_REQUEST"),
    ("suggest", PLACES_KEY, ("Paris",), Fault.DROP, "closed the connection"),
    ("distance_km", WRONG, ("Paris", "Lyon"), Fault.NONE, "REQUEST_DENIED"),
    ("distance_km", MATRIX_KEY, ("Paris", "Atlantis"), Fault.NONE, "could not find the origin or the destination"),
    ("distance_km", MATRIX_KEY, ("Paris", "Fort-de-France"), Fault.NONE,
     "no route between Paris, France and Fort-de-France, Martinique (ZERO_RESULTS)"),
    ("distance_km", MATRIX_KEY, ("Paris", "Lyon"), Fault.ERROR_503, "The service failed (503)"),
    ("distance_km", MATRIX_KEY, ("Paris", "Lyon"), Fault.MALFORMED, "The answer is not JSON"),
])
async def test_helpers_raise_clear_errors(emulator, helper: str, key: str, args: tuple, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    async with make_client() as client:
        with pytest.raises(gm.GoogleMapsError) as raised:
            await getattr(gm, helper)(gm.GoogleMapsAccount(emulator.api_url, key), client, *args)
    assert expected in str(raised.value)
    assert not [s for s in SECRETS if s in str(raised.value)]
