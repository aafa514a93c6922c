"""The Gmail Test against the Google OAuth emulator, with a throwaway RSA key made for each test."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from akadmin_tui.connectors import gmail
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.connectors.tokens import TokenCache, cache_key
from akadmin_tui.sandbox.google_oauth import GOOGLE_TOKEN_URI, GoogleOAuthEmulator
from akadmin_tui.sandbox.server import Fault

EMAIL = "akuiteo-mail@acme-project.iam.gserviceaccount.com"
SEND_AS = "noreply@acme.example"


def pem_of(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem_of(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def emulator(rsa_key):
    running = GoogleOAuthEmulator(EMAIL, public_pem_of(rsa_key), {SEND_AS})
    running.start()
    yield running
    running.stop()


@pytest.fixture
def write_key(tmp_path: Path, rsa_key, emulator):
    """Write a key file like Google's, with fields replaced (None removes one); returns its path."""
    def write(name: str = "gmail.json", **fields) -> str:
        data = {"type": "service_account", "project_id": "acme-project", "private_key_id": "0123456789abcdef" * 2,
                "private_key": pem_of(rsa_key), "client_email": EMAIL, "client_id": "112233445566778899001",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": emulator.token_url}
        data.update(fields)
        path = tmp_path / name
        path.write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
        return str(path)
    return write


def assert_no_secret(result, pem: str, emulator: GoogleOAuthEmulator) -> None:
    text = json.dumps(result.to_json()) + result.to_text()
    assertions = [call.form().get("assertion", "") for call in emulator.calls]
    pem_lines = [line for line in pem.splitlines() if len(line) > 20 and not line.startswith("-----")]
    leaked = [s for s in (pem, *assertions, *pem_lines) if s and s in text]
    assert not leaked, leaked


async def run(emulator, rsa_key, key_path: str, *, send_as: str = SEND_AS, override: str | None = None,
              cache: TokenCache | None = None):
    account = gmail.GmailAccount(key_path, send_as, override)
    async with make_client() as client:
        result = await gmail.test_connection(account, client, cache=cache or TokenCache())
    assert_no_secret(result, pem_of(rsa_key), emulator)
    return result


def decode(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_success_signs_and_exchanges_the_assertion(emulator, rsa_key, write_key) -> None:
    cache = TokenCache()
    result = await run(emulator, rsa_key, write_key(), cache=cache)
    assert result.passed, result.to_text()
    assert result.section == "gmail"
    assert [s.name for s in result.steps] == ["Key file", "Signed assertion", "Google token"]
    assert EMAIL in result.steps[0].detail and "gmail.json" in result.steps[0].detail
    assert "assertion=********" in result.steps[2].request
    form = emulator.calls[-1].form()
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims, _ = form["assertion"].split(".")
    assert decode(header) == {"alg": "RS256", "typ": "JWT"}
    claims = decode(claims)
    assert (claims["iss"], claims["sub"], claims["aud"]) == (EMAIL, SEND_AS, emulator.token_url)
    assert claims["scope"] == "https://www.googleapis.com/auth/gmail.send" and claims["exp"] - claims["iat"] == 3600
    assert cache.get(cache_key(emulator.token_url, EMAIL, pem_of(rsa_key), SEND_AS, gmail.GMAIL_SEND))


async def test_token_url_override_keeps_google_as_audience(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(token_uri=GOOGLE_TOKEN_URI), override=emulator.token_url)
    assert result.passed, result.to_text()
    assert decode(emulator.calls[-1].form()["assertion"].split(".")[1])["aud"] == GOOGLE_TOKEN_URI


@pytest.mark.parametrize("fields, expected", [
    ({"type": "authorized_user"}, "is a user's OAuth credential (type authorized_user), not a service-account key"),
    ({"type": None}, "is without a type field, not a service-account key"),
    ({"client_email": None}, "has no valid client_email"),
    ({"private_key": None}, "has no private_key"),
    ({"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "cannot be read as a PEM private key"),
    ({"private_key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"}, "is not in PEM form"),
    ({"token_uri": None}, "has no valid token_uri"),
])
async def test_key_file_fields(emulator, rsa_key, write_key, fields: dict, expected: str) -> None:
    path = write_key(**fields)
    result = await run(emulator, rsa_key, path)
    step = result.failed_step
    assert step.name == "Key file" and expected in step.diagnosis and path in step.diagnosis, step.diagnosis
    assert [s.outcome for s in result.steps[1:]] == [Outcome.SKIPPED, Outcome.SKIPPED]
    assert not emulator.calls


async def test_key_with_escaped_line_breaks(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(private_key=pem_of(rsa_key).replace("\n", "\\n")))
    assert "line breaks written as the two characters \\n" in result.failed_step.diagnosis


async def test_key_that_is_not_rsa(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(private_key=pem_of(ec.generate_private_key(ec.SECP256R1()))))
    assert "is not an RSA key" in result.failed_step.diagnosis


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist on this machine"),
    (b"\x30\x82\x09\xa1binary", "is not JSON. It looks like a P12 key"),
    (b"[1, 2]", "holds JSON that is not an object"),
])
async def test_unusable_files(emulator, rsa_key, tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "key.json"
    if content is not None:
        path.write_bytes(content)
    result = await run(emulator, rsa_key, str(path))
    assert expected in result.failed_step.diagnosis and str(path) in result.failed_step.diagnosis


async def test_no_key_path(emulator, rsa_key) -> None:
    assert "No service-account key file is configured" in (await run(emulator, rsa_key, "")).failed_step.diagnosis


async def test_send_as_outside_the_domain(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(), send_as="someone@other.example")
    step = result.failed_step
    assert step.name == "Google token" and "Invalid email or User ID" in step.diagnosis
    assert "someone@other.example as the user to send as" in step.diagnosis


async def test_send_as_not_an_address(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(), send_as="noreply")
    assert result.failed_step.name == "Signed assertion" and not emulator.calls


async def test_delegation_not_granted(emulator, rsa_key, write_key) -> None:
    emulator.granted_scopes = {"https://www.googleapis.com/auth/gmail.readonly"}
    diagnosis = (await run(emulator, rsa_key, write_key())).failed_step.diagnosis
    assert "Domain-wide delegation is not granted" in diagnosis and "unauthorized_client" in diagnosis
    assert "client ID 112233445566778899001" in diagnosis


async def test_clock_skew(emulator, rsa_key, write_key) -> None:
    emulator.clock_offset_s = -2 * 3600
    diagnosis = (await run(emulator, rsa_key, write_key())).failed_step.diagnosis
    assert "times out of range" in diagnosis and "this machine's clock reads" in diagnosis


async def test_deleted_key(emulator, rsa_key, write_key) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = await run(emulator, other, write_key(private_key=pem_of(other)))
    diagnosis = result.failed_step.diagnosis
    assert "Invalid JWT Signature" in diagnosis and "deleted or disabled" in diagnosis


async def test_unknown_service_account(emulator, rsa_key, write_key) -> None:
    result = await run(emulator, rsa_key, write_key(client_email="gone@acme-project.iam.gserviceaccount.com"))
    assert "Google does not know the service account gone@" in result.failed_step.diagnosis


@pytest.mark.parametrize("fault, expected", [
    (Fault.ERROR_503, "The service failed (503)"),
    (Fault.BURST_429, "Too many requests (429): a quota is reached; it asks to wait 2 s"),
    (Fault.MALFORMED, "The answer is not JSON (content-type text/html"),
    (Fault.DROP, "closed the connection without a complete answer"),
    (Fault.WRONG_CREDENTIALS, "Google does not know the service account"),
])
async def test_service_faults(emulator, rsa_key, write_key, fault: Fault, expected: str) -> None:
    emulator.set_fault(fault)
    result = await run(emulator, rsa_key, write_key())
    assert result.failed_step.name == "Google token" and expected in result.failed_step.diagnosis, result.to_text()
