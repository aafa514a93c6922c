"""The panel that shows a live Test step by step: outcome, duration, request and diagnosis."""

from __future__ import annotations

from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from ..connectors.result import Outcome, Step, TestResult

MARKS = {Outcome.PASSED: ("✓", "$success"), Outcome.FAILED: ("✗", "$error"), Outcome.SKIPPED: ("-", "$text-muted")}


def step_content(step: Step) -> Content:
    """One step: mark, name, duration, then its request, detail, warning and diagnosis (never parsed as markup)."""
    lines = [Content.assemble(MARKS[step.outcome], " ", (step.name, "bold"), "  ", (f"{step.duration_ms:.0f} ms", "dim"))]
    if step.request:
        lines.append(Content.assemble("    ", (step.request, "dim")))
    if step.detail:
        lines.append(Content("    " + step.detail))
    if step.warning:
        lines.append(Content.assemble("    ", ("⚠ " + step.warning, "$warning")))
    if step.diagnosis:
        lines.append(Content.assemble("    ", ("→ " + step.diagnosis, "$error")))
    return Content("\n").join(lines)


def warnings_note(result: TestResult) -> Content:
    """What follows a verdict: ", with N warning(s) (see above)", or nothing when no step warned."""
    count = len(result.warnings)
    if not count:
        return Content("")
    return Content.assemble(", ", (f"with {count} warning{'s' if count > 1 else ''}", "$warning"), " (see above)")


class TestPanel(Vertical):
    """Shows the steps of the running or last Test of a section."""

    __test__ = False

    class StepDone(Message):
        """A step of the running Test finished; sent by the view that runs it."""

        def __init__(self, view: Widget, step: Step) -> None:
            super().__init__()
            self.view = view
            self.step = step

        @property
        def control(self) -> Widget:
            """The view that runs the Test."""
            return self.view

    class Finished(Message):
        """The Test finished (passed or failed); sent by the view that ran it."""

        def __init__(self, view: Widget, result: TestResult) -> None:
            super().__init__()
            self.view = view
            self.result = result

        @property
        def control(self) -> Widget:
            """The view that ran the Test."""
            return self.view

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(classes="test-panel", id=id)
        self.title = title
        self._steps: list[Step] = []

    def compose(self):
        yield Static(Content.assemble(("Test ", "bold"), self.title, "  ", ("F5 runs it with the saved values", "dim")),
                     classes="test-title")
        yield Static("", classes="test-notice", markup=False)
        yield Static("", classes="test-steps")
        yield Static("", classes="test-summary")

    def on_mount(self) -> None:
        # Nothing but the title until a Test runs.
        for part in self.query(".test-notice, .test-steps, .test-summary"):
            part.display = False

    def _render_steps(self) -> None:
        self.query_one(".test-steps", Static).update(Content("\n").join(step_content(s) for s in self._steps))

    def start(self, unsaved: int) -> None:
        """Clear the last result and show that a Test runs."""
        self._steps = []
        self.set_class(False, "-passed")
        self.set_class(False, "-failed")
        self.set_class(True, "-running")
        notice = (f"{unsaved} field(s) of this form are not saved: the Test uses the saved values."
                  if unsaved else "")
        box = self.query_one(".test-notice", Static)
        box.update(notice)
        box.display = bool(notice)
        self._render_steps()
        for part in self.query(".test-steps, .test-summary"):
            part.display = True
        self.query_one(".test-summary", Static).update("Running… (Escape cancels)")

    def add_step(self, step: Step) -> None:
        """Show one more finished step."""
        self._steps.append(step)
        self._render_steps()

    def finish(self, result: TestResult) -> None:
        """Show the whole result, which stays until the next run."""
        self._steps = list(result.steps)
        self._render_steps()
        for part in self.query(".test-steps, .test-summary"):
            part.display = True
        self.set_class(False, "-running")
        self.set_class(result.passed, "-passed")
        self.set_class(not result.passed, "-failed")
        total = sum(step.duration_ms for step in result.steps)
        verdict = ("PASSED", "$success") if result.passed else ("FAILED", "$error")
        target = f" ({result.target})" if result.target else ""
        self.query_one(".test-summary", Static).update(
            Content.assemble(verdict, f"{target} in {total:.0f} ms", warnings_note(result)))

    def cancelled(self) -> None:
        """Show that the run was cancelled."""
        self.set_class(False, "-running")
        self.query_one(".test-summary", Static).update("Cancelled.")
