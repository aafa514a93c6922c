"""Google's OAuth token endpoint for service accounts (JWT bearer grant), as CONNECTORS.md §7 describes it."""

from __future__ import annotations

import base64
import json
import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import Emulator, Request, Response

TOKEN_PATH = "/token"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SKEW_S = 60  # leeway on iat and exp, as Google allows a little


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _error(error: str, description: str, status: int = 400) -> Response:
    return Response.json({"error": error, "error_description": description}, status)


class GoogleOAuthEmulator(Emulator):
    """`POST /token`: verifies the RS256 signature, the audience, the times, the subject and the delegated scopes."""

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
        self.route("POST", TOKEN_PATH, self.token)

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
        return Response.json({"access_token": "ya29." + secrets.token_urlsafe(32), "expires_in": 3599,
                              "token_type": "Bearer"})
