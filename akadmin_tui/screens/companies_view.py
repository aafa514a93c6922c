"""Companies: the usual record list and forms, and F4 to fill a company's name from its SIRET (API Sirene)."""

from __future__ import annotations

from textual import on, work
from textual.binding import Binding

from ..connectors.try_its import TryFailed, run_try
from ..settings import schema
from ..widgets.try_panel import TryPanel
from .section_view import SectionView


class CompaniesView(SectionView):
    """The companies; F4 asks INSEE for the name of the company on screen, when API Sirene is set up."""

    BINDINGS = [
        Binding("f4", "fill_from_sirene", "Sirene name", tooltip="Fill the company's name from its SIRET",
                id="akadmin.name-from-sirene"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fill_from_sirene":
            sirene = self.editor.values(schema.SIRENE)
            return (not self.editor.read_only and self.form is not None
                    and bool(sirene.get("enabled") and sirene.get("token")))
        return super().check_action(action, parameters)

    def action_fill_from_sirene(self) -> None:
        form = self.form
        if form is None:
            return
        siret = form.row("siret").raw_text().strip()
        if not siret:
            self.app.notify("Type the company's SIRET first.", timeout=3)
            return
        self._lookup_name(siret)

    @work(exclusive=True, group="sirene-lookup", exit_on_error=False)
    async def _lookup_name(self, siret: str) -> None:
        try:
            answer, failed = await run_try(schema.SIRENE.id, self.editor, [siret]), False
        except TryFailed as error:
            answer, failed = str(error), True
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote the key
            answer, failed = f"INSEE could not be asked ({type(error).__name__}).", True
        self.post_message(TryPanel.Answered(self, answer, failed))

    @on(TryPanel.Answered)
    def _sirene_name(self, event: TryPanel.Answered) -> None:
        event.stop()
        if event.failed:
            self.app.notify(event.text, title="Not filled", severity="error")
            return
        form = self.form
        if form is None:
            return
        name = event.text.split("\n", 1)[0].removesuffix("  (closed)")
        form.row("name").set_value(name)
        form.refresh_problems()
        self.app.notify(f"Name filled from INSEE: {name}. Save it with F2.", timeout=4)
