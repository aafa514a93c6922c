"""A loopback SMTP server that keeps every message it accepts, for the demo and the tests."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from hmac import compare_digest

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .loopback import HOST, LoopbackServer

FAULTS = ("none", "reject", "down")  # what `set_fault` accepts; None means "none"


def _not_login_data_notice(record: logging.LogRecord) -> bool:
    # aiosmtpd logs a deprecation warning at every successful AUTH, whatever the caller does; with no logging
    # configured it would land on stderr, under the console's screen.
    return not str(record.msg).startswith("Session.login_data is deprecated")


logging.getLogger("mail.log").addFilter(_not_login_data_notice)


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: its envelope, the parsed message and when it came."""

    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    received_at: dt.datetime


class _Controller(Controller):
    """aiosmtpd's threaded controller, told the port the system picked when it was asked for port 0."""

    def _trigger_server(self) -> None:
        # The controller dials its own port to build the SMTP instance; with port 0 it would dial port 0.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    """aiosmtpd hooks: AUTH before MAIL when a login is set, the "reject" fault on RCPT, the mailbox on DATA."""

    def __init__(self, sandbox: SmtpSandbox) -> None:
        self.sandbox = sandbox

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        # Checked here rather than with aiosmtpd's auth_required, which warns whenever TLS is not required too.
        if self.sandbox.user is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.sandbox.fault == "reject" or address.lower() in self.sandbox.refused_recipients:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Lines come CRLF-terminated on the wire; the email package keeps "\n" in memory.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = BytesParser(policy=default_policy).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.sandbox._keep(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message,
                                        dt.datetime.now(dt.UTC)))
        return "250 2.0.0 Ok: queued"


class SmtpSandbox(LoopbackServer):
    """An SMTP server on 127.0.0.1: optional AUTH PLAIN/LOGIN, STARTTLS or implicit TLS, and a fault switch."""

    name = "smtp"
    FAULTS = FAULTS

    def __init__(self, user: str | None = None, password: str | None = None, tls: ssl.SSLContext | None = None,
                 implicit_tls: bool = False) -> None:
        assert (user is None) == (password is None), "give both a user and a password, or neither"
        assert tls is not None or not implicit_tls, "implicit TLS needs a server TLS context"
        self.user = user
        self.password = password
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.mailbox: list[ReceivedMail] = []
        self.refused_recipients: set[str] = set()  # lower-case addresses always refused with 550
        self._fault: str | None = None
        self._arrived = threading.Condition()
        self._controller: _Controller | None = None
        self._port = 0

    def set_fault(self, fault: str | None) -> None:
        """Switch a fault on ("none" or None switches it off); "down" stops the server, leaving it restarts it."""
        was_down = self._switch_fault(fault)
        if self._fault == "down":
            self._halt()
        elif was_down and self._port:
            self._serve(self._port)

    def start(self) -> tuple[str, int]:
        """Listen on a free port (or the same one again after stop()); returns (host, port)."""
        if self._controller is None:
            self._serve(self._port)
            if self._fault == "down":  # a port to come back on, but nothing listening
                self._halt()
        return HOST, self.port

    def stop(self) -> None:
        """Stop listening."""
        self._halt()

    def clear(self) -> None:
        """Forget every message received so far."""
        with self._arrived:
            self.mailbox.clear()

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[ReceivedMail]:
        """The mailbox once it holds at least `count` messages; raises TimeoutError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while len(self.mailbox) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.mailbox)} message(s) received, {count} expected")
                self._arrived.wait(left)
            return list(self.mailbox)

    def _keep(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.mailbox.append(mail)
            self._arrived.notify_all()

    def _serve(self, port: int) -> None:
        authenticator = self._authenticate if self.user is not None else None
        options: dict = {}
        if self.tls is not None and self.implicit_tls:
            options["ssl_context"] = self.tls
        elif self.tls is not None:
            options.update(tls_context=self.tls, require_starttls=True)
        # aiosmtpd only counts STARTTLS as encryption, so AUTH must be allowed in the clear both on plain
        # loopback and under implicit TLS (where the whole connection is encrypted already).
        auth_require_tls = self.tls is not None and not self.implicit_tls
        controller = _Controller(_Handler(self), hostname=HOST, port=port, server_hostname="sandbox.smtp.local",
                                 authenticator=authenticator, auth_require_tls=auth_require_tls, **options)
        controller.start()
        self._controller, self._port = controller, controller.port

    def _halt(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: object) -> AuthResult:
        assert self.user is not None and self.password is not None
        ok = (isinstance(auth_data, LoginPassword)
              and compare_digest(auth_data.login, self.user.encode())
              and compare_digest(auth_data.password, self.password.encode()))
        return AuthResult(success=ok, handled=False)
