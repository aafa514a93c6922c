"""A read-only view of one trusted certificate: subject, issuer, fingerprint, validity."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from ..settings.certificates import CertificateError, describe, parse_certificate
from .record_form import RecordForm


class CertificateCard(RecordForm):
    """Shown instead of a form for Configuration > Certificates: a certificate is imported, not typed."""

    def compose(self) -> ComposeResult:
        pem = str(self.editor.stored(self.section, self.record_key).get("pem", ""))
        try:
            info = describe(parse_certificate(pem.encode("ascii", "replace")))
        except CertificateError as error:
            yield Static(f"This entry is not a usable certificate: {error}", classes="field-message", markup=False)
            return
        lines = [Content(line) for line in info.lines()]
        if info.expired:
            lines.append(Content.styled("Expired: connections through this authority will fail.", "$error"))
        lines.append(Content.styled("F8 removes it; ctrl+n imports another one.", "dim"))
        yield Static(Content("\n").join(lines), classes="certificate-card")
