"""Plain-words diagnoses for every way a call to a service can fail."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from cryptography import x509

CERTIFICATE_HINT = "import its certificate under Configuration > Certificates (akadmin certs import FILE)"


def _causes(error: BaseException, depth: int = 0):
    """The error, what caused it, and the members of exception groups (anyio groups one per address)."""
    if depth > 8:
        return
    yield error
    for member in getattr(error, "exceptions", ()) or ():
        yield from _causes(member, depth + 1)
    cause = error.__cause__ or error.__context__
    if cause is not None:
        yield from _causes(cause, depth + 1)


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def certificate_issuer(url: str) -> str | None:
    """Who issued the certificate a server presents (read without verifying it), if it can be read."""
    host, port = _host_port(url)

    def fetch() -> str:
        pem = ssl.get_server_certificate((host, port), timeout=5)
        cert = x509.load_pem_x509_certificate(pem.encode())
        return cert.issuer.rfc4514_string()

    try:
        return await asyncio.to_thread(fetch)
    except (OSError, ValueError):
        return None


TLS_HOSTNAME_MISMATCH, TLS_EXPIRED = 62, 10


async def diagnose_exception(error: Exception, url: str, timeout_s: float, connect_s: float = 10.0) -> str:
    """What a transport-level failure means, and what to do about it."""
    host, port = _host_port(url)
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            if cause.verify_code == TLS_HOSTNAME_MISMATCH:
                return (f"The TLS certificate presented by {host} is for another name ({cause.verify_message}): "
                        "check the host name in the URL.")
            if cause.verify_code == TLS_EXPIRED:
                return f"The TLS certificate of {host} has expired: the service must renew it."
            issuer = await certificate_issuer(url)
            who = f" It was issued by {issuer}." if issuer else ""
            return (f"The TLS certificate of {host} is not trusted ({cause.verify_message}).{who} "
                    f"If you trust that authority, {CERTIFICATE_HINT}.")
        if isinstance(cause, socket.gaierror):
            return f"The host name {host} cannot be resolved (DNS): check the URL and the server's DNS settings."
        if isinstance(cause, ConnectionRefusedError):
            return (f"The connection to {host}:{port} was refused: nothing listens there, or a firewall "
                    "rejects it. Check the URL and the port.")
        if isinstance(cause, ssl.SSLError):
            return f"The TLS handshake with {host} failed ({cause.reason or cause}): check the URL's scheme and port."
    if isinstance(error, httpx.ConnectTimeout):
        return f"No connection to {host}:{port} within {connect_s:.0f} s: the host is down or filtered (firewall, proxy)."
    if isinstance(error, httpx.TimeoutException):
        return f"{host} accepted the connection but gave no answer within {timeout_s:.0f} s: the service is overloaded or stuck."
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
        return f"{host} closed the connection without a complete answer: the service or a proxy dropped it."
    if isinstance(error, httpx.LocalProtocolError):
        return ("A saved value cannot be sent in an HTTP header: a login, key or secret holds spaces at its ends, "
                "control characters or characters outside ASCII. Type it again.")
    if isinstance(error, httpx.ProxyError):
        return f"The proxy refused the connection to {host}: check HTTPS_PROXY / NO_PROXY."
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return f"The URL {url} cannot be used: check its scheme and host name."
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect to {host}:{port} ({type(error).__name__})."
    return f"The call to {host} failed ({type(error).__name__})."


def json_object(response: httpx.Response) -> dict:
    """The body as a JSON object, or {} when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _same(text: str) -> str:
    return text


def error_text(response: httpx.Response, redact: Callable[[str], str] = _same) -> str:
    """The service's own words about an error, masked by `redact` before it is shortened."""
    return _shorten(redact(_error_words(response)), 300)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_words(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text.strip().replace("\n", " ")[:4000]
    if isinstance(body, dict):
        parts = []
        for key in ("error", "error_description", "code", "message", "libelle", "title", "detail", "error_message"):
            value = body.get(key)
            if isinstance(value, (str, int)) and str(value) and str(value) not in parts:
                parts.append(str(value))
        # Sirene wraps its message in "header", Mindee V1 in "api_request.error".
        api_request = body.get("api_request")
        nested = body.get("header") if isinstance(body.get("header"), dict) else (
            api_request.get("error") if isinstance(api_request, dict) else None)
        if isinstance(nested, dict) and nested.get("message"):
            parts.append(str(nested["message"]))
        if parts:
            return ": ".join(parts)
    return json.dumps(body, ensure_ascii=False)[:4000]


def evidence(response: httpx.Response, redact: Callable[[str], str] = _same) -> str:
    """The challenge header and the body's own words, to append to a diagnosis."""
    parts = []
    challenge = response.headers.get("WWW-Authenticate")
    if challenge:
        parts.append(f"WWW-Authenticate: {redact(challenge)}.")
    said = error_text(response, redact)
    if said:
        parts.append(f"The service says: {said}.")
    return " ".join(parts)


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # an HTTP-date is always GMT


def asked_wait_s(response: httpx.Response) -> float | None:
    """The seconds a 429 or 503 asks to wait: Retry-After as delay-seconds or as an HTTP-date (RFC 9110 §10.2.3).

    A date is measured against the answer's own Date header when it has one, so a server clock ahead of ours
    does not stretch the wait. None when the header is absent or unreadable.
    """
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    until = _http_date(value) if value else None
    if until is None:
        return None
    sent = _http_date(response.headers.get("Date", "")) or datetime.now(UTC)
    return max(0.0, (until - sent).total_seconds())


def retry_after_s(response: httpx.Response, default: float, cap: float) -> float:
    """The wait to honour before calling again: what the service asks (capped at `cap`), else `default`."""
    asked = asked_wait_s(response)
    return default if asked is None else min(asked, cap)


def retry_after(response: httpx.Response) -> str:
    """The wait a 429 or 503 asks for, in words ("" when none)."""
    value = response.headers.get("Retry-After", "").strip()
    asked = asked_wait_s(response)
    if asked is None:
        return f"it asks to wait ({value!r}, not a delay akadmin can read)" if value else ""
    return f"it asks to wait {asked:.0f} s" + ("" if value.isdigit() else f" (until {value})")


def diagnose_status(response: httpx.Response, redact: Callable[[str], str] = _same) -> str:
    """What an HTTP error status means for this call."""
    status = response.status_code
    said = error_text(response, redact)
    said_part = f" The service says: {said}." if said else ""
    if status == 401:
        challenge = response.headers.get("WWW-Authenticate")
        challenge_part = f" WWW-Authenticate: {redact(challenge)}." if challenge else ""
        return f"The credentials were refused (401).{challenge_part}{said_part}"
    if status == 403:
        return f"Authenticated, but not allowed (403): the account lacks a right or a subscription.{said_part}"
    if status == 404:
        return f"Nothing at {response.request.url} (404): check the URL.{said_part}"
    if status == 415:
        return f"The service refused the content type of the request (415).{said_part}"
    if status == 429:
        wait = retry_after(response)
        wait_part = f"; {wait}" if wait else ""
        return f"Too many requests (429): a quota is reached{wait_part}. Lower the call rate or try later.{said_part}"
    if status >= 500:
        return f"The service failed ({status}): it is down or in maintenance, try again later.{said_part}"
    return f"The request was refused ({status}).{said_part}"
