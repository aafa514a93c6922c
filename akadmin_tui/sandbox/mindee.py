"""Mindee V1 (expense receipts v5) and V2 (model search) on one server, as CONNECTORS.md §3 describes them."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .server import Emulator, Request, Response

RECEIPT_PATH = "/v1/products/mindee/expense_receipts/v5/predict"
MODELS_PATH = "/v2/search/models"
FILE_MAGIC = (b"%PDF", b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"II*\x00", b"MM\x00*")

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
        if not document.startswith(FILE_MAGIC):
            return self._v1_error(400, "BadRequest", "Invalid fields in form",
                                  {"document": ["File type not allowed. Must be a JPEG, PNG, WEBP, TIFF, HEIC or PDF."]})
        prediction = copy.deepcopy(self.receipt)
        return Response.json({
            "api_request": {"error": {}, "resources": ["document"], "status": "success", "status_code": 201,
                            "url": self.url + RECEIPT_PATH},
            "document": {"id": str(uuid.uuid4()), "name": "receipt", "n_pages": 1,
                         "inference": {"product": {"name": "mindee/expense_receipts", "version": "5.3"},
                                       "prediction": prediction,
                                       "pages": [{"id": 0, "orientation": {"value": 0}, "prediction": prediction}]}},
        }, 201)

    def search_models(self, request: Request) -> Response:
        if self.wrong_credentials or request.header("authorization") != self.api_key:
            return Response.json({"status": 401, "title": "Unauthorized", "code": "401-001",
                                  "detail": "Invalid API key provided."}, 401, **{"Content-Type": "application/problem+json"})
        return Response.json({"models": self.models, "pagination": {"page": 1, "per_page": 50,
                                                                   "total_items": len(self.models), "total_pages": 1}})
