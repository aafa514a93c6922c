"""The dialog that starts a new batch: its code and its template, before its form opens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, Select

from ..settings import schema
from ..settings.batch_params import TEMPLATES
from .code_and_choice import CodeAndChoiceScreen


class NewBatchScreen(CodeAndChoiceScreen):
    """Ask a code (not taken) and a template; dismisses with both, or None."""

    HEADING = "New batch"
    CODE_LABEL = "Code"
    RECORD_NOUN = "batch"
    HINT = "Then fill the label, the schedule and the parameters, and save with F2."
    SECTION = schema.BATCHES

    def _choices(self) -> ComposeResult:
        yield Label("Batch template", classes="field-label")
        yield Select([(f"{t.name} — {t.label}", t.name) for t in TEMPLATES.values()], allow_blank=False,
                     compact=True, id="new-template")
