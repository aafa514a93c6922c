"""Trusted CA certificates (the seed's Certigna step): read DER or PEM, describe, validate."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

MAX_BYTES = 64 * 1024


class CertificateError(ValueError):
    """A file or value that is not a usable certificate; the text says why."""


@dataclass(frozen=True)
class CertificateInfo:
    """What an admin checks before trusting a certificate."""

    subject: str
    issuer: str
    sha256: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool

    @property
    def expired(self) -> bool:
        """True when the certificate is no longer valid."""
        return self.not_after < dt.datetime.now(dt.UTC)

    def lines(self) -> list[str]:
        """Subject, issuer, fingerprint and validity, one per line."""
        return [f"Subject      {self.subject}", f"Issuer       {self.issuer}",
                f"SHA-256      {self.sha256}",
                f"Valid        {self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d}"
                + ("  (EXPIRED)" if self.expired else ""),
                f"Authority    {'yes (CA)' if self.is_ca else 'no: a server certificate, not an authority'}"]


def parse_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    if len(data) > MAX_BYTES:
        raise CertificateError(f"a certificate file is at most {MAX_BYTES // 1024} KiB; this one is {len(data)} bytes")
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise CertificateError("not an X.509 certificate in PEM or DER form") from None


def read_certificate_file(path: Path) -> x509.Certificate:
    """Read a certificate file (e.g. certigna.der) with a clear message for each way that fails."""
    try:
        if not path.is_file():
            raise CertificateError(f"{path} does not exist" if not path.exists() else f"{path} is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # never more: /dev/zero or a disk image must not fill memory
    except OSError as error:
        raise CertificateError(f"{path} cannot be read: {error.strerror or error}") from None
    try:
        return parse_certificate(data)
    except CertificateError as error:
        raise CertificateError(f"{path}: {error}") from None


def to_pem(cert: x509.Certificate) -> str:
    """The certificate as PEM text, as it is stored."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def describe(cert: x509.Certificate) -> CertificateInfo:
    """Subject, issuer, fingerprint, validity and whether it is an authority."""
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, is_ca=is_ca,
    )


def default_alias(cert: x509.Certificate) -> str:
    """An alias from the certificate's common name, fit for a TOML key and a command line."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    base = str(names[0].value) if names else "certificate"
    alias = re.sub(r"[^A-Za-z0-9_-]+", "-", base).strip("-").lower()
    return alias[:20] or "certificate"
