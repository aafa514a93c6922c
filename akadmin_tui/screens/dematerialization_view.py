"""Third-party interfaces > Dematerialization: its Test runs with the Chorus setup of the connection's company."""

from __future__ import annotations

from .section_view import SectionView


class DematerializationView(SectionView):
    """The CHORUS PRO connection; its Test uses the Chorus setup that applies to its Akuiteo company code."""

    def test_company(self) -> str | None:
        """The connection's company code (None when empty: the ***** setup)."""
        return self.editor.values(self.section).get("akuiteo_company_code") or None
