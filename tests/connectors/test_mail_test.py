"""The Mail server Test: Connect, TLS, Log in, Send a test message, against the loopback SMTP sandbox."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from akadmin_tui.connectors import probe
from akadmin_tui.connectors.registry import TEST_NAMES, is_configuration_error, run_section_test, run_test
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.sandbox.smtp import SmtpSandbox
from akadmin_tui.settings import schema
from akadmin_tui.widgets.test_panel import TestPanel
from tests.functional.conftest import SIZE, make_app
from tests.waiting import settle, wait_until

from .tls import make_ca_and_server

USER, PASSWORD = "akadmin@acme.example", "demo-smtp-password"  # the demo config's [mail] login and sender
TO = "zoe@acme.example"


def use(editor, server: SmtpSandbox, security: str = "none", *, login: bool = True, **changes) -> None:
    editor.apply(schema.MAIL, None, {"smtp_host": server.host, "smtp_port": server.port, "security": security,
                                     "username": USER if login else "", **changes})


def steps(result) -> list[tuple[str, Outcome]]:
    return [(step.name, step.outcome) for step in result.steps]


def assert_no_password(result, *passwords: str) -> None:
    text = json.dumps(result.to_json(), ensure_ascii=False) + result.to_text()
    for password in (PASSWORD, *passwords):
        assert password not in text and base64.b64encode(password.encode()).decode() not in text


async def mail_test(editor, to: str | None = TO):
    result = await run_test("mail", editor, recipient=to)
    assert_no_password(result)
    return result


async def test_plain_with_login_sends_the_message_to_the_address_given(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server)
    result = await mail_test(editor)
    assert result.passed and result.verdict == "PASSED", result.to_text()
    assert result.section == "mail" and result.target == f"127.0.0.1:{server.port}, no encryption"
    assert steps(result) == [("Connect", Outcome.PASSED), ("Log in", Outcome.PASSED), ("Send", Outcome.PASSED)]
    assert "no encryption (Security: none)" in result.steps[0].detail
    assert result.steps[1].detail == f"logged in as {USER}"
    assert result.steps[2].detail.startswith(f"test message sent to {TO}, from {USER}")
    [received] = server.wait_for(1)
    assert received.envelope_from == USER and received.envelope_to == [TO]
    assert received.message["Subject"] == "akadmin: test message from the Mail server settings"
    assert received.message["To"] == TO and "Nothing needs to be done" in received.message.get_content()


async def test_without_user_name_there_is_no_login_step(editor, smtp_server) -> None:
    server = smtp_server()
    use(editor, server, login=False)
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.PASSED), ("Send", Outcome.PASSED)], result.to_text()
    assert "no login (no User name set)" in result.steps[0].detail


async def test_the_console_sends_to_the_sender_address(editor, smtp_server) -> None:
    # The console's F5 gives no address: the message goes to the section's Sender address, and the step says so.
    server = smtp_server(USER, PASSWORD)
    use(editor, server, from_address="alerts@acme.example")
    seen = []
    result = await run_section_test("mail", editor, on_step=seen.append)
    assert result.passed, result.to_text()
    assert result.steps[-1].detail.startswith("test message sent to alerts@acme.example, from alerts@acme.example")
    assert server.wait_for(1)[0].envelope_to == ["alerts@acme.example"]
    assert [step.name for step in seen] == ["Connect", "Log in", "Send"]


async def test_starttls_with_an_imported_authority(editor, smtp_server, tmp_path: Path) -> None:
    ca_pem, context = make_ca_and_server(tmp_path)
    server = smtp_server(USER, PASSWORD, tls=context)
    use(editor, server, "starttls")
    editor.create(schema.CERTIFICATES, "smtp-ca", {"pem": ca_pem})
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.PASSED), ("TLS", Outcome.PASSED), ("Log in", Outcome.PASSED),
                             ("Send", Outcome.PASSED)], result.to_text()
    assert result.steps[1].detail.startswith("STARTTLS: TLSv1.") and "certificate of 127.0.0.1 verified" in \
        result.steps[1].detail
    assert result.target == f"127.0.0.1:{server.port}, STARTTLS" and len(server.wait_for(1)) == 1


async def test_implicit_tls(editor, smtp_server, tmp_path: Path) -> None:
    ca_pem, context = make_ca_and_server(tmp_path)
    server = smtp_server(USER, PASSWORD, tls=context, implicit_tls=True)
    use(editor, server, "tls")
    editor.create(schema.CERTIFICATES, "smtp-ca", {"pem": ca_pem})
    result = await mail_test(editor)
    assert result.passed and [name for name, _ in steps(result)] == ["Connect", "TLS", "Log in", "Send"]
    assert result.steps[1].detail.startswith("TLS from the start: TLSv1.")


async def test_an_untrusted_certificate_fails_the_tls_step(editor, smtp_server, tmp_path: Path) -> None:
    _, context = make_ca_and_server(tmp_path)
    server = smtp_server(USER, PASSWORD, tls=context)
    use(editor, server, "starttls")
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.PASSED), ("TLS", Outcome.FAILED), ("Log in", Outcome.SKIPPED),
                             ("Send", Outcome.SKIPPED)], result.to_text()
    assert f"The TLS certificate of 127.0.0.1:{server.port} is not trusted" in result.failed_step.diagnosis
    assert result.steps[2].detail == "not run: TLS failed" and not server.mailbox


async def test_tls_from_the_start_against_a_plain_server_fails_the_tls_step(editor, smtp_server) -> None:
    server = smtp_server()
    use(editor, server, "tls", login=False)
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.PASSED), ("TLS", Outcome.FAILED), ("Send", Outcome.SKIPPED)]
    assert f"The TLS handshake with 127.0.0.1:{server.port} failed" in result.failed_step.diagnosis
    assert "set Security to starttls" in result.failed_step.diagnosis


async def test_starttls_not_offered(editor, smtp_server) -> None:
    server = smtp_server()
    use(editor, server, "starttls", login=False)
    result = await mail_test(editor)
    assert result.failed_step.name == "TLS" and "does not offer STARTTLS" in result.failed_step.diagnosis


async def test_a_refused_connection(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server)
    server.set_fault("down")
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.FAILED), ("Log in", Outcome.SKIPPED), ("Send", Outcome.SKIPPED)]
    assert result.failed_step.diagnosis.startswith(f"The connection to 127.0.0.1:{server.port} was refused")
    assert "Traceback" not in result.to_text()


@pytest.mark.parametrize("wrong", ["Wr0ng-password!", "demo-smtp-passwor"])
async def test_a_wrong_password_is_refused_535_and_never_shown(editor, smtp_server, wrong: str) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server, password=wrong)
    result = await mail_test(editor)
    assert_no_password(result, wrong)
    assert steps(result) == [("Connect", Outcome.PASSED), ("Log in", Outcome.FAILED), ("Send", Outcome.SKIPPED)]
    assert (f"refused the login {USER} (535 5.7.8 Authentication credentials invalid): check the User name and "
            "Password in Configuration > Mail server") in result.failed_step.diagnosis
    assert not server.mailbox


async def test_a_refused_recipient_is_550_on_the_send_step(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    server.refused_recipients.add(TO)
    use(editor, server)
    result = await mail_test(editor)
    assert steps(result) == [("Connect", Outcome.PASSED), ("Log in", Outcome.PASSED), ("Send", Outcome.FAILED)]
    assert result.failed_step.diagnosis.startswith(f"127.0.0.1:{server.port} refused every recipient: {TO} (550 5.1.1")
    assert not server.mailbox


async def test_login_required_but_no_user_name(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server, login=False)
    result = await mail_test(editor)
    assert result.failed_step.name == "Send" and "requires a login before sending (530" in result.failed_step.diagnosis


async def test_gmail_as_email_application_is_noted(editor, smtp_server) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server)
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "gmail"})
    result = await mail_test(editor)
    assert result.passed and "Gmail is the Email application" in result.steps[-1].detail
    assert len(server.wait_for(1)) == 1  # through the mail server all the same: it is this server's Test


async def test_a_slow_step_passes_with_a_warning(editor, smtp_server, monkeypatch) -> None:
    monkeypatch.setattr(probe, "SLOW_ANSWER_S", 0.0)  # every step is "slow"
    server = smtp_server(USER, PASSWORD)
    use(editor, server)
    result = await mail_test(editor)
    assert result.passed and result.warnings
    assert result.warnings[0].startswith(f"127.0.0.1:{server.port} answered in ")


@pytest.mark.parametrize("to", ["not-an-address", "zoe@acme.example\nBcc: x@evil.example"])
async def test_a_wrong_address_is_a_configuration_error(editor, smtp_server, to: str) -> None:
    server = smtp_server(USER, PASSWORD)
    use(editor, server)
    result = await mail_test(editor, to)
    assert is_configuration_error(result) and "is not an e-mail address" in result.failed_step.diagnosis
    assert not server.mailbox


async def test_needs_a_server_and_a_sender(editor) -> None:
    editor.apply(schema.MAIL, None, {"smtp_host": "", "from_address": ""})
    result = await mail_test(editor)
    assert is_configuration_error(result)
    assert result.failed_step.diagnosis == "Not saved yet: 'SMTP server', 'Sender address'."


def test_cli_to_address(akadmin, editor, sandbox, demo_path: Path) -> None:
    assert TEST_NAMES["mail"].uses_recipient and not TEST_NAMES["sirene"].uses_recipient
    code, out, err = akadmin("test", "mail", "--to", "Zoé <zoe@acme.example>", "--json", "--config", str(demo_path),
                             "--passphrase-stdin", stdin="akadmin-demo\n")
    assert code == 0, out + err
    result = json.loads(out)
    assert result["passed"] and [s["name"] for s in result["steps"]] == ["Connect", "Log in", "Send"]
    assert "test message sent to Zoé <zoe@acme.example>" in result["steps"][-1]["detail"] and PASSWORD not in out
    assert sandbox.smtp.wait_for(1)[-1].envelope_to == ["zoe@acme.example"]


def test_cli_refuses_to_for_another_test_and_a_wrong_address(akadmin, editor, sandbox, demo_path: Path) -> None:
    code, _, err = akadmin("test", "sirene", "--to", TO, "--config", str(demo_path))
    assert code == 2 and "--to applies to mail only" in err
    code, out, _ = akadmin("test", "mail", "--to", "nobody", "--config", str(demo_path), "--passphrase-stdin",
                           stdin="akadmin-demo\n")
    assert code == 2 and "'nobody' is not an e-mail address" in out


def test_cli_failure_exits_1_with_the_refusal(akadmin, editor, sandbox, demo_path: Path) -> None:
    sandbox.smtp.refused_recipients.add(TO)
    code, out, _ = akadmin("test", "mail", "--to", TO, "--config", str(demo_path), "--passphrase-stdin",
                           stdin="akadmin-demo\n")
    assert code == 1 and "✗ Send" in out and "refused every recipient: zoe@acme.example (550" in out
    assert PASSWORD not in out


async def test_f5_in_the_mail_server_section_sends_to_the_sender_address(editor, sandbox, demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.open_section(schema.MAIL.id)
        await wait_until(pilot, lambda: view.is_mounted and app.focused is not None, what="the Mail server form")
        await pilot.press("f5")
        panel = view.query_one(TestPanel)
        await wait_until(pilot, lambda: panel.has_class("-passed") or panel.has_class("-failed"), what="the verdict")
        text = "\n".join(str(static.render()) for static in panel.query("Static"))
    assert panel.has_class("-passed"), text
    assert "✓ Connect" in text and "✓ Log in" in text and "✓ Send" in text
    assert f"test message sent to {USER}, from {USER}" in text and PASSWORD not in text
    assert sandbox.smtp.wait_for(1)[-1].envelope_to == [USER]
