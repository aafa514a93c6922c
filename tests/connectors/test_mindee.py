"""The Mindee Test and receipt reading against the emulator, on both platforms."""

from __future__ import annotations

import json

import pytest

from akadmin_tui.connectors import mindee
from akadmin_tui.connectors.http import make_client
from akadmin_tui.sandbox.mindee import MindeeEmulator
from akadmin_tui.sandbox.server import Fault, Response

KEY = "md_sandbox_mindee_key_0123456789"
WRONG = "md_not_the_key_9876543210"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def assert_no_secret(result) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    assert KEY not in text and WRONG not in text, text


@pytest.fixture
def emulator():
    server = MindeeEmulator(KEY)
    server.start()
    yield server
    server.stop()


async def run(url: str, key: str = KEY):
    async with make_client() as client:
        result = await mindee.test_connection(mindee.MindeeAccount(url, key), client)
    assert_no_secret(result)
    return result


async def read(url: str, key: str = KEY, content: bytes = JPEG) -> mindee.ReceiptReading:
    async with make_client() as client:
        return await mindee.read_receipt(mindee.MindeeAccount(url, key), client, content, "receipt.jpg")


@pytest.mark.parametrize("url, platform, base", [
    ("https://api.mindee.net", "v1", "https://api.mindee.net"),
    ("https://api-v2.mindee.net/", "v2", "https://api-v2.mindee.net"),
    ("http://127.0.0.1:8000/v2", "v2", "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000/v1/", "v1", "http://127.0.0.1:8000"),
])
def test_platform_follows_the_url(url: str, platform: str, base: str) -> None:
    account = mindee.MindeeAccount(url, KEY)
    assert (account.platform, account.base) == (platform, base)
    assert account.headers()["Authorization"] == (KEY if platform == "v2" else f"Token {KEY}")


async def test_v1_success_is_the_expected_bad_request(emulator) -> None:
    result = await run(emulator.v1_url)
    assert result.passed, result.to_text()
    assert result.section == "ocr" and result.target.startswith("V1, http://127.0.0.1:")
    step = result.steps[0]
    assert step.name == "API key (V1 receipt endpoint)" and "BadRequest: Invalid fields in form" in step.detail
    assert step.request.startswith("POST http://127.0.0.1:") and "Authorization: ********" in step.request
    call = emulator.calls[-1]
    assert call.path == "/v1/products/mindee/expense_receipts/v5/predict" and call.body == b""
    assert call.header("authorization") == f"Token {KEY}"


async def test_v2_success_lists_the_models(emulator) -> None:
    result = await run(emulator.v2_url)
    assert result.passed, result.to_text()
    assert result.steps[0].detail == "key accepted; 1 model(s): Expense receipts"
    assert emulator.calls[-1].path == "/v2/search/models" and emulator.calls[-1].header("authorization") == KEY


async def test_v2_without_models_still_passes_with_a_hint(emulator) -> None:
    emulator.models = []
    result = await run(emulator.v2_url)
    assert result.passed and "no model yet" in result.steps[0].detail


async def test_v1_wrong_key(emulator) -> None:
    diagnosis = (await run(emulator.v1_url, WRONG)).failed_step.diagnosis
    assert "Mindee refused the API key (401)" in diagnosis and "Authorization required" in diagnosis
    assert "https://api-v2.mindee.net" in diagnosis


async def test_v2_wrong_key(emulator) -> None:
    diagnosis = (await run(emulator.v2_url, WRONG)).failed_step.diagnosis
    assert "Mindee V2 refused the API key (401)" in diagnosis and "Invalid API key provided" in diagnosis


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_wrong_credentials_fault(emulator, version: str) -> None:
    emulator.set_fault(Fault.WRONG_CREDENTIALS)
    result = await run(getattr(emulator, f"{version}_url"))
    assert "(401)" in result.failed_step.diagnosis


async def test_a_url_that_is_not_mindee(emulator) -> None:
    emulator.route("POST", "/other/v1/products/.*", lambda request: Response.json({"error": "bad_request"}, 400))
    result = await run(emulator.url + "/other")
    assert "no api_request" in result.failed_step.diagnosis


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(emulator, version: str, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    result = await run(getattr(emulator, f"{version}_url"))
    assert expected in result.failed_step.diagnosis, result.to_text()


async def test_read_receipt(emulator) -> None:
    reading = await read(emulator.v1_url)
    assert (reading.total_amount, reading.date, reading.supplier_name) == (42.5, "2024-03-14", "CAFE DE LA GARE")
    assert reading.taxes == [mindee.Tax(3.86, 10.0, 38.64, "TVA")]
    assert reading.summary() == "CAFE DE LA GARE, 2024-03-14, total 42.5 (3.86 at 10.0%)"
    call = emulator.calls[-1]
    assert call.header("content-type").startswith("multipart/form-data")
    assert b'name="document"; filename="receipt.jpg"' in call.body and call.header("authorization") == f"Token {KEY}"


@pytest.mark.parametrize("url_of, key, content, fault, expected", [
    ("v1_url", WRONG, JPEG, Fault.NONE, "Mindee refused the API key (401)"),
    ("v1_url", KEY, b"plain text, not a receipt", Fault.NONE, "Mindee refused the document (400)"),
    ("v1_url", KEY, JPEG, Fault.ERROR_503, "The service failed (503)"),
    ("v1_url", KEY, JPEG, Fault.BURST_429, "Too many requests (429)"),
    ("v1_url", KEY, JPEG, Fault.MALFORMED, "The answer is not JSON"),
    ("v1_url", KEY, JPEG, Fault.DROP, "closed the connection"),
    ("v2_url", KEY, JPEG, Fault.NONE, "needs the V1 API"),
])
async def test_read_receipt_errors(emulator, url_of: str, key: str, content: bytes, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    with pytest.raises(mindee.MindeeError) as raised:
        await read(getattr(emulator, url_of), key, content)
    assert expected in str(raised.value)
    assert KEY not in str(raised.value) and WRONG not in str(raised.value)
