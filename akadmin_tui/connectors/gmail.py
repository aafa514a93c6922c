"""Gmail through a Google service account: a signed RS256 assertion exchanged for a token (domain-wide delegation)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .diagnose import json_object
from .files import UnreadableFile, read_limited
from .probe import Probe
from .result import TestResult
from .tokens import SHARED, TokenCache, cache_key

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME_S = 3600  # the longest Google accepts
KEY_FILE_LIMIT = 64 * 1024


@dataclass(frozen=True)
class GmailAccount:
    """Where the service account's JSON key is, the Workspace user to send as, and an optional token URL."""

    key_path: str
    send_as: str
    token_url_override: str | None = None


@dataclass(frozen=True)
class ServiceAccountKey:
    """The fields of a key file the token exchange needs; the private key never shows in a repr."""

    path: str
    client_email: str
    client_id: str
    private_key_id: str
    token_uri: str
    pem: str = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)


class KeyFileError(ValueError):
    """A key file that cannot be used; the message is the diagnosis, naming the file but no key material."""


def _read_json(path: Path) -> dict[str, Any]:
    shown = str(path)
    try:
        raw = read_limited(path, KEY_FILE_LIMIT, "a service-account key")
    except UnreadableFile as error:
        raise KeyFileError(f"The key file {error}: check the path, or copy the JSON key downloaded from "
                           "Google Cloud console there, readable by the account running akadmin.") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        p12 = " It looks like a P12 key: create a JSON key instead." if raw[:1] == b"\x30" else ""
        raise KeyFileError(f"The key file {shown} is not JSON.{p12} Download the service account's key "
                           "in JSON format from Google Cloud console.") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"The key file {shown} holds JSON that is not an object: it is not a service-account key.")
    return data


def _private_key(data: dict[str, Any], shown: str) -> rsa.RSAPrivateKey:
    pem = data.get("private_key")
    if not isinstance(pem, str) or not pem.strip():
        raise KeyFileError(f"The key file {shown} has no private_key: download a new JSON key.")
    if "\\n" in pem and "\n" not in pem:
        raise KeyFileError(f"The private_key in {shown} has its line breaks written as the two characters \\n: "
                           "the file was edited or copied by hand; use the file as Google delivered it.")
    if "-----BEGIN" not in pem:
        raise KeyFileError(f"The private_key in {shown} is not in PEM form (-----BEGIN PRIVATE KEY-----).")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise KeyFileError(f"The private_key in {shown} is protected by a password: Google's JSON keys are not; "
                           "download a new JSON key.") from None
    except Exception:  # noqa: BLE001 - cryptography raises several kinds for a damaged key
        raise KeyFileError(f"The private_key in {shown} cannot be read as a PEM private key: the file is damaged "
                           "or truncated; download a new JSON key.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"The private_key in {shown} is not an RSA key: RS256 assertions need the RSA key "
                           "Google generates for service accounts.")
    return key


def load_key(path: str) -> ServiceAccountKey:
    """Read and check a service-account JSON key file field by field; raises KeyFileError with the diagnosis."""
    if not path.strip():
        raise KeyFileError("No service-account key file is configured: set the path of the JSON key "
                           "downloaded from Google Cloud console (IAM > Service accounts > Keys).")
    file = Path(path)
    shown = str(file)
    data = _read_json(file)
    kind = data.get("type")
    if kind != "service_account":
        what = ("a user's OAuth credential (type authorized_user)" if kind == "authorized_user"
                else f"of type {kind!r}" if kind else "without a type field")
        raise KeyFileError(f"The key file {shown} is {what}, not a service-account key (type service_account).")
    email = data.get("client_email")
    if not isinstance(email, str) or "@" not in email:
        raise KeyFileError(f"The key file {shown} has no valid client_email (the service account's address).")
    key = _private_key(data, shown)
    token_uri = data.get("token_uri")
    if not isinstance(token_uri, str) or not token_uri.startswith(("https://", "http://")):
        raise KeyFileError(f"The key file {shown} has no valid token_uri (https://oauth2.googleapis.com/token).")
    return ServiceAccountKey(shown, email, str(data.get("client_id", "")), str(data.get("private_key_id", "")),
                             token_uri, data["private_key"], key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_assertion(key: ServiceAccountKey, subject: str, *, scope: str = GMAIL_SEND, now: float | None = None) -> str:
    """A JWT signed RS256 asking for `scope` on behalf of `subject`, for the key's token_uri."""
    iat = int(time.time() if now is None else now)
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": key.client_email, "scope": scope, "aud": key.token_uri, "sub": subject,
              "iat": iat, "exp": iat + LIFETIME_S}
    signing_input = ".".join(_b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _token_business(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("access_token"):
        return "Google answered without an access_token."
    return None


def _token_refused(account: GmailAccount, key: ServiceAccountKey):
    def explain(response: httpx.Response) -> str | None:
        if response.status_code not in (400, 401, 403):
            return None
        body = json_object(response)
        if not body.get("error"):
            return None
        error, text = str(body["error"]), str(body.get("error_description", ""))
        said = f"{error}: {text}" if text else error
        lowered = text.lower()
        if error == "unauthorized_client":
            return (f"Domain-wide delegation is not granted for this scope ({said}). A Workspace super-admin must "
                    f"authorize client ID {key.client_id or '(see the key file)'} with the scope {GMAIL_SEND} in "
                    "Admin console > Security > Access and data control > API controls > Domain-wide delegation; "
                    "a new grant can take some minutes to apply.")
        if error == "invalid_client":
            return (f"Google does not know the service account {key.client_email} ({said}): it was deleted or "
                    "disabled, or the key file belongs to another project.")
        if error != "invalid_grant":
            return None
        if "email" in lowered or "user id" in lowered or "subject" in lowered:
            return (f"Google does not accept {account.send_as} as the user to send as ({said}): it must be an "
                    "existing, active mailbox of the Workspace domain that granted the delegation "
                    "(not an alias, a group or an address outside the domain).")
        if "timeframe" in lowered or "iat and exp" in lowered or "clock" in lowered:
            clock = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            return (f"Google finds the assertion's times out of range ({said}): this machine's clock reads {clock}; "
                    "set it right (NTP), since Google tolerates only a small skew.")
        if "signature" in lowered:
            return (f"Google rejects the assertion's signature ({said}): the key {key.private_key_id or '(no id)'} "
                    "was deleted or disabled in Google Cloud console (IAM > Service accounts > Keys), or the file is "
                    "not this service account's; create and download a new JSON key.")
        return (f"Google refused the assertion ({said}): check that {account.send_as} is a user of the Workspace "
                "domain, that this machine's clock is right, and that the key was not deleted.")
    return explain


async def fetch_token(probe: Probe, client: httpx.AsyncClient, account: GmailAccount, key: ServiceAccountKey,
                      assertion: str, cache: TokenCache, *, reuse: bool = True) -> str | None:
    """An access token to send as `account.send_as`, from the cache or exchanged for the assertion."""
    token_url = account.token_url_override or key.token_uri
    cached_key = cache_key(token_url, key.client_email, key.pem, account.send_as, GMAIL_SEND)
    cached = cache.get(cached_key) if reuse else None
    if cached:
        probe.passed("Google token", "reused a cached token, still valid")
        return cached
    form = {"grant_type": JWT_BEARER, "assertion": assertion}
    reply = await probe.call("Google token", client, "POST", token_url, form=form,
                             headers={"Accept": "application/json"}, business=_token_business,
                             on_status=_token_refused(account, key),
                             describe=lambda b: f"access token to send as {account.send_as}, "
                                                f"expires in {b.get('expires_in', '?')} s")
    if reply is None:
        return None
    cache.put(cached_key, reply.body["access_token"], reply.body.get("expires_in"))
    return reply.body["access_token"]


async def test_connection(account: GmailAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0) -> TestResult:
    """Key file, signed assertion, then a fresh token from Google (CONNECTORS.md §7)."""
    result = TestResult("gmail", account.send_as)
    started = time.perf_counter()
    try:
        key = await asyncio.to_thread(load_key, account.key_path)  # file and RSA parsing off the event loop
    except KeyFileError as error:
        probe = Probe(result, on_step=on_step, timeout_s=timeout_s)
        probe.failed("Key file", str(error), duration_ms=_ms(started))
        probe.skipped("Signed assertion", "needs a usable key file")
        probe.skipped("Google token", "needs a signed assertion")
        return result
    probe = Probe(result, [key.pem], on_step=on_step, timeout_s=timeout_s)
    probe.passed("Key file", f"{key.path}: service account {key.client_email}, key {key.private_key_id or '?'}",
                 duration_ms=_ms(started))
    if "@" not in account.send_as:
        probe.failed("Signed assertion", "Send as is not an e-mail address: a service account has no mailbox of its "
                                         "own, so it must act as a user of the Workspace domain.")
        probe.skipped("Google token", "needs a signed assertion")
        return result
    started = time.perf_counter()
    assertion = sign_assertion(key, account.send_as)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LIFETIME_S)
    probe.passed("Signed assertion", f"RS256, iss {key.client_email}, sub {account.send_as}, scope gmail.send, "
                                     f"aud {key.token_uri}, valid until {until:%H:%M:%S} UTC", duration_ms=_ms(started))
    # A Test must prove the delegation holds now, which a cached token cannot; the token is still kept for sends.
    token_probe = Probe(result, [key.pem, assertion], on_step=on_step, timeout_s=timeout_s)
    await fetch_token(token_probe, client, account, key, assertion, cache, reuse=False)
    return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
