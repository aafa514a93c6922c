"""Configuration > State database: the usual form under the database's size and what its history holds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from ..batches.queries.retention import database_size
from .section_view import SectionView


def size_text(size: int) -> str:
    """A size in bytes as an admin reads it: 812 KB, 14.2 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class StateView(SectionView):
    """The state database's form, with its file, size and run count above."""

    def compose_notes(self) -> ComposeResult:
        yield Static("", id="state-size", classes="preconditions", markup=False)

    def refresh_notes(self) -> None:
        """Say where the database is and how big it is now."""
        state = getattr(self.app, "state", None)
        if state is None:
            text = "No state database is open: the batches cannot run in this console."
        else:
            runs = state.query("SELECT COUNT(*) FROM batch_runs")[0][0]
            text = f"{state.path}: {size_text(database_size(state))}, {runs} run(s) in the history."
        self.query_one("#state-size", Static).update(text)
