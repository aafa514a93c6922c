"""Sending an e-mail the way the settings say: through the mail server, or the Gmail API."""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

import httpx

from ..settings import schema
from ..settings.editor import SettingsEditor, trusted_certificates
from ..settings.validate import gmail_precondition_problems
from . import gmail
from .diagnose import CERTIFICATE_HINT, TLS_EXPIRED, TLS_HOSTNAME_MISMATCH, diagnose_exception, json_object, retry_after
from .http import make_client, trust_context
from .probe import MASK, Probe, secret_forms
from .result import TestResult
from .tokens import SHARED

TIMEOUT_S = 30.0
GMAIL_API = "https://gmail.googleapis.com"
SECURITY_LABELS = {"none": "no encryption", "starttls": "STARTTLS", "tls": "TLS"}
MAIL_SERVER = "Configuration > Mail server"
OFFICE_AUTOMATION = "Configuration > Office automation"


@dataclass(frozen=True)
class OutgoingMail:
    """A plain-text message to send, with attachments if any."""

    to: tuple[str, ...]
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    sender: str = ""  # empty: [mail] from_address (or Gmail's send_as)
    reply_to: str = ""
    attachments: tuple[tuple[str, bytes], ...] = ()  # (file name, content), e.g. documents for an accountant


class MailError(Exception):
    """Why a message could not be sent, in words (never a secret)."""

    def __init__(self, text: str, stage: str = "") -> None:
        super().__init__(text)
        # Where an SMTP session stopped: "connect", "tls", "login" or "send"; "" when no session was opened.
        self.stage = stage


def build_message(mail: OutgoingMail, sender: str, *, with_bcc: bool = False) -> EmailMessage:
    """The RFC 5322 message; Bcc stays out of it unless the transport needs it to find the recipients."""
    try:
        return _compose(mail, sender, with_bcc)
    except ValueError:  # the email package refuses a line break in a header
        raise MailError("An address of the message (sender, recipient or Reply-To) holds a line break.") from None


def _compose(mail: OutgoingMail, sender: str, with_bcc: bool) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    if mail.to:
        message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    if with_bcc and mail.bcc:
        message["Bcc"] = ", ".join(mail.bcc)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    # A subject made from an error text may hold line breaks, which a header cannot.
    message["Subject"] = " ".join(mail.subject.split())
    message["Date"] = formatdate(localtime=True)
    # A domain of our own: without one, make_msgid asks DNS for this host's name.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "akadmin.invalid")
    # Quoted-printable keeps any UTF-8 body within 7-bit lines, whatever the server offers (8BITMIME or not).
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    for name, content in mail.attachments:
        maintype, _, subtype = (mimetypes.guess_type(name)[0] or "application/octet-stream").partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


async def send_mail(editor: SettingsEditor, mail: OutgoingMail, *, client: httpx.AsyncClient | None = None) -> str:
    """Send through the mail server, or the Gmail API when Gmail is the e-mail application; returns where it went."""
    if not (mail.to or mail.cc or mail.bcc):
        raise MailError("The message has no recipient.")
    if editor.values(schema.OFFICE_AUTOMATION).get("email_application") == "gmail":
        problems = gmail_precondition_problems(editor.config.plain())
        if problems:
            raise MailError(f"Gmail is the selected email application, but {'; '.join(problems)}.")
        if client is not None:
            return await _send_gmail(editor, mail, client)
        async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
            return await _send_gmail(editor, mail, own)
    return await _send_smtp(editor, mail)


# --- Through the mail server ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Server:
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    ca_pems: tuple[str, ...] = field(repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def redact(self, text: str) -> str:
        """`text` without the password in any of its forms (a server may echo what it was sent)."""
        if self.password:
            for form in sorted(secret_forms(self.password), key=len, reverse=True):
                text = text.replace(form, MASK)
        return text


def _server_of(editor: SettingsEditor, values: dict) -> _Server:
    host = str(values.get("smtp_host") or "").strip()
    if not host:
        raise MailError(f"{MAIL_SERVER} has no SMTP server: set the host name of the mail server.")
    return _Server(host, int(values.get("smtp_port") or 587), str(values.get("security") or "starttls"),
                   str(values.get("username") or ""), str(values.get("password") or ""),
                   tuple(trusted_certificates(editor)))


async def _send_smtp(editor: SettingsEditor, mail: OutgoingMail) -> str:
    values = editor.values(schema.MAIL)
    server = _server_of(editor, values)
    security = server.security
    sender = mail.sender or str(values.get("from_address") or "")
    if not parseaddr(sender)[1]:
        raise MailError(f"{MAIL_SERVER} has no Sender address, and the message names no sender.")
    recipients = [parseaddr(address)[1] or address for address in (*mail.to, *mail.cc, *mail.bcc)]
    message = build_message(mail, sender)
    refused = await asyncio.to_thread(_deliver, server, message, parseaddr(sender)[1], recipients)
    where = f"{server.where} ({SECURITY_LABELS.get(security, security)})"
    if refused:
        # The others received it: raising would have a caller send it to them twice.
        where += "; refused: " + ", ".join(f"{address} ({_reply(code, text, server)})"
                                           for address, (code, text) in refused.items())
    return where


def _reply(code: int, text: bytes | str, server: _Server) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return server.redact(f"{code} {' '.join(said.split())}".strip())


@dataclass(frozen=True)
class SessionStage:
    """One stage of an SMTP session that went well ("connect", "tls", "login", "send"), for the Test's steps."""

    name: str
    seconds: float
    detail: str = ""


def _tls_detail(session: smtplib.SMTP, server: _Server) -> str:
    sock = session.sock
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
    return f"{version or 'TLS'}, certificate of {server.host} verified"


def _deliver(server: _Server, message: EmailMessage, envelope_from: str, recipients: list[str],
             stages: list[SessionStage] | None = None) -> dict[str, tuple[int, bytes]]:
    """The SMTP session, in a worker thread; returns the recipients refused while others were accepted.

    `stages` receives each stage as it succeeds; a MailError's `stage` says which one failed.
    """
    stage = "connect"
    clock = time.perf_counter
    began = clock()

    def done(name: str, detail: str) -> None:
        nonlocal began
        if stages is not None:
            stages.append(SessionStage(name, clock() - began, detail))
        began = clock()

    try:
        context = trust_context(server.ca_pems) if server.security != "none" else None
        if server.security == "tls":
            session: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_S, context=context)
        else:
            session = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_S)
        try:
            done("connect", f"{server.where} answered")
            if server.security == "tls":
                done("tls", f"TLS from the start: {_tls_detail(session, server)}")
            if server.security == "starttls":
                stage = "starttls"
                session.starttls(context=context)
                done("tls", f"STARTTLS: {_tls_detail(session, server)}")
            if server.username:
                stage = "login"
                session.login(server.username, server.password)
                done("login", f"logged in as {server.username}")
            stage = "send"
            refused = session.send_message(message, envelope_from, recipients)
            done("send", "")
        except BaseException:
            session.close()  # no QUIT: after a failed handshake it could wait the whole timeout for nothing
            raise
    except Exception as error:  # noqa: BLE001 - every failure becomes a MailError that says which
        # With TLS from the start, the handshake happens while connecting: it is still the TLS that failed.
        failed = "tls" if stage == "starttls" or (stage == "connect" and isinstance(error, ssl.SSLError)) else stage
        raise MailError(server.redact(_explain(error, server, stage, envelope_from)), failed) from None
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the server has accepted the message: a failed goodbye must not have it sent again
    return refused


def _explain(error: Exception, server: _Server, stage: str, sender: str) -> str:
    where = server.where
    # smtplib's exceptions are OSErrors: they must be told apart before the network ones.
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (f"{where} refused the login {server.username} ({_reply(error.smtp_code, error.smtp_error, server)}): "
                f"check the User name and Password in {MAIL_SERVER}.")
    if isinstance(error, smtplib.SMTPSenderRefused) and error.smtp_code == 530:
        return (f"{where} requires a login before sending ({_reply(error.smtp_code, error.smtp_error, server)}): "
                f"set the User name and Password in {MAIL_SERVER}.")
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (f"{where} refused the sender address {sender} ({_reply(error.smtp_code, error.smtp_error, server)}): "
                "the login may not be allowed to send as that address; check the Sender address.")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{address} ({_reply(code, text, server)})"
                            for address, (code, text) in error.recipients.items())
        return f"{where} refused every recipient: {refused}."
    if isinstance(error, smtplib.SMTPDataError):
        return f"{where} refused the message itself ({_reply(error.smtp_code, error.smtp_error, server)})."
    if isinstance(error, smtplib.SMTPConnectError):
        return f"{where} refused the session ({_reply(error.smtp_code, error.smtp_error, server)})."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        hint = (" It may expect TLS from the start: set Security to tls (port 465)."
                if stage == "connect" and server.security != "tls" else "")
        return f"{where} closed the connection ({_STAGES[stage]}).{hint}"
    if isinstance(error, smtplib.SMTPNotSupportedError) and stage == "starttls":
        return (f"{where} does not offer STARTTLS: set Security to tls if it expects TLS from the start (port 465), "
                "or to none if it cannot encrypt at all.")
    if isinstance(error, smtplib.SMTPNotSupportedError) and stage == "login":
        advice = "set Security to starttls, or " if server.security == "none" else ""
        return (f"{where} offers no authentication (AUTH) on this connection: {advice}clear the User name if the "
                "server needs no login.")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{where} does not support non-ASCII addresses (SMTPUTF8): use ASCII addresses."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {_reply(error.smtp_code, error.smtp_error, server)} ({_STAGES[stage]})."
    if isinstance(error, smtplib.SMTPException) and stage == "login":
        return f"{where} offers no authentication method akadmin knows (PLAIN, LOGIN or CRAM-MD5)."
    if isinstance(error, UnicodeError) and stage == "login":
        return ("The User name or Password holds characters outside ASCII, which Python's SMTP login cannot send: "
                f"use ASCII characters for this login in {MAIL_SERVER}.")
    if isinstance(error, ssl.SSLCertVerificationError):
        if error.verify_code == TLS_HOSTNAME_MISMATCH:
            return (f"The TLS certificate presented by {where} is for another name ({error.verify_message}): "
                    f"check the SMTP server's name in {MAIL_SERVER}.")
        if error.verify_code == TLS_EXPIRED:
            return f"The TLS certificate of {where} has expired: the mail server must renew it."
        return (f"The TLS certificate of {where} is not trusted ({error.verify_message}). "
                f"If you trust the authority that issued it, {CERTIFICATE_HINT}.")
    if isinstance(error, ssl.SSLError):
        hint = (" It may expect STARTTLS rather than TLS from the start: set Security to starttls (port 587)."
                if server.security == "tls" else "")
        return f"The TLS handshake with {where} failed ({error.reason or error}).{hint}"
    if isinstance(error, socket.gaierror):
        return f"The host name {server.host} cannot be resolved (DNS): check the SMTP server in {MAIL_SERVER}."
    if isinstance(error, ConnectionRefusedError):
        return (f"The connection to {where} was refused: nothing listens there, or a firewall rejects it. "
                f"Check the SMTP server and Port in {MAIL_SERVER}.")
    if isinstance(error, TimeoutError) and stage == "connect":
        return (f"No greeting from {where} within {TIMEOUT_S:.0f} s: the host is down or filtered (firewall), "
                "or it expects TLS from the start (Security: tls, port 465).")
    if isinstance(error, TimeoutError):
        return f"{where} stopped answering for {TIMEOUT_S:.0f} s ({_STAGES[stage]})."
    if isinstance(error, OSError):
        return f"The connection to {where} failed ({_STAGES[stage]}): {error.strerror or type(error).__name__}."
    return f"Sending through {where} failed ({_STAGES[stage]}; {type(error).__name__})."


_STAGES = {"connect": "on connecting", "starttls": "during STARTTLS", "login": "during the login",
           "send": "while sending the message"}


# --- Through the Gmail API --------------------------------------------------------------------------

def gmail_api_base(token_url: str) -> str:
    """Gmail's API when the token comes from Google, else the token server's own origin (the sandbox serves both)."""
    parts = urlsplit(token_url)
    if (parts.hostname or "").endswith(".googleapis.com"):
        return GMAIL_API
    return f"{parts.scheme}://{parts.netloc}"


async def _send_gmail(editor: SettingsEditor, mail: OutgoingMail, client: httpx.AsyncClient) -> str:
    values = editor.values(schema.GMAIL)
    key_path, send_as = str(values.get("credential_key_path") or ""), str(values.get("send_as") or "").strip()
    if "@" not in send_as:
        raise MailError("Third-party interfaces > Gmail configuration has no Send as address: a service account "
                        "sends as a user of the Workspace domain.")
    try:
        key = await asyncio.to_thread(gmail.load_key, key_path)  # file and RSA parsing off the event loop
    except gmail.KeyFileError as error:
        raise MailError(str(error)) from None
    account = gmail.GmailAccount(key_path, send_as)
    base = gmail_api_base(account.token_url_override or key.token_uri)
    url = f"{base}/gmail/v1/users/{quote(send_as, safe='@')}/messages/send"
    # Gmail reads Bcc from the message itself and strips it from the copies it delivers.
    message = build_message(mail, mail.sender or send_as, with_bcc=True)
    raw = base64.urlsafe_b64encode(message.as_bytes(policy=SMTP_POLICY)).decode()
    for fresh in (False, True):
        token = await _gmail_token(client, account, key, reuse=not fresh)
        try:
            response = await client.post(url, json={"raw": raw}, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            diagnosis = await diagnose_exception(error, url, TIMEOUT_S)
            raise MailError(f"The Gmail API could not be reached: {diagnosis}") from None
        # A cached token can have been revoked since: one more try with a fresh one.
        if response.status_code != 401 or fresh:
            break
    if response.status_code == 200:
        return f"Gmail API {urlsplit(base).netloc} as {send_as}"
    raise MailError(_gmail_refusal(response, account, key))


async def _gmail_token(client: httpx.AsyncClient, account: gmail.GmailAccount, key: gmail.ServiceAccountKey, *,
                       reuse: bool) -> str:
    assertion = gmail.sign_assertion(key, account.send_as)
    result = TestResult("gmail", account.send_as)
    probe = Probe(result, [key.pem, assertion], timeout_s=TIMEOUT_S)
    token = await gmail.fetch_token(probe, client, account, key, assertion, SHARED, reuse=reuse)
    if token is None:
        failed = result.failed_step
        raise MailError(f"No Google token to send as {account.send_as}: {failed.diagnosis if failed else 'no answer'}")
    return token


def _gmail_refusal(response: httpx.Response, account: gmail.GmailAccount, key: gmail.ServiceAccountKey) -> str:
    status = response.status_code
    error = json_object(response).get("error")
    error = error if isinstance(error, dict) else {}
    said = str(error.get("message") or response.reason_phrase)
    reasons = " ".join(str(e.get("reason", "")) for e in error.get("errors") or () if isinstance(e, dict))
    if status == 400:
        return f"Gmail refused the message (400: {said})."
    if status == 401:
        return (f"Gmail refused even a fresh access token (401: {said}): the token Google issued for "
                f"{key.client_email} is not accepted by the Gmail API.")
    if status == 403 and ("insufficientPermissions" in reasons or "scope" in said.lower()):
        return (f"The access token does not carry the gmail.send scope (403: {said}): the domain-wide delegation of "
                f"client ID {key.client_id or '(see the key file)'} must grant {gmail.GMAIL_SEND}.")
    if status == 403 and ("accessNotConfigured" in reasons or "SERVICE_DISABLED" in str(error.get("status"))
                          or "has not been used" in said or "is disabled" in said):
        return (f"The Gmail API is not enabled in the service account's Google Cloud project (403: {said}): "
                "enable it in Google Cloud console > APIs & Services > Library > Gmail API.")
    if status == 403:
        return (f"Gmail does not let {key.client_email} send as {account.send_as} (403: {said}): it must be an "
                "active mailbox of the Workspace domain that granted the delegation, with Gmail enabled.")
    if status == 429:
        wait = retry_after(response)
        return (f"Gmail's sending limit is reached (429: {said}){'; ' + wait if wait else ''}: the message was not "
                "sent; send it again later.")
    if status >= 500:
        return f"Gmail failed ({status}: {said}): a fault on Google's side; the message was not sent, try again later."
    return f"Gmail answered HTTP {status} ({said}): the message was not sent."


async def connect(editor: SettingsEditor, name: str, values: dict, client: httpx.AsyncClient,
                  on_step=None) -> TestResult:
    """Connect for an Email accounting configuration: a test message to its recipient, as deliveries will go."""
    result = TestResult("accounting", f"{name} (Email)")
    probe = Probe(result, on_step=on_step)
    recipient = str(values.get("recipient_email") or "").strip()
    mail = OutgoingMail(to=(recipient,) if recipient else (), subject=f"akadmin: test of accounting configuration {name}",
                        body=f"This message checks that akadmin can send the documents of accounting configuration "
                             f"{name} to {recipient}. Nothing needs to be done.\n")
    clock = asyncio.get_running_loop().time
    started = clock()
    try:
        where = await send_mail(editor, mail, client=client)
    except MailError as error:
        probe.failed("Test message", str(error), duration_ms=round((clock() - started) * 1000, 1))
    else:
        probe.passed("Test message", f"sent to {recipient} through {where}",
                     duration_ms=round((clock() - started) * 1000, 1))
    return result


# --- The Mail server Test ---------------------------------------------------------------------------

MAIL_TEST = "mail"
# The steps of a session, in order, by the stage that makes them; TLS and Log in only when the settings ask.
STEP_NAMES = {"connect": "Connect", "tls": "TLS", "login": "Log in", "send": "Send"}
SLOW_EFFECT = "every alert and execution log the batches send will wait as long"


def test_message(sender: str, recipient: str, where: str) -> OutgoingMail:
    """The short message the Mail server Test sends."""
    return OutgoingMail(
        to=(recipient,), sender=sender, subject="akadmin: test message from the Mail server settings",
        body=(f"This message checks that akadmin can send e-mail through {where} from {sender}: the alerts and "
              f"execution logs of the batches go the same way. Nothing needs to be done.\n"))


async def test_server(editor: SettingsEditor, recipient: str, *, on_step=None) -> TestResult:
    """The Mail server Test: connect, TLS, log in, send a test message to `recipient`, each stage a step.

    It goes through the mail server whatever the e-mail application is (the Test is the Mail server's).
    The steps are recorded once the session is over: it runs in a worker thread.
    """
    values = editor.values(schema.MAIL)
    server = _server_of(editor, values)
    label = SECURITY_LABELS.get(server.security, server.security)
    result = TestResult(MAIL_TEST, f"{server.where}, {label}")
    probe = Probe(result, [server.password], on_step=on_step, service=server.where, slow_effect=SLOW_EFFECT)
    sender = str(values.get("from_address") or "").strip()
    planned = ["connect"] + (["tls"] if server.security != "none" else []) + (["login"] if server.username else [])
    planned.append("send")
    stages: list[SessionStage] = []
    started = time.perf_counter()
    try:
        message = build_message(test_message(sender, recipient, server.where), sender)
        refused = await asyncio.to_thread(_deliver, server, message, parseaddr(sender)[1],
                                          [parseaddr(recipient)[1] or recipient], stages)
    except MailError as error:
        failed_at, text = error.stage or "connect", str(error)
        refused = {}
    else:
        failed_at, text = "", ""
    if refused:  # one recipient: smtplib raises when it is refused, so this is only a safety net
        failed_at, text = "send", f"{server.where} refused {recipient}: " + ", ".join(
            _reply(code, said, server) for code, said in refused.values())
    done = {stage.name: stage for stage in stages}
    # The Test is the mail server's, but when Gmail is the Email application the batches' mail goes there.
    via_gmail = editor.values(schema.OFFICE_AUTOMATION).get("email_application") == "gmail"
    for name in planned:
        step = STEP_NAMES[name]
        if name in done and name != failed_at:
            stage = done[name]
            ms = round(stage.seconds * 1000, 1)
            detail = _passed_detail(name, stage, server, sender, recipient)
            if name == "send" and via_gmail:
                detail += (f"; note: Gmail is the Email application ({OFFICE_AUTOMATION}), so akadmin sends its "
                           "mail through Gmail, not this server")
            probe.passed(step, detail, duration_ms=ms, warning=probe.slow_warning(ms))
        elif name == failed_at:
            spent = time.perf_counter() - started - sum(s.seconds for s in stages)
            probe.failed(step, text, duration_ms=round(max(spent, 0.0) * 1000, 1))
        elif failed_at == "tls" and name == "connect":
            # TLS from the start failed while connecting: the server did answer, the handshake did not succeed.
            probe.passed(step, f"{server.where} accepted the connection")
        else:
            probe.skipped(step, f"not run: {STEP_NAMES[failed_at]} failed")
    return result


def _passed_detail(name: str, stage: SessionStage, server: _Server, sender: str, recipient: str) -> str:
    if name == "connect":
        extra = [] if server.security != "none" else ["no encryption (Security: none)"]
        extra += [] if server.username else ["no login (no User name set)"]
        return "; ".join([stage.detail, *extra])
    if name == "send":
        return f"test message sent to {recipient}, from {sender}: check that it arrived"
    return stage.detail
