"""Yuki's SOAP Accounting web service (Accounting.asmx): Authenticate and Administrations, faults as ASP.NET sends them."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape, quoteattr

from .server import Emulator, Request, Response

ACCOUNTING_PATH = "/ws/Accounting.asmx"
NAMESPACE = "http://www.theyukicompany.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DEMO_ADMINISTRATIONS = {"5c7e1a2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d": "ACME Ingénierie B.V.",
                        "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a": "Beta Conseil B.V."}


def _envelope(inner: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f"<soap:Body>{inner}</soap:Body></soap:Envelope>")


def _xml(inner: str, status: int = 200) -> Response:
    return Response(status, _envelope(inner).encode(), {"Content-Type": "text/xml; charset=utf-8"})


def _fault(message: str, code: str = "soap:Server") -> Response:
    # ASP.NET web services answer a fault with HTTP 500, whoever is at fault.
    said = escape(f"Server was unable to process request. ---> {message}")
    return _xml(f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{said}</faultstring><detail /></soap:Fault>", 500)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class YukiEmulator(Emulator):
    """One domain API key and the administrations it reaches; sessions from Authenticate open Administrations."""

    name = "yuki"

    def __init__(self, api_key: str, administrations: dict[str, str] | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.administrations = dict(DEMO_ADMINISTRATIONS if administrations is None else administrations)
        self.sessions: set[str] = set()
        self.daily_limit_reached = False  # Yuki's answer once the domain's calls of the day are used up
        self._lock = threading.Lock()
        self.route("POST", ACCOUNTING_PATH, self.accounting)

    def expire_sessions(self) -> None:
        """Forget every session, as Yuki does after a while."""
        with self._lock:
            self.sessions.clear()

    def accounting(self, request: Request) -> Response:
        if "xml" not in request.header("content-type"):
            return Response(415, b"Unsupported media type: SOAP 1.1 needs text/xml", {"Content-Type": "text/plain"})
        try:
            body = ElementTree.fromstring(request.body)
        except ElementTree.ParseError:
            return _fault("There is an error in XML document.", "soap:Client")
        call = next((e for e in body.iter() if e.tag.startswith(f"{{{NAMESPACE}}}")), None)
        operation = _local(call.tag) if call is not None else ""
        action = request.header("soapaction").strip('"')
        if action != NAMESPACE + operation:
            return _fault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.", "soap:Client")
        params = {_local(e.tag): (e.text or "") for e in call}
        if self.daily_limit_reached:
            return _fault("Daily limit exceeded")
        if operation == "Authenticate":
            return self.authenticate(params.get("accessKey", ""))
        if operation == "Administrations":
            return self.list_administrations(params.get("sessionID", ""))
        return _fault(f"Unknown operation {operation}.", "soap:Client")

    def authenticate(self, access_key: str) -> Response:
        if self.wrong_credentials or access_key != self.api_key:
            return _fault("System.Security.Authentication.AuthenticationException: Invalid access key.")
        session = str(uuid.uuid4())
        with self._lock:
            self.sessions.add(session)
        return _xml(f'<AuthenticateResponse xmlns="{NAMESPACE}"><AuthenticateResult>{session}</AuthenticateResult>'
                    "</AuthenticateResponse>")

    def list_administrations(self, session: str) -> Response:
        with self._lock:
            known = session in self.sessions
        if not known:
            return _fault("System.Exception: Session ID is invalid or has expired.")
        rows = "".join(f"<Administration ID={quoteattr(ident)}><Name>{escape(name)}</Name><Country>NL</Country>"
                       "<Active>true</Active></Administration>" for ident, name in self.administrations.items())
        return _xml(f'<AdministrationsResponse xmlns="{NAMESPACE}"><AdministrationsResult>'
                    f'<Administrations xmlns="">{rows}</Administrations></AdministrationsResult>'
                    "</AdministrationsResponse>")
