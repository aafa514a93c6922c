"""A section with a "try it" panel under its form (API Sirene, OCR, Google API): use the interface for real."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input

from ..connectors.try_its import TRY_ITS, TryFailed, run_try
from ..widgets.try_panel import TryPanel
from .section_view import SectionView


class TryItView(SectionView):
    """The section's form and Test, then a panel that sends what the ERP would and shows the answer."""

    def compose_panels(self) -> ComposeResult:
        yield from super().compose_panels()
        try_it = TRY_ITS[self.section.id]
        yield TryPanel(try_it.title, try_it.prompts, id="try-panel")

    def on_mount(self) -> None:
        super().on_mount()
        # The panel's own inputs, filled with what the try offers by default (the OCR's sample receipt).
        defaults = TRY_ITS[self.section.id].defaults
        for field, value in zip(self.query_one(TryPanel).query(Input), defaults, strict=False):
            field.value = value

    @on(TryPanel.Requested)
    def _try_requested(self, event: TryPanel.Requested) -> None:
        self._run_try(event.values)

    @work(exclusive=True, group="try-it", exit_on_error=False)
    async def _run_try(self, values: list[str]) -> None:
        try:
            answer, failed = await run_try(self.section.id, self.editor, values), False
        except TryFailed as error:
            answer, failed = str(error), True
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote a secret being sent
            answer, failed = f"It could not be tried ({type(error).__name__}).", True
        self.post_message(TryPanel.Answered(self, answer, failed))

    @on(TryPanel.Answered)
    def _try_answered(self, event: TryPanel.Answered) -> None:
        self.query_one(TryPanel).show(event.text, error=event.failed)
