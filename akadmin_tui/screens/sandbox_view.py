"""The demo's sandbox controls: each emulator's address and its fault switch, and the mail it received."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Select, Static

from ..sandbox.fleet import Sandbox
from ..sandbox.server import Fault

FAULT_LABELS = {
    Fault.NONE: "none: answers as the real service",
    Fault.SLOW: "slow answers",
    Fault.ERROR_500: "500 Internal Server Error",
    Fault.ERROR_503: "503 Service Unavailable",
    Fault.BURST_429: "429 Too Many Requests, with Retry-After",
    Fault.DROP: "dropped connections",
    Fault.MALFORMED: "an HTML page instead of the expected body",
    Fault.WRONG_CREDENTIALS: "every credential refused",
}

SMTP_FAULTS = {"none": "none: accepts every message", "reject": "550 for every recipient",
               "down": "server stopped"}


class SandboxView(Vertical):
    """Switch faults on and off in the running emulators, then press F5 in a section."""

    def __init__(self, sandbox: Sandbox, *, id: str | None = None) -> None:
        super().__init__(classes="section-view", id=id)
        self.sandbox = sandbox

    def compose(self) -> ComposeResult:
        yield Static("Sandbox (demo)", classes="section-title")
        with VerticalScroll(classes="record-area"):
            yield Static("The demo's services are local emulators on 127.0.0.1. Switch a fault on here, "
                         "then press F5 in the section that uses it to see how the Test diagnoses it.",
                         classes="section-intro")
            for name, emulator in self.sandbox.emulators.items():
                with Horizontal(classes="field-row sandbox-row"):
                    yield Label(f"{name}  {emulator.url}", classes="field-label", markup=False)
                    yield Select([(label, fault.value) for fault, label in FAULT_LABELS.items()],
                                 value=emulator.faults.fault.value, allow_blank=False, compact=True,
                                 id=f"fault-{name}", classes="field-input")
            with Horizontal(classes="field-row sandbox-row"):
                yield Label(f"smtp  {self.sandbox.smtp.address}", classes="field-label", markup=False)
                yield Select([(SMTP_FAULTS[f], f) for f in SMTP_FAULTS], value="none", allow_blank=False,
                             compact=True, id="smtp-fault", classes="field-input")
            yield Label(f"sftp  {self.sandbox.sftp.address}  host key {self.sandbox.sftp.host_key_fingerprint}",
                        classes="field-label", markup=False)
            yield Static("Mailbox", classes="section-subtitle")
            yield Static("", id="sandbox-mailbox", classes="section-intro")

    def on_mount(self) -> None:
        self._seen = -1
        self.refresh_mailbox()
        self.set_interval(2.0, self.refresh_mailbox)

    def refresh_mailbox(self) -> None:
        """Show what the batches e-mailed (alerts, run logs), newest first; cheap when nothing arrived."""
        messages = self.sandbox.mailbox()
        if len(messages) == self._seen:
            return
        self._seen = len(messages)
        if not messages:
            text = Content("Nothing received yet. Alerts and run logs sent by the batches arrive here, through the "
                           "SMTP server or the Gmail API, whichever Office automation chooses.")
        else:
            text = Content("\n").join(
                Content.assemble((f"{m.get('Subject', '')}", "bold"), f"\n  {m.get('From', '')} → {m.get('To', '')}"
                                 + (f" (cc {m.get('Cc')})" if m.get("Cc") else ""))
                for m in reversed(messages[-20:]))
        self.query_one("#sandbox-mailbox", Static).update(text)

    def focus_first_field(self) -> None:
        """Put the focus on the first fault switch (once they are mounted)."""
        switches = self.query(Select)
        if switches:
            switches.first().focus()
        else:
            self.call_after_refresh(self.focus_first_field)

    @on(Select.Changed, "#smtp-fault")
    def _smtp_fault_changed(self, event: Select.Changed) -> None:
        event.stop()
        if (self.sandbox.smtp.fault or "none") != event.value:
            self.sandbox.smtp.set_fault(str(event.value))
            self.app.notify(f"smtp: {SMTP_FAULTS[str(event.value)]}.", timeout=3)

    @on(Select.Changed)
    def _fault_changed(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("fault-")
        emulator = self.sandbox.emulators.get(name)
        if emulator is not None and emulator.faults.fault.value != event.value:
            emulator.set_fault(str(event.value))
            self.app.notify(f"{name}: {FAULT_LABELS[Fault(event.value)]}.", timeout=3)
