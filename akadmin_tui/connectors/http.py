"""The one place HTTP clients are made: timeouts, trusted certificates, proxy, User-Agent."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from .. import __version__

USER_AGENT = f"akadmin/{__version__} (+Akuiteo administration console)"

# The client type callers outside the connectors name (they get one from make_client).
HttpClient = httpx.AsyncClient


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, and for an answer."""

    connect: float = 10.0
    read: float = 30.0

    def as_httpx(self) -> httpx.Timeout:
        """The same limits in httpx's terms."""
        return httpx.Timeout(self.read, connect=self.connect)


def trust_context(extra_ca_pems: Sequence[str] = ()) -> ssl.SSLContext:
    """The system's trusted authorities plus the certificates imported into akadmin."""
    context = ssl.create_default_context()
    for pem in extra_ca_pems:
        context.load_verify_locations(cadata=pem)
    return context


def make_client(*, extra_ca_pems: Sequence[str] = (), timeouts: Timeouts | None = None,
                transport: httpx.AsyncBaseTransport | None = None) -> HttpClient:
    """An async client every connector uses; the proxy comes from the environment (HTTPS_PROXY…)."""
    return HttpClient(
        verify=trust_context(extra_ca_pems),
        timeout=(timeouts or Timeouts()).as_httpx(),
        headers={"User-Agent": USER_AGENT},
        trust_env=True,
        follow_redirects=False,
        transport=transport,
    )
