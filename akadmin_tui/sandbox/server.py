"""A small HTTP server for the emulators: routes, fault switches, one thread per server."""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Fault(StrEnum):
    """What an emulator can be told to do wrong."""

    NONE = "none"
    SLOW = "slow"  # answer after `delay_s`
    ERROR_500 = "500"
    ERROR_503 = "503"
    BURST_429 = "429"  # every call refused with Retry-After
    DROP = "drop"  # close the connection without answering
    MALFORMED = "malformed"  # 200 with an HTML page instead of the expected body
    WRONG_CREDENTIALS = "wrong_credentials"  # every credential is refused


@dataclass
class Request:
    """What the emulator received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, case-insensitively ("" when absent)."""
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The body parsed as JSON (None when it is not)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        """The body parsed as a form."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass
class Response:
    """What the emulator answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Response:
        """A JSON answer."""
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    """A threaded server that takes a client hanging up (a cancelled Test) in its stride."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class FaultState:
    """The fault switched on for one emulator, with its parameters."""

    fault: Fault = Fault.NONE
    delay_s: float = 3.0
    retry_after_s: int = 2
    retry_after_date: bool = False  # send Retry-After as an HTTP-date, as RFC 9110 §10.2.3 allows


def retry_after_headers(wait_s: float, as_date: bool = False) -> dict[str, str]:
    """Retry-After as delay-seconds, or as an HTTP-date (the server's own Date header goes with every answer)."""
    if not as_date:
        return {"Retry-After": str(int(wait_s))}
    return {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=wait_s), usegmt=True)}


class Emulator:
    """Routes of one emulated service, served on 127.0.0.1 at a free port."""

    name = "emulator"

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults = FaultState()
        self.calls: deque[Request] = deque(maxlen=200)  # enough for tests, bounded for a long demo
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer `method` on paths matching the regular expression `pattern`."""
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def set_fault(self, fault: Fault | str, **params: float) -> None:
        """Switch a fault on (Fault.NONE switches it off)."""
        self.faults = FaultState(Fault(fault), **params)

    @property
    def url(self) -> str:
        """The base URL the emulator serves."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> str:
        """Serve in a background thread (over TLS with a server context); returns the base URL."""
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; without TCP_NODELAY the body waits ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output and the console clean
                return

            def _serve(self) -> None:
                emulator.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = _Server(("127.0.0.1", port), _Handler)
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self.name}", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, http: BaseHTTPRequestHandler) -> None:
        """Read one request, apply the fault switch, dispatch, answer."""
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        parts = urlsplit(http.path)
        request = Request(http.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in http.headers.items()}, body)
        self.calls.append(request)
        if self.faults.fault is Fault.DROP:
            http.close_connection = True  # close without a word, as a crashed gateway would
            return
        response = self._faulted() or self._dispatch(request)
        http.send_response(response.status)
        for name, value in response.headers.items():
            http.send_header(name, value)
        http.send_header("Content-Length", str(len(response.body)))
        http.end_headers()
        http.wfile.write(response.body)

    def _faulted(self) -> Response | None:
        fault = self.faults.fault
        if fault is Fault.SLOW:
            time.sleep(self.faults.delay_s)
        elif fault is Fault.ERROR_500:
            return Response.json({"error": "internal_error", "message": "Internal Server Error"}, 500)
        elif fault is Fault.ERROR_503:
            return Response.json({"error": "unavailable", "message": "Service Unavailable"}, 503)
        elif fault is Fault.BURST_429:
            return Response.json({"error": "too_many_requests", "message": "Rate limit exceeded"}, 429,
                                 **retry_after_headers(self.faults.retry_after_s, self.faults.retry_after_date))
        elif fault is Fault.MALFORMED:
            return Response(200, b"<html><body>Gateway maintenance page</body></html>", {"Content-Type": "text/html"})
        return None

    def _dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            if method == request.method and pattern.match(request.path):
                return handler(request)
        return Response.json({"error": "not_found", "message": f"No route for {request.method} {request.path}"}, 404)

    @property
    def wrong_credentials(self) -> bool:
        """True while the emulator must refuse every credential."""
        return self.faults.fault is Fault.WRONG_CREDENTIALS
