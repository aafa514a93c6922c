"""A "try it" panel: type what the ERP would send, see what the interface answers."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static


class TryPanel(Vertical):
    """Inputs, and the answer of the last try (or why it failed)."""

    class Requested(Message):
        """The admin submitted the inputs."""

        def __init__(self, panel: TryPanel, values: list[str]) -> None:
            super().__init__()
            self.panel = panel
            self.values = values

        @property
        def control(self) -> TryPanel:
            """The panel whose inputs were submitted."""
            return self.panel

    class Answered(Message):
        """The interface answered (or the try failed, with the reason); sent by the view that asked."""

        def __init__(self, view: Widget, text: str, failed: bool) -> None:
            super().__init__()
            self.view = view
            self.text = text
            self.failed = failed

        @property
        def control(self) -> Widget:
            """The view that asked."""
            return self.view

    def __init__(self, title: str, prompts: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(classes="try-panel", id=id)
        self.title = title
        self.prompts = prompts

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="try-title")
        with Horizontal(classes="try-inputs"):
            for index, prompt in enumerate(self.prompts):
                yield Input(placeholder=prompt, compact=True, id=f"try-{index}", classes="try-input")
        yield Static("Enter runs it with the saved settings.", classes="try-answer", markup=False)

    def on_mount(self) -> None:
        if self.app.is_headless:
            for field in self.query(Input):
                field.cursor_blink = False

    @on(Input.Submitted, ".try-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = [field.value for field in self.query(".try-input").results(Input)]
        if not all(value.strip() for value in values):
            self.show("Fill in every field first.", error=True)
            return
        self.show("Asking…", error=False)
        self.post_message(self.Requested(self, values))

    def show(self, text: str, *, error: bool) -> None:
        """Show an answer, or why there is none."""
        answer = self.query_one(".try-answer", Static)
        answer.update(text)
        answer.set_class(error, "-error")
