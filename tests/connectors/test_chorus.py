"""The CHORUS PRO Test against the PISTE emulator: the success path and every failure class."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from akadmin_tui.connectors import chorus
from akadmin_tui.connectors.http import Timeouts, make_client
from akadmin_tui.connectors.registry import run_test
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox.demo_config import DEMO_RECORDS
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema

from .tls import make_ca_and_server

DEMO_SECRETS = [v for _, _, values in DEMO_RECORDS for k, v in values.items()
                if isinstance(v, str) and ("password" in k or "secret" in k or "token" in k or k.endswith("_key"))]


def assert_no_secret(result) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    leaked = [s for s in DEMO_SECRETS if s in text]
    assert not leaked, leaked


def account(sandbox, **overrides) -> chorus.ChorusAccount:
    values = dict(auth_url=sandbox.piste.auth_url, url=sandbox.piste.api_url, environment="qualification",
                  client_id="demo-acme-client", client_secret="demo-acme-secret",
                  login="TECH_1_ACME@cpro.fr", password="demo-acme-chorus", setup="ACME")
    values.update(overrides)
    return chorus.ChorusAccount(**values)


async def run(target: chorus.ChorusAccount, *, cache: TokenCache | None = None, timeouts: Timeouts | None = None,
              pems: tuple[str, ...] = ()):
    async with make_client(timeouts=timeouts, extra_ca_pems=pems) as client:
        result = await chorus.test_connection(target, client, cache=cache or TokenCache(),
                                              timeout_s=(timeouts or Timeouts()).read)
    assert_no_secret(result)
    return result


async def test_success_shows_the_supplier_structure(sandbox) -> None:
    result = await run(account(sandbox))
    assert result.passed, result.to_text()
    assert [s.name for s in result.steps] == ["PISTE token", "Supplier structures"]
    assert "idStructureCPP 26073616" in result.steps[1].detail
    assert result.steps[1].request.startswith("POST http://127.0.0.1:")
    assert "cpro-account: ********" in result.steps[1].request


async def test_the_technical_account_header_and_token_are_sent(sandbox) -> None:
    await run(account(sandbox))
    call = sandbox.piste.calls[-1]
    assert call.header("authorization").startswith("Bearer ")
    assert call.header("content-type") == "application/json;charset=utf-8"


async def test_wrong_piste_credentials(sandbox) -> None:
    result = await run(account(sandbox, client_secret="not-the-secret"))
    step = result.failed_step
    assert step.name == "PISTE token" and "invalid_client" in step.diagnosis
    assert "Piste Client ID and Piste Secret" in step.diagnosis
    assert result.steps[-1].outcome is Outcome.SKIPPED


async def test_wrong_technical_account(sandbox) -> None:
    result = await run(account(sandbox, password="wrong-password"))
    step = result.failed_step
    assert step.name == "Supplier structures" and "technical account" in step.diagnosis and "403" in step.diagnosis


async def test_a_cached_token_refused_as_expired_is_renewed_once(sandbox) -> None:
    cache = TokenCache()
    assert (await run(account(sandbox), cache=cache)).passed
    sandbox.piste.expire_tokens()
    result = await run(account(sandbox), cache=cache)
    assert result.passed, result.to_text()
    names = [(s.name, str(s.outcome)) for s in result.steps]
    assert names == [("PISTE token", "passed"), ("Supplier structures", "skipped"),
                     ("PISTE token", "passed"), ("Supplier structures", "passed")]


async def test_business_error(sandbox) -> None:
    sandbox.piste.state.business_error = (20001, "GDP_MSG_11.022")
    result = await run(account(sandbox))
    assert "codeRetour 20001, GDP_MSG_11.022" in result.failed_step.diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_500, "The service failed (500)"),
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
])
async def test_service_faults(sandbox, fault: Fault, expected: str) -> None:
    sandbox.piste.set_fault(fault)
    result = await run(account(sandbox))
    assert expected in result.failed_step.diagnosis, result.to_text()


async def test_quota_per_second_gives_429(sandbox) -> None:
    sandbox.piste.state.quota_per_second = 1
    first = await run(account(sandbox))
    second = await run(account(sandbox))
    assert first.passed and "429" in second.failed_step.diagnosis


async def test_timeout(sandbox) -> None:
    sandbox.piste.set_fault(Fault.SLOW, delay_s=1.5)
    result = await run(account(sandbox), timeouts=Timeouts(connect=1, read=0.3))
    assert "gave no answer within 0 s" in result.failed_step.diagnosis or "no answer within" in result.failed_step.diagnosis


async def test_not_found(sandbox) -> None:
    result = await run(account(sandbox, url=sandbox.piste.url + "/nope/"))
    assert "(404): check the URL" in result.failed_step.diagnosis


async def test_connection_refused(sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await run(account(sandbox, auth_url=f"http://127.0.0.1:{port}/api/oauth/token"))
    assert f"The connection to 127.0.0.1:{port} was refused" in result.failed_step.diagnosis


async def test_dns_failure(sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def no_such_host(host, *args, **kwargs):
        if host == "oauth.piste.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    result = await run(account(sandbox, auth_url="https://oauth.piste.invalid/api/oauth/token"))
    assert "The host name oauth.piste.invalid cannot be resolved (DNS)" in result.failed_step.diagnosis


async def test_tls_failure_names_the_issuer_and_passes_once_trusted(sandbox, tmp_path: Path) -> None:
    ca_pem, server_tls = make_ca_and_server(tmp_path)
    sandbox.piste.stop()
    sandbox.piste.start(tls=server_tls)
    target = account(sandbox)
    assert target.auth_url.startswith("https://127.0.0.1:")
    result = await run(target)
    diagnosis = result.failed_step.diagnosis
    assert "TLS certificate of 127.0.0.1 is not trusted" in diagnosis
    assert "CN=Sandbox Test Root CA" in diagnosis and "akadmin certs import" in diagnosis
    assert (await run(target, pems=(ca_pem,))).passed


async def test_resolution_is_part_of_the_test(editor, sandbox) -> None:
    result = await run_test("chorus", editor, company="BETA")
    assert result.passed is False
    assert "neither company BETA nor ***** has an enabled setup" in result.failed_step.diagnosis
    editor.apply(schema.CHORUS_SPECIAL, "*****", {"enabled": True, "piste_client_id": "demo-acme-client",
                                                   "piste_secret": "demo-acme-secret",
                                                   "chorus_login": "TECH_1_ACME@cpro.fr",
                                                   "chorus_password": "demo-acme-chorus"})
    result = await run_test("chorus", editor, company="BETA")
    assert result.passed, result.to_text()
    assert "the ***** default setup is used, which it should not be" in result.steps[0].detail
    assert result.checked == schema.DEFAULT_COMPANY  # what passed, and what the state database records
    assert (await run_test("chorus", editor, company="ACME")).checked == "ACME"


async def test_without_a_company_the_test_checks_the_setup_of_the_connection_company(editor, sandbox) -> None:
    # One rule for the console's Dematerialization Test and `akadmin test chorus`: the Akuiteo company code.
    editor.apply(schema.CHORUS, None, {"akuiteo_company_code": "ACME"})
    result = await run_test("chorus", editor)
    assert result.passed, result.to_text()
    assert (result.target, result.checked) == ("setup ACME, qualification", "ACME")


async def test_a_cached_token_refused_without_a_challenge_header_is_renewed(sandbox, monkeypatch) -> None:
    cache = TokenCache()
    assert (await run(account(sandbox), cache=cache)).passed
    sandbox.piste.expire_tokens()
    original = sandbox.piste._gate

    def bare_401(request):
        gate = original(request)
        if getattr(gate, "status", None) == 401:
            gate.headers.pop("WWW-Authenticate", None)
        return gate

    monkeypatch.setattr(sandbox.piste, "_gate", bare_401)
    result = await run(account(sandbox), cache=cache)
    assert result.passed, result.to_text()


async def test_secrets_are_masked_in_every_encoding(sandbox) -> None:
    odd = "my secret/+&=é"
    sandbox.piste.state.applications["demo-acme-client"] = odd
    async with make_client() as client:
        result = await chorus.test_connection(account(sandbox, client_secret=odd), client, cache=TokenCache())
    text = json.dumps(result.to_json(), ensure_ascii=False) + result.to_text()
    assert result.passed
    for form in (odd, "my+secret%2F%2B%26%3D%C3%A9", "my%20secret%2F%2B%26%3D%C3%A9"):
        assert form not in text
    assert "client_secret=********" in result.steps[0].request


async def test_a_server_echoing_a_secret_in_its_error_has_it_masked(sandbox, monkeypatch) -> None:
    from akadmin_tui.sandbox.server import Response

    monkeypatch.setattr(sandbox.piste, "token", lambda request: Response(
        502, ("x" * 290 + " bad form " + request.form().get("client_secret", "")).encode(), {"Content-Type": "text/plain"}))
    sandbox.piste.routes = [(m, p, sandbox.piste.token if "oauth" in p.pattern else h) for m, p, h in sandbox.piste.routes]
    result = await run(account(sandbox, client_secret="séc-ret-PISTE-42"))
    assert "séc-ret" not in json.dumps(result.to_json(), ensure_ascii=False) + result.to_text()
