"""Yuki: SOAP 1.1 Accounting web service, `Authenticate(accessKey)` then `Administrations(sessionID)` (CONNECTORS.md §10).

Calls go to https://api.yukiworks.nl/ws/Accounting.asmx; `values["api_base"]`, when set, replaces the
origin https://api.yukiworks.nl (the sandbox sets it to its emulator).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

import httpx

from ...settings.editor import SettingsEditor
from ..probe import Probe, StepListener
from ..result import TestResult
from .base import AccountingConnector, ServiceRefused

HOST = "https://api.yukiworks.nl"
ACCOUNTING_PATH = "/ws/Accounting.asmx"
NAMESPACE = "http://www.theyukicompany.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SESSION_STEP, LIST_STEP, ADMINISTRATION_STEP = "Yuki session", "Administrations", "Administration"


class YukiError(ServiceRefused):
    """Why Yuki could not be asked, in words (never the key)."""


def base_url(values: dict) -> str:
    """The origin every call goes to: `api_base` when set, else Yuki's."""
    return (str(values.get("api_base") or "").strip() or HOST).rstrip("/")


def envelope(operation: str, **params: str) -> bytes:
    """A SOAP 1.1 request for one operation of Yuki's namespace."""
    ElementTree.register_namespace("soap", SOAP_ENV)
    root = ElementTree.Element(f"{{{SOAP_ENV}}}Envelope")
    call = ElementTree.SubElement(ElementTree.SubElement(root, f"{{{SOAP_ENV}}}Body"), f"{{{NAMESPACE}}}{operation}")
    for name, value in params.items():
        ElementTree.SubElement(call, f"{{{NAMESPACE}}}{name}").text = value
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _find(root: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((e for e in root.iter() if _local(e.tag) == name), None)


def fault(content: bytes) -> str | None:
    """The faultstring of a SOAP fault in `content`, or None when it holds none."""
    try:
        return _fault(ElementTree.fromstring(content))
    except ElementTree.ParseError:
        return None


def _fault(root: ElementTree.Element) -> str | None:
    found = _find(root, "Fault")
    if found is None:
        return None
    text = _find(found, "faultstring")
    return " ".join((text.text or "").split()) if text is not None else "(no faultstring)"


def _in_words(said: str, operation: str) -> str:
    lowered = said.lower()
    if "limit" in lowered:
        return (f"Yuki refuses more calls today (SOAP fault: {said}): the domain's daily allowance of web service "
                "calls is used up; Connect again tomorrow.")
    if operation == "Authenticate":
        return (f"Yuki refused the API key (SOAP fault: {said}): check it is an API key of type Domain "
                "(yukiworks > Settings > Web services) and that it has not been deleted.")
    if "session" in lowered:
        return f"Yuki no longer knows the session (SOAP fault: {said}): Connect again."
    return f"Yuki refused {operation} (SOAP fault: {said})."


def _refused(operation: str):
    def explain(response: httpx.Response) -> str | None:
        said = fault(response.content)
        if said is not None:
            return _in_words(said, operation)
        if response.status_code >= 500:
            return f"Yuki failed ({response.status_code}): it is down or in maintenance, try again later."
        return None
    return explain


def _result(operation: str):
    """A `business` check: the body is a SOAP answer holding `<operation>Result`."""
    def check(body: ElementTree.Element) -> str | None:
        said = _fault(body)
        if said is not None:
            return _in_words(said, operation)
        if _find(body, f"{operation}Result") is None:
            return f"Yuki answered without {operation}Result: the URL may not be Yuki's Accounting web service."
        return None
    return check


def _listed(body: ElementTree.Element) -> list[tuple[str, str]]:
    return [(str(e.get("ID") or ""), " ".join((getattr(_find(e, "Name"), "text", "") or "").split()))
            for e in body.iter() if _local(e.tag) == "Administration"]


def _headers(operation: str) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NAMESPACE}{operation}"'}


async def _session(probe: Probe, client: httpx.AsyncClient, values: dict) -> str | None:
    reply = await probe.call(SESSION_STEP, client, "POST", base_url(values) + ACCOUNTING_PATH, expect="xml",
                             headers=_headers("Authenticate"),
                             content=envelope("Authenticate", accessKey=str(values.get("api_key") or "")),
                             business=_result("Authenticate"), on_status=_refused("Authenticate"),
                             describe=lambda _: "API key accepted, session opened")
    if reply is None:
        return None
    found = _find(reply.body, "AuthenticateResult")
    session = ((found.text if found is not None else None) or "").strip()
    if not session:
        probe.failed(SESSION_STEP, "Yuki answered Authenticate with an empty session id.")
        return None
    return session


async def _administrations(probe: Probe, client: httpx.AsyncClient, values: dict,
                           session: str) -> list[tuple[str, str]] | None:
    def describe(body: ElementTree.Element) -> str:
        listed = _listed(body)
        shown = ", ".join(name or ident for ident, name in listed[:10])
        return f"{len(listed)} administration(s){': ' + shown if shown else ''}"

    reply = await probe.call(LIST_STEP, client, "POST", base_url(values) + ACCOUNTING_PATH, expect="xml",
                             headers=_headers("Administrations"), content=envelope("Administrations", sessionID=session),
                             business=_result("Administrations"), on_status=_refused("Administrations"),
                             describe=describe)
    return None if reply is None else _listed(reply.body)


async def administrations(values: dict, client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """The (id, name) of every administration the API key reaches, for the console's drop-down."""
    result = TestResult("accounting", "Yuki administrations")
    probe = Probe(result, [str(values.get("api_key") or "")])
    session = await _session(probe, client, values)
    listed = None if session is None else await _administrations(probe, client, values, session)
    if listed is None:
        failed = result.failed_step
        raise YukiError(failed.diagnosis if failed else "Yuki gave no answer.")
    return listed


def _match(wanted: str, listed: list[tuple[str, str]]) -> tuple[str, str] | None:
    folded = wanted.strip().casefold()
    return next((item for item in listed if folded in (item[0].casefold(), item[1].casefold())), None)


async def connect(editor: SettingsEditor, name: str, values: dict, client: httpx.AsyncClient,
                  on_step: StepListener | None = None) -> TestResult:
    """Authenticate with the API key, list the administrations, and find the configured one among them."""
    result = TestResult("accounting", f"{name} (Yuki)")
    probe = Probe(result, [str(values.get("api_key") or "")], on_step=on_step)
    session = await _session(probe, client, values)
    if session is None:
        probe.skipped(LIST_STEP, "needs a Yuki session")
        return result
    # The session id opens the domain as the key does: masked like it from here on.
    probe = Probe(result, [str(values.get("api_key") or ""), session], on_step=on_step)
    listed = await _administrations(probe, client, values, session)
    wanted = str(values.get("administration") or "").strip()
    if listed is None or not wanted:
        if listed is not None:
            probe.passed(ADMINISTRATION_STEP, "none configured: choose one of those listed")
        return result
    found = _match(wanted, listed)
    if found is None:
        names = "; ".join(f"{n} ({i})" for i, n in listed[:20]) or "none"
        probe.failed(ADMINISTRATION_STEP, f"The API key reaches no administration {wanted!r}: set Administration to "
                                          f"the name or id of one of: {names}.")
    else:
        probe.passed(ADMINISTRATION_STEP, f"{found[1]} ({found[0]})")
    return result


class YukiConnector(AccountingConnector):
    """Connect, and the administrations the API key reaches, to pick the one documents go to."""

    name = "yuki"
    notes = ("Save the API key, then press a to list its administrations and pick one.",)

    async def connect(self, editor: SettingsEditor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        return await connect(editor, name, dict(values), client, on_step)

    async def administrations(self, values: Mapping[str, Any], client: httpx.AsyncClient) -> list[tuple[str, str]]:
        return await administrations(dict(values), client)


CONNECTOR = YukiConnector()
