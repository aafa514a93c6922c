"""Running the steps of a Test: timing, request lines with secrets redacted, diagnoses."""

from __future__ import annotations

import base64
import json
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from .diagnose import diagnose_exception, diagnose_status, evidence
from .result import Outcome, Step, TestResult

MASK = "********"
SECRET_HEADERS = {"authorization", "cpro-account", "x-insee-api-key-integration", "client-secret"}
SECRET_FIELDS = {"client_secret", "password", "assertion", "refresh_token", "code"}
# A call that takes longer than this still passes, with a warning: a Test makes one or two calls, a batch or a
# form makes hundreds, so an answer this slow in a Test means minutes in a batch (or a form that seems stuck).
# Healthy services answer a Test's call in well under a second; 2 s leaves room for a distant or busy one.
SLOW_ANSWER_S = 2.0


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can show up in a text: as is, URL-encoded, JSON-escaped, base64."""
    forms = {secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1],
             json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms.add(base64.b64encode(secret.encode()).decode())
    return forms

StepListener = Callable[[Step], None]


@dataclass
class Reply:
    """A successful call: its step (still open to details), the response and the parsed body."""

    step: Step
    response: httpx.Response
    body: Any


class Probe:
    """Records the steps of one Test; every text it keeps has the known secrets masked."""

    def __init__(self, result: TestResult, secrets: Iterable[str] = (), *, timeout_s: float = 30.0,
                 on_step: StepListener | None = None, service: str = "The service",
                 slow_effect: str = "the batches that call it will be slow too") -> None:
        self.result = result
        # Who answers and what a slow answer means, for the warning on a slow call.
        self.service, self.slow_effect = service, slow_effect
        known = {form for s in secrets if s and len(s) >= 3 for form in secret_forms(s)}
        self._secrets = sorted((s for s in known if len(s) >= 3), key=len, reverse=True)
        self.timeout_s = timeout_s
        self._on_step = on_step

    def redact(self, text: str) -> str:
        """`text` with every known secret replaced by ********."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def request_line(self, method: str, url: str, headers: Mapping[str, str] | None = None,
                     form: Mapping[str, str] | None = None) -> str:
        """`METHOD URL` plus the headers and form fields that matter, secrets masked."""
        line = f"{method} {url}"
        shown = [f"{k}: {MASK if k.lower() in SECRET_HEADERS else v}" for k, v in (headers or {}).items()]
        if shown:
            line += "  [" + "; ".join(shown) + "]"
        if form:
            line += "  " + urlencode({k: MASK if k in SECRET_FIELDS else v for k, v in form.items()}, safe="*")
        return self.redact(line)

    def slow_warning(self, duration_ms: float) -> str:
        """The warning for an answer that took `duration_ms`; "" when it came within SLOW_ANSWER_S."""
        if duration_ms <= SLOW_ANSWER_S * 1000:
            return ""
        return f"{self.service} answered in {duration_ms / 1000:.1f} s: slow; {self.slow_effect}."

    def _record(self, step: Step) -> Step:
        step.detail = self.redact(step.detail)
        step.diagnosis = self.redact(step.diagnosis)
        step.warning = self.redact(step.warning)
        self.result.steps.append(step)
        if self._on_step is not None:
            self._on_step(step)
        return step

    def passed(self, name: str, detail: str = "", *, request: str = "", duration_ms: float = 0.0,
               warning: str = "") -> Step:
        """Record a step that needed no call, or finished well (with a warning the admin should read, if any)."""
        return self._record(Step(name, Outcome.PASSED, duration_ms, request, detail, warning=warning))

    def failed(self, name: str, diagnosis: str, *, request: str = "", detail: str = "", duration_ms: float = 0.0) -> Step:
        """Record a failed step."""
        return self._record(Step(name, Outcome.FAILED, duration_ms, request, detail, diagnosis))

    def skipped(self, name: str, reason: str) -> Step:
        """Record a step that could not run because an earlier one failed."""
        return self._record(Step(name, Outcome.SKIPPED, 0.0, "", reason))

    async def call(self, name: str, client: httpx.AsyncClient, method: str, url: str, *,
                   expect: str = "json", ok: tuple[int, ...] = (200,), headers: Mapping[str, str] | None = None,
                   form: Mapping[str, str] | None = None, json_body: Any = None, content: bytes | None = None,
                   business: Callable[[Any], str | None] | None = None,
                   describe: Callable[[Any], str] | None = None,
                   on_status: Callable[[httpx.Response], str | None] | None = None) -> Reply | None:
        """Make one call as one step; returns the reply, or None when the step failed (and was recorded).

        `business` returns a diagnosis when a well-formed answer reports an error; `describe`
        turns a good answer into the step's detail; `on_status` may explain an HTTP error better
        than the generic diagnosis.
        """
        request = self.request_line(method, url, headers, form)
        started = time.perf_counter()
        try:
            response = await client.request(method, url, headers=headers, data=form, json=json_body, content=content)
        except httpx.HTTPError as error:
            return self._fail(name, await diagnose_exception(error, url, self.timeout_s), request, started)
        except (UnicodeError, ValueError) as error:
            # A saved value the request cannot carry (non-ASCII in a header, an unusable host name):
            # its text may quote the value, so only its kind is shown.
            return self._fail(name, f"The request could not be built from the saved values ({type(error).__name__}): "
                                    "a URL, login or secret holds characters that cannot be sent. Type it again.",
                              request, started)
        if response.status_code not in ok:
            custom = on_status(response) if on_status else None
            if custom and response.status_code in (401, 403):
                custom = f"{custom} {evidence(response, self.redact)}".strip()
            diagnosis = custom or diagnose_status(response, self.redact)
            return self._fail(name, diagnosis, request, started, detail=f"HTTP {response.status_code}")
        try:
            body = _parse(response, expect, self.redact)
        except ValueError as error:
            return self._fail(name, str(error), request, started, detail=f"HTTP {response.status_code}")
        problem = business(body) if business else None
        if problem:
            return self._fail(name, problem, request, started, detail=f"HTTP {response.status_code}")
        duration_ms = _ms(started)
        step = self.passed(name, describe(body) if describe else f"HTTP {response.status_code}",
                           request=request, duration_ms=duration_ms, warning=self.slow_warning(duration_ms))
        return Reply(step, response, body)

    def _fail(self, name: str, diagnosis: str, request: str, started: float, detail: str = "") -> Reply | None:
        """Record the failed step; the call's answer is then None."""
        self.failed(name, diagnosis, request=request, detail=detail, duration_ms=_ms(started))
        return None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _parse(response: httpx.Response, expect: str, redact: Callable[[str], str]) -> Any:
    kind = response.headers.get("content-type", "unknown")
    start = redact(response.text[:2000])[:60].replace("\n", " ")
    if expect == "json":
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError(f"The answer is not JSON (content-type {kind}; it starts with {start!r}): "
                             "the URL may point at another service, or a proxy answered.") from None
    if expect == "xml":
        try:
            return ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            raise ValueError(f"The answer is not XML (content-type {kind}; it starts with {start!r}).") from None
    return response.content
