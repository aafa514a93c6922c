"""The bundled sample receipt, and the Mindee emulator refusing what the real V1 API refuses."""

from __future__ import annotations

import fnmatch
import io
import tomllib
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader, PdfWriter

import akadmin_tui
from akadmin_tui.connectors import mindee
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.try_its import RECEIPT_LIMIT, SAMPLE_RECEIPT, TRY_ITS
from akadmin_tui.sandbox.mindee import MAX_FILE_BYTES, RECEIPT, RECEIPT_PATH, MindeeEmulator
from akadmin_tui.settings import schema

KEY = "sandbox-mindee-v1-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
TIFF = b"II*\x00" + b"\x00" * 16


@pytest.fixture
def emulator():
    with_server = MindeeEmulator(KEY)
    with_server.start()
    yield with_server
    with_server.stop()


def pdf(pages: int, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=300)
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def read(emulator: MindeeEmulator, content: bytes, name: str = "receipt.pdf") -> mindee.ReceiptReading:
    async with make_client() as client:
        return await mindee.read_receipt(mindee.MindeeAccount(emulator.v1_url, KEY), client, content, name)


async def refusal(emulator: MindeeEmulator, content: bytes) -> tuple[str, httpx.Response]:
    """What the connector says, and what the emulator answered, for a refused file."""
    with pytest.raises(mindee.MindeeError) as raised:
        await read(emulator, content)
    async with httpx.AsyncClient() as client:
        raw = await client.post(emulator.url + RECEIPT_PATH, headers={"Authorization": f"Token {KEY}"},
                                files={"document": ("receipt.pdf", content)})
    return str(raised.value), raw


def assert_v1_failure(raw: httpx.Response, status: int, code: str) -> dict:
    """Mindee V1's error body: api_request{status: failure, status_code, error{code, message, details}}."""
    assert raw.status_code == status
    request = raw.json()["api_request"]
    assert (request["status"], request["status_code"], request["resources"]) == ("failure", status, [])
    assert request["error"]["code"] == code and request["error"]["message"]
    return request["error"]


def test_the_sample_receipt_is_a_one_page_pdf_of_what_the_emulator_reads() -> None:
    data = SAMPLE_RECEIPT.read_bytes()
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1 and not reader.is_encrypted
    text = reader.pages[0].extract_text()
    # The emulator "reads" RECEIPT on any accepted file: the sample says the same, so the answer rings true.
    for expected in (RECEIPT["supplier_name"]["value"], "14/03/2024 12:41", "38.64", "TVA 10%", "3.86",
                     "TOTAL TTC EUR     42.50"):
        assert expected in text, expected
    assert len(data) < 16 * 1024 < RECEIPT_LIMIT


def test_the_sample_ships_with_the_package_and_is_offered_in_the_ocr_try_it() -> None:
    package = Path(akadmin_tui.__file__).parent
    assert SAMPLE_RECEIPT.is_file() and SAMPLE_RECEIPT.is_relative_to(package)
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["akadmin_tui"]
    relative = SAMPLE_RECEIPT.relative_to(package).as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in shipped), shipped
    assert TRY_ITS[schema.OCR.id].defaults == (str(SAMPLE_RECEIPT),)


@pytest.mark.parametrize("content", [SAMPLE_RECEIPT.read_bytes(), pdf(10), PNG, WEBP, HEIC, TIFF,
                                     b"\xff\xd8\xff\xe0" + b"\x00" * 64],
                         ids=["sample", "10 pages", "png", "webp", "heic", "tiff", "jpeg"])
async def test_pdfs_and_the_images_mindee_takes_are_read(emulator, content: bytes) -> None:
    reading = await read(emulator, content)
    assert reading.summary() == "CAFE DE LA GARE, 2024-03-14, total 42.5 (3.86 at 10.0%)"


@pytest.mark.parametrize("content", [
    b"plain text, not a receipt",
    b"GIF89a" + b"\x00" * 32,  # an image, but not a kind Mindee takes
    b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 24,  # RIFF, but a sound rather than a WEBP
    b"PK\x03\x04" + b"\x00" * 32,  # an office document or a zip
], ids=["text", "gif", "wav", "zip"])
async def test_a_file_that_is_not_a_pdf_or_an_image_is_refused(emulator, content: bytes) -> None:
    said, raw = await refusal(emulator, content)
    error = assert_v1_failure(raw, 400, "BadRequest")
    assert error["details"] == {"document": ["File type not allowed. Must be a JPEG, PNG, WEBP, TIFF, HEIC or PDF."]}
    assert said.startswith("Mindee refused the document (400).") and "File type not allowed" in said


@pytest.mark.parametrize("content, why", [
    (b"%PDF-1.7 not really a PDF", "The PDF file is corrupted or invalid"),
    (pdf(11), "Maximum pdf pages is 10; this one has 11."),
    (pdf(1, password="secret"), "PDF files cannot be password-protected."),
], ids=["damaged", "11 pages", "password"])
async def test_a_pdf_mindee_cannot_process_is_refused(emulator, content: bytes, why: str) -> None:
    said, raw = await refusal(emulator, content)
    error = assert_v1_failure(raw, 400, "BadRequest")
    assert error["details"]["document"][0].startswith(why)
    assert said.startswith("Mindee refused the document (400).") and why.rstrip(".") in said


async def test_a_file_over_the_limit_is_refused_as_too_large(emulator) -> None:
    said, raw = await refusal(emulator, b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES)
    error = assert_v1_failure(raw, 413, "FileTooLarge")
    assert error["details"].startswith("Max file size is 10 MB")
    assert said.startswith("The file is too large for Mindee (413).") and "Max file size is 10 MB" in said


async def test_an_empty_file_is_refused(emulator) -> None:
    said, raw = await refusal(emulator, b"")
    error = assert_v1_failure(raw, 400, "BadRequest")
    assert error["details"] == {"document": ["File is empty."]}
    assert said.startswith("Mindee refused the document (400).") and "File is empty" in said
