"""Connect for the online accounting packages (Exact Online, Yuki, Dropbox, Email) against their emulators."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from akadmin_tui.connectors import accounting, mail
from akadmin_tui.connectors.accounting import dropbox, exact_online, yuki
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.result import TestResult
from akadmin_tui.connectors.tokens import TokenCache
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.dropbox import DropboxEmulator
from akadmin_tui.sandbox.exact_online import ExactOnlineEmulator
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.sandbox.smtp import SmtpSandbox
from akadmin_tui.sandbox.yuki import YukiEmulator
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

CLIENT_ID, CLIENT_SECRET = "akadmin-exact-app", "exact-client-secret-42"
APP_KEY, APP_SECRET = "akadmin-dropbox-key", "dropbox-app-secret-42"
YUKI_KEY = "3f2a9c1e-yuki-domain-key-42"


@pytest.fixture
def editor(demo_path: Path) -> SettingsEditor:
    return SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))


@pytest.fixture
def started():
    servers = []

    def start(server):
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def assert_no_secret(result: TestResult, *secrets: str) -> None:
    text = result.to_text() + json.dumps(result.to_json())
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, leaked


def diagnosis(result: TestResult) -> str:
    assert result.failed_step is not None, result.to_text()
    return result.failed_step.diagnosis


def steps(result: TestResult) -> list[tuple[str, str]]:
    return [(step.name, str(step.outcome)) for step in result.steps]


# --- Exact Online -----------------------------------------------------------------------------------

@pytest.fixture
def exact(started) -> ExactOnlineEmulator:
    return started(ExactOnlineEmulator(CLIENT_ID, CLIENT_SECRET))


def exact_values(editor: SettingsEditor, emulator: ExactOnlineEmulator, **changes) -> dict:
    """The EXACT configuration's saved values, pointed at the emulator."""
    if not editor.exists(schema.ACCOUNTING, "EXACT_T"):
        editor.create(schema.ACCOUNTING, "EXACT_T", {
            "document_type": "invoices", "integration": "exact_online", "country": "be", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "redirect_uri": "https://localhost/akadmin", "terms_accepted": True})
    if changes:
        editor.apply(schema.ACCOUNTING, "EXACT_T", changes)
    return {**editor.values(schema.ACCOUNTING, "EXACT_T"), "api_base": emulator.url}


async def authorise(editor: SettingsEditor, emulator: ExactOnlineEmulator) -> str:
    """What the console does after the admin pastes the code: exchange it, save the refresh token."""
    async with make_client() as client:
        tokens = await exact_online.exchange_code(exact_values(editor, emulator), emulator.issue_code(), client,
                                                  cache=TokenCache())
    editor.apply(schema.ACCOUNTING, "EXACT_T", {"refresh_token": tokens["refresh_token"]})
    return tokens["refresh_token"]


async def exact_connect(editor: SettingsEditor, emulator: ExactOnlineEmulator, cache: TokenCache | None = None,
                        **changes) -> TestResult:
    values = exact_values(editor, emulator, **changes)
    async with make_client() as client:
        result = await exact_online.connect(editor, "EXACT_T", values, client, None, cache=cache or TokenCache())
    assert_no_secret(result, CLIENT_SECRET, *emulator.issued)
    return result


def test_exact_authorization_url() -> None:
    values = {"country": "be", "client_id": CLIENT_ID, "redirect_uri": "https://localhost/akadmin"}
    url = urlsplit(exact_online.authorization_url(values, "st4te"))
    assert (url.scheme, url.netloc, url.path) == ("https", "start.exactonline.be", "/api/oauth2/auth")
    assert parse_qs(url.query) == {"client_id": [CLIENT_ID], "redirect_uri": ["https://localhost/akadmin"],
                                   "response_type": ["code"], "state": ["st4te"]}
    pointed = exact_online.authorization_url({**values, "api_base": "http://127.0.0.1:8123/"}, "s")
    assert pointed.startswith("http://127.0.0.1:8123/api/oauth2/auth?")


def test_exact_code_from_the_pasted_address() -> None:
    code = "stampNL001.gSFk!IAAAA*a1b2"
    address = f"https://localhost/akadmin?code={quote(code, safe='')}&state=st4te"
    assert exact_online.code_from(address, "st4te") == code
    assert exact_online.code_from(quote(code, safe="")) == code
    with pytest.raises(exact_online.ExactError, match="another authorisation request"):
        exact_online.code_from(address, "other")


async def test_exact_code_exchange_returns_the_tokens_and_stores_nothing(editor, exact) -> None:
    values = exact_values(editor, exact)
    before = editor.stored(schema.ACCOUNTING, "EXACT_T")
    code = exact.issue_code()
    async with make_client() as client:
        tokens = await exact_online.exchange_code(values, code, client, cache=TokenCache())
        assert tokens["refresh_token"] == exact.refresh_token and tokens["expires_in"] == 600
        assert editor.stored(schema.ACCOUNTING, "EXACT_T") == before
        with pytest.raises(exact_online.ExactError) as reused:
            await exact_online.exchange_code(values, code, client, cache=TokenCache())
        with pytest.raises(exact_online.ExactError) as wrong:
            await exact_online.exchange_code({**values, "client_secret": "Wr0ng-secret"}, exact.issue_code(), client)
    assert "refused the authorisation code (invalid_grant): it was already used or has expired" in str(reused.value)
    assert "check the Client ID and Client secret" in str(wrong.value) and "Wr0ng-secret" not in str(wrong.value)
    [call] = [c for c in exact.calls if c.form().get("code") == code][:1]
    assert call.form()["grant_type"] == "authorization_code" and call.form()["redirect_uri"] == "https://localhost/akadmin"


async def test_exact_connect_saves_the_rotated_refresh_token(editor, exact) -> None:
    first = await authorise(editor, exact)
    cache = TokenCache()
    result = await exact_connect(editor, exact, cache)
    assert result.passed, result.to_text()
    assert steps(result) == [("Exact Online token", "passed"), ("New refresh token", "passed"),
                             ("Current user", "passed"), ("Division", "passed")]
    me = result.steps[2].detail
    assert me.startswith("Demo Boekhouder, current division 3401789; rate limit: 59 of 60 calls left this minute")
    assert "none configured" in result.steps[3].detail
    saved = editor.values(schema.ACCOUNTING, "EXACT_T")["refresh_token"]
    assert saved == exact.refresh_token != first
    assert editor.stored(schema.ACCOUNTING, "EXACT_T")["refresh_token"] != saved  # kept encrypted
    # The same session reuses the access token: Exact refuses refreshes within 570 s.
    calls = len(exact.calls)
    again = await exact_connect(editor, exact, cache)
    assert again.steps[0].detail == "reused a cached token, still valid"
    assert not [c for c in list(exact.calls)[calls:] if c.path.endswith("/token")]
    # Another session refreshes with the saved successor.
    assert (await exact_connect(editor, exact)).passed


async def test_exact_demo_grant_and_pasted_address(editor, exact) -> None:
    assert (await exact_connect(editor, exact, refresh_token=exact.grant())).passed
    values = exact_values(editor, exact)
    address = f"https://localhost/akadmin?code={quote(exact.issue_code(), safe='')}&state=st4te"
    async with make_client() as client:
        tokens = await exact_online.exchange_code(values, address, client, state="st4te", cache=TokenCache())
    assert tokens["refresh_token"] == exact.refresh_token


async def test_exact_without_refresh_token(editor, exact) -> None:
    result = await exact_connect(editor, exact)
    assert steps(result) == [("Exact Online token", "failed")]
    assert "authorise akadmin first" in diagnosis(result) and not exact.calls


async def test_exact_another_connection_replaced_this_one(editor, exact) -> None:
    await authorise(editor, exact)
    async with make_client() as client:  # another configuration or application authorises the same app
        await exact_online.exchange_code(exact_values(editor, exact), exact.issue_code(), client, cache=TokenCache())
    result = await exact_connect(editor, exact)
    assert diagnosis(result).startswith("Exact Online refused the refresh token (invalid_grant). Only the last "
                                        "connection to Exact Online stays valid")
    assert steps(result)[1] == ("Current user", "skipped")


async def test_exact_wrong_client_secret(editor, exact) -> None:
    await authorise(editor, exact)
    result = await exact_connect(editor, exact, client_secret="Wr0ng-secret")
    assert "refused the app (400): check the Client ID and Client secret" in diagnosis(result)
    assert_no_secret(result, "Wr0ng-secret")


async def test_exact_read_only_config_keeps_its_refresh_token(demo_path, exact) -> None:
    editor = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))
    token = await authorise(editor, exact)
    read_only = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE, read_only=True))
    values = {**read_only.values(schema.ACCOUNTING, "EXACT_T"), "api_base": exact.url}
    async with make_client() as client:
        result = await exact_online.connect(read_only, "EXACT_T", values, client, None, cache=TokenCache())
    assert "open read-only" in diagnosis(result) and exact.refresh_token == token


@pytest.mark.parametrize("division, outcome, expected", [
    ("3401789", "passed", "division 3401789 is the user's current division"),
    ("3401790", "passed", "division 3401790 (Beta Conseil B.V.) is open to the user"),
    ("999", "failed", "Demo Boekhouder has no access to division 999: set Division to one of 3401789 "
                      "(ACME Ingénierie B.V.), 3401790 (Beta Conseil B.V.)."),
    ("ACME", "failed", "Division must be an Exact Online division code, a number"),
])
async def test_exact_division(editor, exact, division, outcome, expected) -> None:
    await authorise(editor, exact)
    result = await exact_connect(editor, exact, division=division)
    step = result.steps[-1]
    assert (step.name, str(step.outcome)) == ("Division", outcome)
    assert expected in (step.detail if outcome == "passed" else step.diagnosis)


async def test_exact_refused_cached_token_is_renewed_once(editor, exact) -> None:
    await authorise(editor, exact)
    cache = TokenCache()
    assert (await exact_connect(editor, exact, cache)).passed
    exact.revoke_access_tokens()
    result = await exact_connect(editor, exact, cache)
    assert result.passed, result.to_text()
    assert [s for s in steps(result) if s[0] == "Current user"] == [("Current user", "skipped"),
                                                                     ("Current user", "passed")]


@pytest.mark.parametrize("switch, expected", [
    ("unauthorized", "Exact Online refused the access token (401)"),
    ("forbidden", "Exact Online let the user in but refuses this call (403)"),
])
async def test_exact_api_refusals(editor, exact, switch, expected) -> None:
    await authorise(editor, exact)
    setattr(exact, switch, True)
    result = await exact_connect(editor, exact)
    assert result.failed_step.name == "Current user" and diagnosis(result).startswith(expected)


@pytest.mark.parametrize("minutely, expected", [
    (True, r"the limit of 60 calls a minute is used up; it resets at \d\d:\d\d:\d\d"),
    (False, r"the daily limit of 5000 calls is used up; it resets at \d\d:\d\d:\d\d"),
])
async def test_exact_rate_limit(editor, exact, minutely, expected) -> None:
    await authorise(editor, exact)
    exact.use_up(minutely=minutely)
    text = diagnosis(await exact_connect(editor, exact))
    assert text.startswith("Too many calls to Exact Online for this app and company (429)")
    assert re.search(expected, text) and "ten errors an hour" in text


async def test_exact_server_errors(editor, exact) -> None:
    await authorise(editor, exact)
    cache = TokenCache()
    exact.set_fault(Fault.ERROR_500)
    assert diagnosis(await exact_connect(editor, exact, cache)).startswith("Exact Online's token service failed (500)")
    exact.set_fault(Fault.NONE)
    assert (await exact_connect(editor, exact, cache)).passed
    exact.set_fault(Fault.ERROR_503)  # the token is cached: the API call meets the fault
    assert diagnosis(await exact_connect(editor, exact, cache)).startswith("Exact Online failed (503)")


# --- Yuki -------------------------------------------------------------------------------------------

@pytest.fixture
def yuki_server(started) -> YukiEmulator:
    return started(YukiEmulator(YUKI_KEY))


async def yuki_connect(emulator: YukiEmulator, **changes) -> TestResult:
    values = {"integration": "yuki", "api_key": YUKI_KEY, "administration": "", "api_base": emulator.url, **changes}
    async with make_client() as client:
        result = await yuki.connect(None, "YUKI_T", values, client)
    assert_no_secret(result, YUKI_KEY, values["api_key"], *emulator.sessions)
    return result


async def test_yuki_lists_the_administrations(yuki_server) -> None:
    result = await yuki_connect(yuki_server)
    assert result.passed and steps(result) == [("Yuki session", "passed"), ("Administrations", "passed"),
                                               ("Administration", "passed")]
    assert result.steps[1].detail == "2 administration(s): ACME Ingénierie B.V., Beta Conseil B.V."
    request = yuki_server.calls[0]
    assert request.path == "/ws/Accounting.asmx" and request.header("soapaction") == '"http://www.theyukicompany.com/Authenticate"'
    assert request.header("content-type") == "text/xml; charset=utf-8"


@pytest.mark.parametrize("administration", ["beta conseil b.v.", "9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A"])
async def test_yuki_administration_by_name_or_id(yuki_server, administration) -> None:
    result = await yuki_connect(yuki_server, administration=administration)
    assert result.passed and result.steps[-1].detail == "Beta Conseil B.V. (9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a)"


async def test_yuki_unknown_administration_lists_them(yuki_server) -> None:
    text = diagnosis(await yuki_connect(yuki_server, administration="Gamma"))
    assert text == ("The API key reaches no administration 'Gamma': set Administration to the name or id of one of: "
                    "ACME Ingénierie B.V. (5c7e1a2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d); "
                    "Beta Conseil B.V. (9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a).")


async def test_yuki_wrong_key(yuki_server) -> None:
    result = await yuki_connect(yuki_server, api_key="Wr0ng-yuki-key")
    assert steps(result) == [("Yuki session", "failed"), ("Administrations", "skipped")]
    assert diagnosis(result).startswith("Yuki refused the API key (SOAP fault: Server was unable to process request. "
                                        "---> System.Security.Authentication.AuthenticationException: Invalid access "
                                        "key.): check it is an API key of type Domain")


@pytest.mark.parametrize("fault, expected", [
    ("daily_limit", "Yuki refuses more calls today (SOAP fault:"),
    (Fault.ERROR_500, "Yuki failed (500): it is down or in maintenance"),
    (Fault.MALFORMED, "Yuki answered without AuthenticateResult"),
    (Fault.WRONG_CREDENTIALS, "Yuki refused the API key"),
])
async def test_yuki_faults(yuki_server, fault, expected) -> None:
    if fault == "daily_limit":
        yuki_server.daily_limit_reached = True
    else:
        yuki_server.set_fault(fault)
    assert diagnosis(await yuki_connect(yuki_server)).startswith(expected)


async def test_yuki_administrations_for_the_drop_down(yuki_server) -> None:
    values = {"api_key": YUKI_KEY, "api_base": yuki_server.url}
    async with make_client() as client:
        assert await yuki.administrations(values, client) == [
            ("5c7e1a2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d", "ACME Ingénierie B.V."),
            ("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "Beta Conseil B.V.")]
        with pytest.raises(yuki.YukiError, match="Yuki refused the API key") as refused:
            await yuki.administrations({**values, "api_key": "Wr0ng-yuki-key"}, client)
    assert "Wr0ng-yuki-key" not in str(refused.value)


def test_yuki_envelope_escapes_the_key() -> None:
    body = ElementTree.fromstring(yuki.envelope("Authenticate", accessKey="a<b&c"))
    key = body.find(f"{{{yuki.SOAP_ENV}}}Body/{{{yuki.NAMESPACE}}}Authenticate/{{{yuki.NAMESPACE}}}accessKey")
    assert key is not None and key.text == "a<b&c"


# --- Dropbox ----------------------------------------------------------------------------------------

@pytest.fixture
def box(started) -> DropboxEmulator:
    return started(DropboxEmulator(APP_KEY, APP_SECRET))


def box_values(emulator: DropboxEmulator, **changes) -> dict:
    return {"integration": "dropbox", "client_id": APP_KEY, "client_secret": APP_SECRET, "refresh_token": "",
            "api_base": emulator.url, **changes}


async def box_authorise(emulator: DropboxEmulator) -> str:
    async with make_client() as client:
        return (await dropbox.exchange_code(box_values(emulator), emulator.issue_code(), client,
                                            cache=TokenCache()))["refresh_token"]


async def box_connect(emulator: DropboxEmulator, cache: TokenCache | None = None, **changes) -> TestResult:
    async with make_client() as client:
        result = await dropbox.connect(None, "DROPBOX_T", box_values(emulator, **changes), client, None,
                                       cache=cache or TokenCache())
    assert_no_secret(result, APP_SECRET, *emulator.issued)
    return result


def test_dropbox_authorization_url() -> None:
    url = urlsplit(dropbox.authorization_url({"client_id": APP_KEY}))
    assert (url.netloc, url.path) == ("www.dropbox.com", "/oauth2/authorize")
    assert parse_qs(url.query) == {"client_id": [APP_KEY], "response_type": ["code"], "token_access_type": ["offline"]}


async def test_dropbox_code_exchange(box) -> None:
    code = box.issue_code()
    async with make_client() as client:
        tokens = await dropbox.exchange_code(box_values(box), f" {code}\n", client, cache=TokenCache())
        assert tokens["refresh_token"] in box.refresh_tokens and tokens["expires_in"] == 14400
        with pytest.raises(dropbox.DropboxError, match=r"refused the authorisation code \(invalid_grant\)"):
            await dropbox.exchange_code(box_values(box), code, client)
        with pytest.raises(dropbox.DropboxError, match="check the Client ID") as wrong:
            await dropbox.exchange_code(box_values(box, client_secret="Wr0ng-secret"), box.issue_code(), client)
    assert "Wr0ng-secret" not in str(wrong.value)


async def test_dropbox_connect_shows_the_account(box) -> None:
    result = await box_connect(box, refresh_token=await box_authorise(box))
    assert result.passed and steps(result) == [("Dropbox token", "passed"), ("Dropbox account", "passed")]
    assert result.steps[1].detail == "Cabinet Durand <documents@cabinet-durand.example>, business account"
    assert box.calls[-1].body == b""  # the account call takes no argument


async def test_dropbox_demo_grant(box) -> None:
    assert (await box_connect(box, refresh_token=box.grant())).passed


async def test_dropbox_without_refresh_token(box) -> None:
    result = await box_connect(box)
    assert "authorise akadmin first" in diagnosis(result) and not box.calls


async def test_dropbox_disconnected_app(box) -> None:
    token = await box_authorise(box)
    box.disconnect()
    text = diagnosis(await box_connect(box, refresh_token=token))
    assert text.startswith("Dropbox refused the refresh token (invalid_grant): akadmin was disconnected")


async def test_dropbox_wrong_app_secret(box) -> None:
    result = await box_connect(box, refresh_token=await box_authorise(box), client_secret="Wr0ng-secret")
    assert "refused the app (400): check the Client ID (app key) and Client secret" in diagnosis(result)
    assert_no_secret(result, "Wr0ng-secret")


async def test_dropbox_expired_cached_token_is_renewed(box) -> None:
    token, cache = await box_authorise(box), TokenCache()
    assert (await box_connect(box, cache, refresh_token=token)).passed
    box.expire_access_tokens()
    result = await box_connect(box, cache, refresh_token=token)
    assert result.passed and ("Dropbox account", "skipped") in steps(result)


async def test_dropbox_missing_scope(started) -> None:
    box = started(DropboxEmulator(APP_KEY, APP_SECRET, scopes={"files.content.write"}))
    text = diagnosis(await box_connect(box, refresh_token=await box_authorise(box)))
    assert text.startswith("The app may not read the account (missing scope account_info.read)")


async def test_dropbox_rate_limit(box) -> None:
    token, cache = await box_authorise(box), TokenCache()
    assert (await box_connect(box, cache, refresh_token=token)).passed
    box.set_fault(Fault.BURST_429, retry_after_s=7)
    text = diagnosis(await box_connect(box, cache, refresh_token=token))
    assert text == "Too many calls to Dropbox (429); it asks to wait 7 s: try again later."


# --- Email ------------------------------------------------------------------------------------------

@pytest.fixture
def smtp():
    server = SmtpSandbox()
    server.start()
    yield server
    server.stop()


def use_smtp(editor: SettingsEditor, server: SmtpSandbox) -> None:
    editor.apply(schema.OFFICE_AUTOMATION, None, {"email_application": "smtp"})
    editor.apply(schema.MAIL, None, {"smtp_host": server.host, "smtp_port": server.port, "security": "none",
                                     "username": ""})


async def test_email_sends_a_test_message(editor, smtp) -> None:
    use_smtp(editor, smtp)
    async with make_client() as client:
        result = await accounting.connect(editor, "EMAIL", client=client)
    assert result.passed and steps(result)[-1] == ("Test message", "passed")
    assert result.steps[-1].detail == (f"sent to releves@cabinet-durand.example through 127.0.0.1:{smtp.port} "
                                       "(no encryption)")
    [received] = smtp.wait_for(1)
    assert received.message["Subject"] == "akadmin: test of accounting configuration EMAIL"
    assert received.envelope_to == ["releves@cabinet-durand.example"]


@pytest.mark.parametrize("fault, expected", [
    ("reject", "refused every recipient: releves@cabinet-durand.example (550 5.1.1"),
    ("down", "was refused: nothing listens there"),
])
async def test_email_failures(editor, smtp, fault, expected) -> None:
    use_smtp(editor, smtp)
    smtp.set_fault(fault)
    values = editor.values(schema.ACCOUNTING, "EMAIL")
    async with make_client() as client:
        result = await mail.connect(editor, "EMAIL", values, client)
    assert steps(result) == [("Test message", "failed")] and expected in diagnosis(result)


# --- Through the Connect dispatcher -----------------------------------------------------------------

@pytest.mark.parametrize("integration, fields", [
    ("exact_online", {"country": "nl", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                      "redirect_uri": "https://localhost/akadmin"}),
    ("dropbox", {"client_id": APP_KEY, "client_secret": APP_SECRET}),
])
async def test_dispatcher_refuses_before_authorisation(editor, integration, fields) -> None:
    editor.create(schema.ACCOUNTING, "ONLINE", {"integration": integration, "terms_accepted": True, **fields})
    async with make_client() as client:
        result = await accounting.connect(editor, "ONLINE", client=client)
    assert steps(result)[0] == ("Fields", "passed") and "authorise akadmin first" in diagnosis(result)
    assert_no_secret(result, CLIENT_SECRET, APP_SECRET)
