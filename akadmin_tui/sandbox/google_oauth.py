"""Google's OAuth token endpoint for service accounts (JWT bearer grant) and Gmail's send, as CONNECTORS.md §7 says."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import Emulator, Request, Response

TOKEN_PATH = "/token"
SEND_ROUTE = r"/gmail/v1/users/([^/]+)/messages/send"
SEND_PATH = re.compile(f"^{SEND_ROUTE}$")
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
INVALID_TOKEN_CHALLENGE = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
SKEW_S = 60  # leeway on iat and exp, as Google allows a little


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _error(error: str, description: str, status: int = 400) -> Response:
    return Response.json({"error": error, "error_description": description}, status)


def _api_error(status: int, state: str, reason: str, message: str, **headers: str) -> Response:
    """An error in the shape Google's REST APIs use (not the OAuth endpoint's)."""
    return Response.json({"error": {"code": status, "message": message, "status": state,
                                    "errors": [{"message": message, "domain": "global", "reason": reason}]}},
                         status, **headers)


class GoogleOAuthEmulator(Emulator):
    """`POST /token` checks assertions as Google does; Gmail's `users/<user>/messages/send` keeps what is sent."""

    name = "google-oauth"

    def __init__(self, client_email: str, public_key_pem: str, allowed_subjects: set[str]) -> None:
        super().__init__()
        self.client_email = client_email
        key = serialization.load_pem_public_key(public_key_pem.encode())
        assert isinstance(key, rsa.RSAPublicKey), "service-account keys are RSA"
        self.public_key = key
        self.allowed_subjects = set(allowed_subjects)
        self.granted_scopes = {GMAIL_SEND}  # what the domain-wide delegation grants
        self.clock_offset_s = 0.0  # Google's clock minus ours, to emulate a skewed server clock
        self.issued: dict[str, tuple[str, frozenset[str]]] = {}  # access token -> (subject, scopes)
        self.sent: list[EmailMessage] = []
        self.sent_at: list[float] = []  # when each of `sent` came (time.time()), for the sandbox's mailbox
        self.route("POST", TOKEN_PATH, self.token)
        self.route("POST", SEND_ROUTE, self.send)

    @property
    def token_url(self) -> str:
        """The token URL to put in a key file's token_uri (or to use as an override)."""
        return self.url + TOKEN_PATH

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != JWT_BEARER:
            return _error("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
        try:
            header_b64, claims_b64, signature_b64 = form.get("assertion", "").split(".")
            header, claims = json.loads(_unb64(header_b64)), json.loads(_unb64(claims_b64))
            signature = _unb64(signature_b64)
        except ValueError:
            return _error("invalid_request", "Invalid JWT: malformed assertion")
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
            return _error("invalid_request", "Invalid JWT: only RS256 assertions are accepted")
        if self.wrong_credentials or claims.get("iss") != self.client_email:
            return _error("invalid_client", "The OAuth client was not found.", 401)
        try:
            self.public_key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return _error("invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") not in (self.token_url, GOOGLE_TOKEN_URI):
            return _error("invalid_grant", f"Invalid JWT: audience {claims.get('aud')} is not the token endpoint.")
        now = time.time() + self.clock_offset_s
        iat, exp = claims.get("iat"), claims.get("exp")
        if (not isinstance(iat, int) or not isinstance(exp, int) or iat > now + SKEW_S or exp < now - SKEW_S
                or exp - iat > 3600):
            return _error("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                           "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        if claims.get("sub") not in self.allowed_subjects:
            return _error("invalid_grant", "Invalid email or User ID")
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes or not scopes <= self.granted_scopes:
            return _error("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, "
                                                 "or client not authorized for any of the scopes requested.", 401)
        token = "ya29." + secrets.token_urlsafe(32)
        self.issued[token] = (str(claims["sub"]), frozenset(scopes))
        return Response.json({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def send(self, request: Request) -> Response:
        """Gmail's users.messages.send: a token of this emulator for that user, with gmail.send, and a raw message."""
        match = SEND_PATH.match(request.path)
        assert match is not None, "routed on SEND_PATH"
        user = unquote(match.group(1))
        scheme, _, token = request.header("Authorization").partition(" ")
        grant = self.issued.get(token) if scheme.lower() == "bearer" else None
        if grant is None or self.wrong_credentials:
            return _api_error(401, "UNAUTHENTICATED", "authError",
                              "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                              "login cookie or other valid authentication credential.",
                              **{"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})
        subject, scopes = grant
        if GMAIL_SEND not in scopes:
            return _api_error(403, "PERMISSION_DENIED", "insufficientPermissions",
                              "Request had insufficient authentication scopes.")
        if user not in ("me", subject):
            return _api_error(403, "PERMISSION_DENIED", "forbidden", f"Delegation denied for {subject}")
        body = request.json()
        raw = body.get("raw") if isinstance(body, dict) else None
        if not isinstance(raw, str) or not raw:
            return _api_error(400, "INVALID_ARGUMENT", "invalidArgument",
                              "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
        try:
            data = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            return _api_error(400, "INVALID_ARGUMENT", "invalidArgument",
                              "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed")
        message = BytesParser(policy=default_policy).parsebytes(data.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        if not any(message.get_all(name) for name in ("To", "Cc", "Bcc")):
            return _api_error(400, "INVALID_ARGUMENT", "invalidArgument", "Recipient address required")
        self.sent.append(message)
        self.sent_at.append(time.time())
        return Response.json({"id": secrets.token_hex(8), "threadId": secrets.token_hex(8), "labelIds": ["SENT"]})
