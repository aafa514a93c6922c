"""The Bridge user Test: the user's token from its external_user_id, as the statements batch gets it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akadmin_tui.connectors import bridge, bridge_api, probe
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.registry import TEST_NAMES, is_configuration_error, run_section_test, run_test
from akadmin_tui.sandbox.bridge import DEMO_EXTERNAL_ID, DEMO_USER_UUID, BridgeEmulator
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema
from akadmin_tui.widgets.test_panel import TestPanel
from tests.functional.conftest import SIZE, make_app
from tests.waiting import settle, wait_until

from .test_bridge import CLIENT_ID, SECRET
from .test_bridge import assert_no_secret as assert_no_bridge_secret

EMAIL, USER_PASSWORD = "finance@acme.example", "demo-bridge-user-password"  # the demo's Bridge user


@pytest.fixture
def emulator():
    running = BridgeEmulator(CLIENT_ID, SECRET)
    running.start()
    yield running
    running.stop()


def assert_no_secret(result, *secrets: str) -> None:
    assert_no_bridge_secret(result, USER_PASSWORD, *secrets)


async def user_test(emulator: BridgeEmulator, email: str = EMAIL, *, secret: str = SECRET,
                    version: str = bridge.DEFAULT_VERSION):
    account = bridge.BridgeAccount(emulator.api_url, version, CLIENT_ID, secret)
    async with make_client() as client:
        result = await bridge_api.test_user(account, email, client, password=USER_PASSWORD)
    assert_no_secret(result, secret)
    return result


async def test_a_known_user_gets_its_token(emulator) -> None:
    result = await user_test(emulator)
    assert result.passed and result.section == "bridge_user", result.to_text()
    [step] = result.steps
    assert step.name == "User token"
    assert step.detail.startswith(f"Bridge knows the user {DEMO_EXTERNAL_ID} (uuid {DEMO_USER_UUID}) and gave its "
                                  "token, valid until ")
    assert "The Password is not checked" in step.detail
    assert step.request.startswith(f"POST {emulator.api_url}/v3/aggregation/authorization/token")
    assert "Client-Secret: ********" in step.request and f"external_user_id={DEMO_EXTERNAL_ID}" in step.request
    call = emulator.calls[-1]
    assert (call.method, call.path, call.json()) == ("POST", "/v3/aggregation/authorization/token",
                                                     {"external_user_id": DEMO_EXTERNAL_ID})
    assert (call.header("client-id"), call.header("client-secret")) == (CLIENT_ID, SECRET)
    assert USER_PASSWORD.encode() not in call.body and USER_PASSWORD not in json.dumps(call.headers)


async def test_the_email_is_made_into_the_external_user_id_as_the_batch_does(emulator) -> None:
    result = await user_test(emulator, " Finance@ACME.example ")
    assert result.passed and result.target == f"Finance@ACME.example, external_user_id {DEMO_EXTERNAL_ID}"


async def test_an_unknown_user_is_named_with_what_to_do(emulator) -> None:
    result = await user_test(emulator, "nobody@acme.example")
    assert not result.passed and result.failed_step.detail == "HTTP 404"
    assert result.failed_step.diagnosis.startswith(
        "Bridge knows no user 'nobody-acme-example' (the external_user_id made from the Bridge user's e-mail "
        "nobody@acme.example): check Email in Third-party interfaces > Akuiteo Connect > Bridge user, or ask "
        "Akuiteo to create the user in Bridge.")


async def test_wrong_application_credentials(emulator) -> None:
    result = await user_test(emulator, secret="not-the-secret")
    diagnosis = result.failed_step.diagnosis
    assert diagnosis.startswith("Bridge refused the application's credentials (401): check Bridge client ID and "
                                "Bridge client secret in Third-party interfaces > Akuiteo Connect")
    assert diagnosis.count("..") == 0


async def test_an_unsupported_version(emulator) -> None:
    result = await user_test(emulator, version="2021-06-01")
    diagnosis = result.failed_step.diagnosis
    assert "HTTP 400" in diagnosis and "Bridge-Version 2021-06-01 is not supported" in diagnosis
    assert f"a dated Bridge-Version such as {bridge.DEFAULT_VERSION}" in diagnosis


async def test_the_ip_allow_list(emulator) -> None:
    emulator.ip_refused = True
    result = await user_test(emulator)
    assert result.failed_step.diagnosis.startswith("Bridge refused the call (403) while getting the Bridge user's "
                                                   "token: production applications only accept the IP addresses")


async def test_the_rate_limit_is_reported_at_once(emulator, monkeypatch) -> None:
    async def no_wait(seconds: float) -> None:
        raise AssertionError(f"a Test must not wait {seconds} s")

    monkeypatch.setattr(bridge_api, "sleep", no_wait)
    emulator.set_fault(Fault.BURST_429, retry_after_s=7)
    result = await user_test(emulator)
    assert result.failed_step.diagnosis.startswith("Bridge's rate limit is reached (429) while getting the Bridge "
                                                   "user's token: try again in 7 s")
    assert len(emulator.calls) == 1


async def test_a_bridge_that_is_not_there(emulator) -> None:
    url = emulator.api_url
    emulator.stop()
    account = bridge.BridgeAccount(url, bridge.DEFAULT_VERSION, CLIENT_ID, SECRET)
    async with make_client() as client:
        result = await bridge_api.test_user(account, EMAIL, client)
    port = url.rsplit(":", 1)[1]
    assert result.failed_step.diagnosis.startswith("Bridge could not be reached while getting the Bridge user's "
                                                   f"token: The connection to 127.0.0.1:{port} was refused")
    emulator.start()  # for the fixture's stop()


async def test_a_slow_answer_passes_with_a_warning(emulator, monkeypatch) -> None:
    monkeypatch.setattr(probe, "SLOW_ANSWER_S", 0.1)
    emulator.set_fault(Fault.SLOW, delay_s=0.3)
    result = await user_test(emulator)
    assert result.passed and result.steps[0].warning.startswith("Bridge answered in 0.")


# --- From the registry: the saved settings of Akuiteo Connect and of its Bridge user ---------------

async def test_through_the_registry_and_the_section_button(editor, sandbox) -> None:
    assert TEST_NAMES["bridge_user"].section is schema.BRIDGE_USER
    for result in (await run_test("bridge_user", editor), await run_section_test("bridge_user", editor)):
        assert result.passed, result.to_text()
        assert_no_secret(result)
    assert sandbox.bridge.calls[-1].json() == {"external_user_id": DEMO_EXTERNAL_ID}


async def test_the_registry_reads_the_bridge_users_email(editor, sandbox) -> None:
    editor.apply(schema.BRIDGE_USER, None, {"email": "someone.else@acme.example"})
    result = await run_test("bridge_user", editor)
    assert "Bridge knows no user 'someone-else-acme-example'" in result.failed_step.diagnosis


async def test_the_application_credentials_must_be_saved(editor, sandbox) -> None:
    editor.apply(schema.AKUITEO_CONNECT, None, {"active": False, "bridge_client_secret": None})
    result = await run_test("bridge_user", editor)
    assert is_configuration_error(result) and not sandbox.bridge.calls
    assert result.failed_step.diagnosis.startswith("Not saved yet in Third-party interfaces > Akuiteo Connect: "
                                                   "Bridge client secret")


def test_cli(akadmin, editor, sandbox, demo_path: Path) -> None:
    code, out, err = akadmin("test", "bridge_user", "--json", "--config", str(demo_path), "--passphrase-stdin",
                             stdin="akadmin-demo\n")
    assert code == 0, out + err
    result = json.loads(out)
    assert result["passed"] and [s["name"] for s in result["steps"]] == ["User token"]
    assert SECRET not in out and USER_PASSWORD not in out
    sandbox.bridge.users = []
    code, out, _ = akadmin("test", "bridge_user", "--config", str(demo_path), "--passphrase-stdin",
                           stdin="akadmin-demo\n")
    assert code == 1 and "Bridge knows no user 'finance-acme-example'" in out


async def test_f5_in_the_bridge_user_section(editor, sandbox, demo_path: Path) -> None:
    sandbox.bridge.users = []  # Bridge knows no one: the panel shows why, in words
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.open_section(schema.BRIDGE_USER.id)
        await wait_until(pilot, lambda: view.is_mounted and app.focused is not None, what="the Bridge user form")
        await pilot.press("f5")
        panel = view.query_one(TestPanel)
        await wait_until(pilot, lambda: panel.has_class("-passed") or panel.has_class("-failed"), what="the verdict")
        text = "\n".join(str(static.render()) for static in panel.query("Static"))
    assert panel.has_class("-failed") and "✗ User token" in text, text
    assert "Bridge knows no user 'finance-acme-example'" in text and SECRET not in text
