"""Configuration > Certificates: a card per trusted certificate; ctrl+n imports a DER or PEM file."""

from __future__ import annotations

from ..dialogs.new_record import ImportCertificateScreen
from ..widgets.certificate_card import CertificateCard
from .section_view import SectionView


class CertificatesView(SectionView):
    """The trusted certificates: imported from a file, then shown read-only, never typed."""

    FORM = CertificateCard

    def action_new_record(self) -> None:
        self.app.push_screen(ImportCertificateScreen(self.create_record), self.record_created)
