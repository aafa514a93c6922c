"""Mindee V1 (expense receipts v5) and V2 (model search) on one server, as CONNECTORS.md §3 describes them."""

from __future__ import annotations

import copy
import io
import logging
import uuid
from typing import Any

from pypdf import PdfReader

from .server import Emulator, Request, Response

RECEIPT_PATH = "/v1/products/mindee/expense_receipts/v5/predict"
MODELS_PATH = "/v2/search/models"
# The V1 synchronous predict limits (docs.mindee.com/v1/integration/limitations): 10 MB and 10 pages a document.
MAX_FILE_BYTES = 10 * 2**20
MAX_PAGES = 10
FILE_TYPES = "Must be a JPEG, PNG, WEBP, TIFF, HEIC or PDF."
HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")

# pypdf reports every damaged PDF through logging; without a handler Python would print it under the console.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

RECEIPT: dict[str, Any] = {
    "total_amount": {"value": 42.5, "confidence": 0.99},
    "total_net": {"value": 38.64, "confidence": 0.98},
    "total_tax": {"value": 3.86, "confidence": 0.98},
    "date": {"value": "2024-03-14", "confidence": 0.99},
    "time": {"value": "12:41", "confidence": 0.97},
    "supplier_name": {"value": "CAFE DE LA GARE", "confidence": 0.95},
    "category": {"value": "food", "confidence": 0.93},
    "locale": {"language": "fr", "country": "FR", "currency": "EUR", "confidence": 0.96},
    "taxes": [{"value": 3.86, "rate": 10.0, "base": 38.64, "code": "TVA", "confidence": 0.94}],
}


def _file_kind(document: bytes) -> str | None:
    """"pdf" or "image" from the file's first bytes, as Mindee sniffs them; None for any other kind of file."""
    if document.startswith(b"%PDF-"):
        return "pdf"
    if document.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")):
        return "image"
    if document[:4] == b"RIFF" and document[8:12] == b"WEBP":
        return "image"
    if document[4:8] == b"ftyp" and document[8:12] in HEIC_BRANDS:
        return "image"
    return None


def _pdf_problem(document: bytes) -> str | None:
    """Why Mindee would not process this PDF (unreadable, password-protected, too many pages); None when it would."""
    try:
        reader = PdfReader(io.BytesIO(document))
        if reader.is_encrypted:
            return "PDF files cannot be password-protected."
        pages = len(reader.pages)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of error on a damaged PDF; each means unreadable
        return "The PDF file is corrupted or invalid and cannot be read."
    if pages > MAX_PAGES:
        return f"Maximum pdf pages is {MAX_PAGES}; this one has {pages}."
    return None


def _multipart_file(request: Request, field: str) -> bytes | None:
    """The content of one file field of a multipart body (None when absent)."""
    content_type = request.header("content-type")
    if "multipart/form-data" not in content_type or "boundary=" not in content_type:
        return None
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    for part in request.body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if f'name="{field}"'.encode() in head:
            return content.removesuffix(b"\r\n")
    return None


class MindeeEmulator(Emulator):
    """One API key accepted by both platforms: `Token <key>` on /v1, the raw key on /v2."""

    name = "mindee"

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.receipt = copy.deepcopy(RECEIPT)
        self.models = [{"id": "5d9c0ea1-7c3e-4d2b-9f0a-2b7c8e1f4a10", "name": "Expense receipts",
                        "model_type": "extraction", "webhooks": []}]
        self.route("POST", RECEIPT_PATH, self.predict)
        self.route("GET", MODELS_PATH, self.search_models)

    @property
    def v1_url(self) -> str:
        """The V1 base URL to configure."""
        return self.url + "/v1"

    @property
    def v2_url(self) -> str:
        """The V2 base URL to configure."""
        return self.url + "/v2"

    def _v1_error(self, status: int, code: str, message: str, details: Any = "") -> Response:
        return Response.json({"api_request": {"error": {"code": code, "message": message, "details": details},
                                              "resources": [], "status": "failure", "status_code": status,
                                              "url": self.url + RECEIPT_PATH}}, status)

    def predict(self, request: Request) -> Response:
        if self.wrong_credentials or request.header("authorization") != f"Token {self.api_key}":
            return self._v1_error(401, "Unauthorized", "Authorization required", "Invalid token provided")
        document = _multipart_file(request, "document")
        if document is None:
            return self._v1_error(400, "BadRequest", "Invalid fields in form",
                                  {"document": ["Missing data for required field."]})
        refusal = self._refusal(document)
        if refusal is not None:
            return refusal
        prediction = copy.deepcopy(self.receipt)
        return Response.json({
            "api_request": {"error": {}, "resources": ["document"], "status": "success", "status_code": 201,
                            "url": self.url + RECEIPT_PATH},
            "document": {"id": str(uuid.uuid4()), "name": "receipt", "n_pages": 1,
                         "inference": {"product": {"name": "mindee/expense_receipts", "version": "5.3"},
                                       "prediction": prediction,
                                       "pages": [{"id": 0, "orientation": {"value": 0}, "prediction": prediction}]}},
        }, 201)

    def _refusal(self, document: bytes) -> Response | None:
        """What Mindee answers for a file it will not read: empty, too large, not a PDF or an image, a bad PDF."""
        if not document:
            return self._v1_error(400, "BadRequest", "Invalid fields in form", {"document": ["File is empty."]})
        if len(document) > MAX_FILE_BYTES:
            return self._v1_error(413, "FileTooLarge", "Maximum file size reached.",
                                  f"Max file size is {MAX_FILE_BYTES // 2**20} MB; this file is {len(document)} bytes.")
        kind = _file_kind(document)
        if kind is None:
            return self._v1_error(400, "BadRequest", "Invalid fields in form",
                                  {"document": [f"File type not allowed. {FILE_TYPES}"]})
        problem = _pdf_problem(document) if kind == "pdf" else None
        if problem is not None:
            return self._v1_error(400, "BadRequest", "Invalid fields in form", {"document": [problem]})
        return None

    def search_models(self, request: Request) -> Response:
        if self.wrong_credentials or request.header("authorization") != self.api_key:
            return Response.json({"status": 401, "title": "Unauthorized", "code": "401-001",
                                  "detail": "Invalid API key provided."}, 401, **{"Content-Type": "application/problem+json"})
        return Response.json({"models": self.models, "pagination": {"page": 1, "per_page": 50,
                                                                   "total_items": len(self.models), "total_pages": 1}})
