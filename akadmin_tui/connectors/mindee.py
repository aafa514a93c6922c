"""Mindee OCR for expense receipts: V1 (`Token` key) or V2 (raw `md_` key), chosen from the URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .diagnose import error_text, json_object
from .probe import Probe
from .result import TestResult

RECEIPT_PATH = "/v1/products/mindee/expense_receipts/v5/predict"
MODELS_PATH = "/v2/search/models"


class MindeeError(Exception):
    """Reading a document failed; the message says why in plain words, secrets masked."""


@dataclass(frozen=True)
class MindeeAccount:
    """The base URL and the API key; the platform (V1 or V2) follows from the URL."""

    url: str
    token: str

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.token]

    @property
    def platform(self) -> str:
        """`v2` when the host is api-v2… or the path is under /v2, else `v1`."""
        parts = urlsplit(self.url)
        first = parts.path.strip("/").split("/")[0]
        return "v2" if "api-v2" in (parts.hostname or "") or first == "v2" else "v1"

    @property
    def base(self) -> str:
        """The URL without a trailing /v1 or /v2, since the API paths carry their version."""
        parts = urlsplit(self.url.strip())
        path = parts.path.rstrip("/")
        for suffix in ("/v1", "/v2"):
            path = path.removesuffix(suffix)
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def headers(self) -> dict[str, str]:
        """The key header: raw for V2, `Token <key>` for V1."""
        key = self.token if self.platform == "v2" else f"Token {self.token}"
        return {"Authorization": key, "Accept": "application/json"}


@dataclass(frozen=True)
class Tax:
    """One tax line of a receipt."""

    value: float | None
    rate: float | None
    base: float | None
    code: str | None = None


@dataclass(frozen=True)
class ReceiptReading:
    """What Mindee read on a receipt."""

    total_amount: float | None
    date: str | None
    supplier_name: str | None
    taxes: list[Tax] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the console."""
        taxes = ", ".join(f"{t.value} at {t.rate}%" for t in self.taxes) or "no tax line"
        return f"{self.supplier_name or 'unknown supplier'}, {self.date or 'no date'}, total {self.total_amount} ({taxes})"


def _key_refused(account: MindeeAccount):
    def explain(response: httpx.Response) -> str | None:
        said = error_text(response).rstrip(".")
        said = f" Mindee says: {said}{_details(response)}." if said else ""
        if response.status_code == 401:
            if account.platform == "v2":
                return (f"Mindee V2 refused the API key (401).{said} Check the key made on app.mindee.com; "
                        "a V1 key (platform.mindee.com) needs the V1 URL https://api.mindee.net.")
            return (f"Mindee refused the API key (401).{said} Check the key made on platform.mindee.com; "
                    "a V2 key (md_…) needs the V2 URL https://api-v2.mindee.net.")
        if response.status_code == 402:
            return f"Mindee refuses for quota or payment (402).{said} Check the plan and billing on app.mindee.com."
        if response.status_code == 403:
            return f"Mindee blocks inference for this account (403).{said} Check the account's plan and API access."
        if response.status_code == 413:
            return f"The file is too large for Mindee (413).{said}"
        if response.status_code == 400 and "api_request" in json_object(response):
            return (f"Mindee refused the document (400).{said} Send a JPEG, PNG, WEBP, TIFF, HEIC or PDF receipt, "
                    "not too large and with few pages.")
        return None
    return explain


def _details(response: httpx.Response) -> str:
    """V1's `error.details`, which names the field at fault (a string, or field → messages)."""
    error = (json_object(response).get("api_request") or {}).get("error") or {}
    details = error.get("details") if isinstance(error, dict) else None
    if isinstance(details, dict):
        details = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in details.items())
    return f" ({str(details).rstrip('.')})" if details else ""


def _v1_business(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("api_request"), dict):
        return "The answer has no api_request: the URL may not be the Mindee V1 API (https://api.mindee.net)."
    return None


def _v1_describe(body: dict) -> str:
    error = body["api_request"].get("error") or {}
    said = ": ".join(str(error[k]) for k in ("code", "message") if error.get(k))
    return f"key accepted; the request without a file was refused as expected ({said or 'no error text'}), no page used"


def _v2_business(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("models"), list):
        return "The answer has no models list: the URL may not be the Mindee V2 API (https://api-v2.mindee.net)."
    return None


def _v2_describe(body: dict) -> str:
    names = [str(m.get("name")) for m in body["models"] if isinstance(m, dict)]
    if not names:
        return "key accepted; no model yet: create an expense receipt model on app.mindee.com"
    return f"key accepted; {len(names)} model(s): {', '.join(names[:5])}"


async def test_connection(account: MindeeAccount, client: httpx.AsyncClient, *, on_step=None,
                          timeout_s: float = 30.0) -> TestResult:
    """V1: predict without a file (400 = key valid); V2: list the models (CONNECTORS.md §3)."""
    result = TestResult("ocr", f"{account.platform.upper()}, {account.base}")
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    if account.platform == "v2":
        await probe.call("API key (V2 models)", client, "GET", account.base + MODELS_PATH, headers=account.headers(),
                         business=_v2_business, describe=_v2_describe, on_status=_key_refused(account))
    else:
        # A 400 BadRequest (missing document) proves the key passed authentication without using a page.
        await probe.call("API key (V1 receipt endpoint)", client, "POST", account.base + RECEIPT_PATH,
                         headers=account.headers(), ok=(200, 201, 400), business=_v1_business,
                         describe=_v1_describe, on_status=_key_refused(account))
    return result


def _value(prediction: dict, name: str) -> Any:
    item = prediction.get(name)
    return item.get("value") if isinstance(item, dict) else None


def _receipt_business(body: Any) -> str | None:
    problem = _v1_business(body)
    if problem:
        return problem
    prediction = ((body.get("document") or {}).get("inference") or {}).get("prediction")
    if not isinstance(prediction, dict):
        return f"Mindee answered without a prediction (api_request status {body['api_request'].get('status')})."
    return None


def _reading(body: dict) -> ReceiptReading:
    prediction = body["document"]["inference"]["prediction"]
    taxes = [Tax(t.get("value"), t.get("rate"), t.get("base"), t.get("code"))
             for t in prediction.get("taxes") or [] if isinstance(t, dict)]
    return ReceiptReading(_value(prediction, "total_amount"), _value(prediction, "date"),
                          _value(prediction, "supplier_name"), taxes)


async def read_receipt(account: MindeeAccount, client: httpx.AsyncClient, file_bytes: bytes,
                       filename: str) -> ReceiptReading:
    """Read one receipt with the V1 expense_receipts v5 API; V2 needs a model id we do not configure, so V1 only."""
    if account.platform == "v2":
        raise MindeeError("Reading a receipt needs the V1 API here (https://api.mindee.net with a V1 key): "
                          "the V2 API needs a model id that is not configured.")
    multipart = client.build_request("POST", account.base + RECEIPT_PATH, files={"document": (filename, file_bytes)})
    headers = {**account.headers(), "Content-Type": multipart.headers["Content-Type"]}
    probe = Probe(TestResult("ocr", account.base), account.secrets())
    reply = await probe.call("Read receipt", client, "POST", account.base + RECEIPT_PATH, headers=headers,
                             content=multipart.read(), ok=(200, 201), business=_receipt_business,
                             describe=lambda b: _reading(b).summary(), on_status=_key_refused(account))
    if reply is None:
        failed = probe.result.failed_step  # a call that returns None has recorded its failed step
        raise MindeeError(failed.diagnosis if failed is not None else "Mindee did not answer.")
    return _reading(reply.body)
