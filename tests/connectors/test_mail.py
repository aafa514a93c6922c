"""Sending mail as the settings say: through the loopback SMTP sandbox, or the Gmail emulator."""

from __future__ import annotations

import base64
import socket
import threading
from pathlib import Path

import httpx
import pytest

from akadmin_tui.connectors import gmail
from akadmin_tui.connectors.diagnose import CERTIFICATE_HINT
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.mail import MailError, OutgoingMail, send_mail
from akadmin_tui.connectors.tokens import SHARED, cache_key
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.sandbox.smtp import SmtpSandbox
from akadmin_tui.settings import schema

from .tls import make_ca_and_server

USER, PASSWORD = "akadmin@acme.example", "demo-smtp-password"  # the demo config's [mail] login
SEND_AS = "noreply@acme.example"  # the demo config's Gmail "Send as"
READONLY = "https://www.googleapis.com/auth/gmail.readonly"

MAIL = OutgoingMail(to=("Zoé Durand <zoe@acme.example>",), cc=("compta@acme.example",), bcc=("audit@acme.example",),
                    subject="Échéance dépassée — lot FACT", body="Bonjour,\nLe lot a échoué à 03:00 ✗\n",
                    reply_to="support@acme.example")


def use_smtp(editor, server: SmtpSandbox, security: str = "none", *, login: bool = False, **changes) -> None:
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "smtp"})
    editor.apply(schema.MAIL, None, {"smtp_host": server.host, "smtp_port": server.port, "security": security,
                                     "username": USER if login else "", **changes})


async def refused(editor, mail: OutgoingMail = MAIL) -> str:
    with pytest.raises(MailError) as caught:
        await send_mail(editor, mail)
    return str(caught.value)


async def test_plain_delivery(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server)
    assert await send_mail(editor, MAIL) == f"127.0.0.1:{server.port} (no encryption)"
    [received] = server.wait_for(1)
    assert received.envelope_from == USER  # [mail] from_address
    assert received.envelope_to == ["zoe@acme.example", "compta@acme.example", "audit@acme.example"]
    message = received.message
    assert message["Subject"] == MAIL.subject and message["From"] == USER
    assert message["To"] == "Zoé Durand <zoe@acme.example>" and message["Cc"] == "compta@acme.example"
    assert message["Reply-To"] == "support@acme.example"
    assert message["Date"] and message["Message-ID"].endswith("@acme.example>")
    assert "Bcc" not in message and b"audit@" not in message.as_bytes()
    assert message.get_content_charset() == "utf-8" and message.get_content() == MAIL.body


async def test_sender_of_the_message_wins(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server)
    await send_mail(editor, OutgoingMail(to=("zoe@acme.example",), subject="s", body="b",
                                         sender="Batches <batches@acme.example>"))
    [received] = server.wait_for(1)
    assert received.envelope_from == "batches@acme.example"
    assert received.message["From"] == "Batches <batches@acme.example>"


async def test_login(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use_smtp(editor, server, login=True)
    await send_mail(editor, MAIL)
    assert len(server.wait_for(1)) == 1


async def test_login_required(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use_smtp(editor, server)
    text = await refused(editor)
    assert f"127.0.0.1:{server.port} requires a login before sending (530" in text and not server.mailbox


@pytest.mark.parametrize("wrong, expected", [
    ("Wr0ng-password!", f"refused the login {USER} (535 5.7.8 Authentication credentials invalid): check the User "
                        "name and Password"),
    ("Wr0ng-pässword", "holds characters outside ASCII, which Python's SMTP login cannot send"),
])
async def test_wrong_password_is_never_shown(editor, smtp_server, wrong: str, expected: str) -> None:
    server = smtp_server(USER, PASSWORD)
    use_smtp(editor, server, login=True, password=wrong)
    text = await refused(editor)
    assert expected in text
    assert wrong not in text and base64.b64encode(wrong.encode()).decode() not in text and PASSWORD not in text


@pytest.mark.parametrize("import_ca", [True, False])
async def test_starttls(editor, smtp_server, tmp_path: Path, import_ca: bool) -> None:
    ca_pem, context = make_ca_and_server(tmp_path)
    server = smtp_server(USER, PASSWORD, tls=context)
    use_smtp(editor, server, "starttls", login=True)
    if not import_ca:
        text = await refused(editor)
        assert "is not trusted" in text and CERTIFICATE_HINT in text and not server.mailbox
        return
    editor.create(schema.CERTIFICATES, "smtp-ca", {"pem": ca_pem})
    assert await send_mail(editor, MAIL) == f"127.0.0.1:{server.port} (STARTTLS)"
    assert server.wait_for(1)[0].message["Subject"] == MAIL.subject


async def test_implicit_tls(editor, smtp_server, tmp_path: Path) -> None:
    ca_pem, context = make_ca_and_server(tmp_path)
    server = smtp_server(USER, PASSWORD, tls=context, implicit_tls=True)
    use_smtp(editor, server, "tls", login=True)
    editor.create(schema.CERTIFICATES, "smtp-ca", {"pem": ca_pem})
    assert await send_mail(editor, MAIL) == f"127.0.0.1:{server.port} (TLS)"
    assert len(server.wait_for(1)) == 1


async def test_tls_against_a_plain_server(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server, "tls")
    text = await refused(editor)
    assert f"The TLS handshake with 127.0.0.1:{server.port} failed" in text and "set Security to starttls" in text


async def test_starttls_not_offered(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server, "starttls")
    assert "does not offer STARTTLS" in await refused(editor)


async def test_server_down_then_back(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server)
    server.set_fault("down")
    assert f"The connection to 127.0.0.1:{server.port} was refused" in await refused(editor)
    server.set_fault(None)
    await send_mail(editor, MAIL)
    assert len(server.wait_for(1)) == 1


async def test_unknown_host(editor) -> None:
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "smtp"})
    editor.apply(schema.MAIL, None, {"smtp_host": "smtp.invalid", "security": "none", "username": ""})
    assert (await refused(editor)).startswith("The host name smtp.invalid cannot be resolved (DNS)")


async def test_subject_line_breaks_are_folded(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server)
    await send_mail(editor, OutgoingMail(to=("zoe@acme.example",), subject="Batch failed:\nTimeout\r\n", body="b"))
    assert server.wait_for(1)[0].message["Subject"] == "Batch failed: Timeout"
    text = await refused(editor, OutgoingMail(to=("zoe@acme.example\nBcc: x@evil.example",), subject="s", body="b"))
    assert text == "An address of the message (sender, recipient or Reply-To) holds a line break."


async def test_server_hangs_up_at_once(editor, smtp_server) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        connection, _ = listener.accept()
        connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "smtp"})
    editor.apply(schema.MAIL, None, {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "username": ""})
    try:
        text = await refused(editor)
    finally:
        thread.join(5)
        listener.close()
    assert text == (f"127.0.0.1:{port} closed the connection (on connecting). It may expect TLS from the start: "
                    "set Security to tls (port 465).")


async def test_every_recipient_refused(editor, smtp_server) -> None:
    server = smtp_server()
    use_smtp(editor, server)
    server.set_fault("reject")
    text = await refused(editor, OutgoingMail(to=("zoe@acme.example",), subject="s", body="b"))
    assert text.startswith(f"127.0.0.1:{server.port} refused every recipient: zoe@acme.example (550 5.1.1")
    assert not server.mailbox


async def test_some_recipients_refused(editor, smtp_server) -> None:
    server = smtp_server()
    server.refused_recipients.add("audit@acme.example")
    use_smtp(editor, server)
    where = await send_mail(editor, MAIL)
    assert where.startswith(f"127.0.0.1:{server.port} (no encryption); refused: audit@acme.example (550 5.1.1")
    assert server.wait_for(1)[0].envelope_to == ["zoe@acme.example", "compta@acme.example"]


async def test_no_server_configured(editor) -> None:
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "smtp"})
    editor.apply(schema.MAIL, None, {"smtp_host": ""})
    assert (await refused(editor)).startswith("Configuration > Mail server has no SMTP server")


async def test_no_recipient(editor) -> None:
    assert await refused(editor, OutgoingMail(to=(), subject="s", body="b")) == "The message has no recipient."


# --- Gmail (the demo config selects it) -------------------------------------------------------------

def gmail_cache_key(editor, sandbox) -> tuple[str, ...]:
    key = gmail.load_key(editor.values(schema.GMAIL)["credential_key_path"])
    return cache_key(sandbox.google_oauth.token_url, key.client_email, key.pem, SEND_AS, gmail.GMAIL_SEND)


async def test_gmail(editor, sandbox) -> None:
    google = sandbox.google_oauth
    assert await send_mail(editor, MAIL) == f"Gmail API {google.url.removeprefix('http://')} as {SEND_AS}"
    [message] = google.sent
    assert message["From"] == SEND_AS and message["Subject"] == MAIL.subject
    assert message["Bcc"] == "audit@acme.example"  # Gmail finds Bcc recipients there, and strips the header itself
    assert message.get_content() == MAIL.body
    call = google.calls[-1]
    assert call.path == f"/gmail/v1/users/{SEND_AS}/messages/send" and call.header("Authorization").startswith("Bearer ya29.")


async def test_gmail_renews_a_revoked_cached_token(editor, sandbox) -> None:
    key = gmail_cache_key(editor, sandbox)
    SHARED.put(key, "ya29.revoked", 3600)
    try:
        await send_mail(editor, MAIL)
    finally:
        SHARED.forget(key)
    assert len(sandbox.google_oauth.sent) == 1
    assert [c.path for c in sandbox.google_oauth.calls][-3:] == [
        f"/gmail/v1/users/{SEND_AS}/messages/send", "/token", f"/gmail/v1/users/{SEND_AS}/messages/send"]


async def test_gmail_token_without_the_send_scope(editor, sandbox) -> None:
    # A token Google issued for another scope (the delegation was changed since it was cached).
    sandbox.google_oauth.issued["ya29.readonly"] = (SEND_AS, frozenset({READONLY}))
    key = gmail_cache_key(editor, sandbox)
    SHARED.put(key, "ya29.readonly", 3600)
    try:
        text = await refused(editor)
    finally:
        SHARED.forget(key)
    assert "does not carry the gmail.send scope (403: Request had insufficient authentication scopes.)" in text
    assert gmail.GMAIL_SEND in text and not sandbox.google_oauth.sent


async def test_gmail_delegation_not_granted(editor, sandbox) -> None:
    sandbox.google_oauth.granted_scopes = {READONLY}
    text = await refused(editor)
    assert text.startswith(f"No Google token to send as {SEND_AS}: Domain-wide delegation is not granted")


@pytest.mark.parametrize("fault, expected", [
    (Fault.BURST_429, "Gmail's sending limit is reached (429: Too Many Requests); it asks to wait 2 s"),
    (Fault.ERROR_503, "Gmail failed (503: Service Unavailable): a fault on Google's side"),
])
async def test_gmail_service_faults(editor, sandbox, fault: Fault, expected: str) -> None:
    await send_mail(editor, MAIL)  # leaves a token in the cache, so the fault meets the send itself
    sandbox.google_oauth.set_fault(fault)
    try:
        assert expected in await refused(editor)
    finally:
        SHARED.forget(gmail_cache_key(editor, sandbox))


async def test_gmail_needs_the_management_rule(editor) -> None:
    editor.apply(schema.MANAGEMENT_RULES, None, {"google_mail": False})
    text = await refused(editor)
    assert text == ("Gmail is the selected email application, but the GOOGLE_MAIL management rule is not enabled "
                    "(Configuration > Management rules).")


async def test_gmail_emulator_refusals(sandbox) -> None:
    google = sandbox.google_oauth
    url = f"{google.url}/gmail/v1/users/me/messages/send"
    google.issued["ya29.good"] = (SEND_AS, frozenset({gmail.GMAIL_SEND}))
    async with make_client() as client:
        unknown = await client.post(url, json={"raw": "eA"}, headers={"Authorization": "Bearer ya29.unknown"})
        bad_raw = await client.post(url, json={"raw": "not base64!"}, headers={"Authorization": "Bearer ya29.good"})
        other_user = await client.post(f"{google.url}/gmail/v1/users/boss@acme.example/messages/send",
                                       json={"raw": "eA"}, headers={"Authorization": "Bearer ya29.good"})
    assert unknown.status_code == 401 and unknown.json()["error"]["status"] == "UNAUTHENTICATED"
    assert bad_raw.status_code == 400 and "Base64 decoding failed" in bad_raw.json()["error"]["message"]
    assert other_user.status_code == 403 and other_user.json()["error"]["message"] == f"Delegation denied for {SEND_AS}"
    assert isinstance(unknown, httpx.Response) and not google.sent
