"""Gmail configuration: the usual form under what Gmail needs elsewhere in the configuration and on this host."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from ..settings.validate import gmail_precondition_problems
from .section_view import SectionView


class GmailView(SectionView):
    """The Gmail form, with its preconditions ticked or crossed under the intro."""

    def compose_notes(self) -> ComposeResult:
        yield Static("", id="preconditions", classes="preconditions")

    def refresh_notes(self) -> None:
        """Tick the management rule, the email application and the credential key as they are saved now."""
        lines = [Content.styled("Preconditions", "bold")]
        problems = gmail_precondition_problems(self.editor.config.plain())
        rule_ok = not any("GOOGLE_MAIL" in p for p in problems)
        app_ok = not any("email application" in p for p in problems)
        lines.append(Content(f"{'✓' if rule_ok else '✗'} GOOGLE_MAIL management rule enabled"))
        lines.append(Content(f"{'✓' if app_ok else '✗'} Gmail selected as the email application"))
        path = self.editor.values(self.section).get("credential_key_path")
        if path:
            exists = Path(path).is_file()
            lines.append(Content(f"{'✓' if exists else '·'} credential key {'found' if exists else 'not found'} "
                                 f"on this host at {path}"))
        self.query_one("#preconditions", Static).update(Content("\n").join(lines))
