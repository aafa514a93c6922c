"""Command palette entries for the batches: the Runs and Invoices views, and each batch's runs."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..batches.catalog import batch_specs
from .views import INVOICES_ID, RUNS_ID


class BatchCommands(Provider):
    """Jump to Runs and logs, to Invoices, or to the runs of one batch."""

    def _entries(self) -> list[tuple[str, str, str, str | None]]:
        entries = [("Batches > Runs and logs", "every batch's runs and their logs", RUNS_ID, None),
                   ("Batches > Invoices (CHORUS PRO)", "invoices, their CHORUS status and its history", INVOICES_ID,
                    None)]
        editor = getattr(self.screen, "editor", None)
        if editor is not None:
            entries += [(f"Batches > Runs and logs > {spec.code}", f"the runs of {spec.label}", RUNS_ID, spec.code)
                        for spec in batch_specs(editor)]
        return entries

    def _open(self, view_id: str, code: str | None) -> None:
        screen = self.screen
        if code is not None and hasattr(screen, "open_runs"):
            screen.open_runs(code)
        elif hasattr(screen, "open_section"):
            screen.open_section(view_id)

    async def discover(self) -> Hits:
        for text, help_text, view_id, code in self._entries():
            if code is None:
                yield DiscoveryHit(text, partial(self._open, view_id, None), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, view_id, code in self._entries():
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._open, view_id, code), help=help_text)
