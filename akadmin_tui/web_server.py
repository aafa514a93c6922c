"""`akadmin serve`: the console in a browser through textual-serve, on loopback only and behind a one-time token."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import shlex
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from textual_serve.server import Server

TOKEN_COOKIE = "akadmin_token"
LOOPBACK_NAMES = {"localhost"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class NotLoopback(ValueError):
    """An address other than this host's loopback (127.0.0.1, ::1, localhost)."""


def loopback_address(address: str) -> str:
    """`address` when it is a loopback address, else NotLoopback saying how to reach the console instead."""
    if address in LOOPBACK_NAMES:
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(address).is_loopback:
            return address
    except ValueError:
        pass
    raise NotLoopback(f"akadmin serve listens on this host's loopback only (127.0.0.1 or ::1), not {address!r}: "
                      "reach it from your machine through SSH, e.g. ssh -L 8040:127.0.0.1:8040 server")


def free_port(address: str) -> int:
    """A port nothing listens on now, for --port 0."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def console_command(argv: list[str]) -> str:
    """The shell command textual-serve starts for each browser: this Python, this package, these options."""
    return shlex.join([sys.executable, "-m", "akadmin_tui", *argv])


class TokenServer(Server):
    """textual-serve's server, answering only requests that carry the token (in the address, then a cookie)."""

    def __init__(self, command: str, *, address: str, port: int, public_url: str | None, title: str,
                 announce: Callable[[str], None]) -> None:
        host = f"[{address}]" if ":" in address else address
        super().__init__(command, host=address, port=port, title=title,
                         public_url=public_url or f"http://{host}:{port}")
        self.token = secrets.token_urlsafe(24)
        self.announce = announce

    @property
    def open_url(self) -> str:
        """The address to open in the browser, token included."""
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._require_token)
        return app

    @web.middleware
    async def _require_token(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.query.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise web.HTTPForbidden(text="akadmin serve: open the address with the ?token=… printed when it started.\n")
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin is not None and origin.rstrip("/") != self.public_url.rstrip("/"):
            # A page of another site cannot drive the console, even from the admin's own browser.
            raise web.HTTPForbidden(text=f"akadmin serve: connections from {origin} are refused.\n")
        response = await handler(request)
        if request.path == "/" and request.query.get("token") and not response.prepared:
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    async def on_startup(self, app: web.Application) -> None:
        self.announce(self.open_url)

    def initialize_logging(self) -> None:
        # textual-serve's own log (rich, with locals in tracebacks) is not for an admin's terminal.
        return None


def serve(command: str, *, address: str, port: int, public_url: str | None, announce: Callable[[str], None],
          **extra: Any) -> None:
    """Serve the console until Ctrl+C or SIGTERM."""
    TokenServer(command, address=address, port=port, public_url=public_url, title="akadmin",
                announce=announce, **extra).serve()
