"""The Test panel as Connect shows it: the steps live, the verdict (NOT CHECKED too), and a host key to accept."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from ..connectors.result import TestResult
from .test_panel import TestPanel, warnings_note

VERDICT_STYLES = {"PASSED": "$success", "NOT CHECKED": "$warning", "FAILED": "$error"}


class ConnectPanel(TestPanel):
    """The steps of the running or last Connect of the configuration on screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Connect", id=id)
        self.add_class("connect-panel")

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Connect", "bold"), "  ", ("F5 connects with the saved values", "dim")),
                     classes="test-title")
        yield Static("", classes="test-notice", markup=False)
        yield Static("", classes="test-steps")
        yield Static("", classes="test-summary")
        with Horizontal(classes="connect-offer"):
            yield Static("", classes="offer-text", markup=False)
            yield Button("Accept and pin (k)", id="pin-host-key", compact=True, variant="warning")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".connect-offer").display = False

    def start(self, unsaved: int) -> None:
        """Clear the last result and show that Connect runs."""
        self.set_class(False, "-unchecked")
        self.query_one(".connect-offer").display = False
        super().start(unsaved)
        self.query_one(".test-notice", Static).update(
            f"{unsaved} field(s) of this form are not saved: Connect uses the saved values." if unsaved else "")

    def finish(self, result: TestResult) -> None:
        """Show the whole result with its verdict, and the host key it offers, if any."""
        super().finish(result)
        verdict = result.verdict
        self.set_class(verdict == "NOT CHECKED", "-unchecked")
        total = sum(step.duration_ms for step in result.steps)
        target = f" — {result.target}" if result.target else ""
        self.query_one(".test-summary", Static).update(
            Content.assemble((verdict, VERDICT_STYLES[verdict]), f"{target} in {total:.0f} ms", warnings_note(result)))
        host_key = result.offer.get("host_key")
        self.query_one(".connect-offer").display = bool(host_key)
        if host_key:
            self.query_one(".offer-text", Static).update(
                f"The server presented host key {host_key}, which is not pinned yet. Accept it only if it is your "
                "server's key (compare it with the fingerprint its administrator gives you).")

    def clear(self) -> None:
        """Nothing but the title: no Connect ran for this configuration in this session."""
        self._steps = []
        for name in ("-running", "-passed", "-failed", "-unchecked"):
            self.set_class(False, name)
        for part in self.query(".test-notice, .test-steps, .test-summary, .connect-offer"):
            part.display = False
