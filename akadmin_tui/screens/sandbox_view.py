"""The demo's sandbox controls: each emulator's address and its fault switch, and the mail it received."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..dialogs.mail_message import MailMessageScreen, local_time
from ..sandbox.fleet import Received, Sandbox
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

SFTP_FAULTS = {"none": "none: accepts the login and every write", "auth": "every login refused",
               "read_only": "every write refused: permission denied", "drop": "connection dropped at the first write",
               "down": "server stopped"}

MAILBOX_SHOWN = 100  # the newest messages listed; a long demo keeps the list quick to rebuild
EMPTY_MAILBOX = ("Nothing received yet. Alerts and run logs sent by the batches arrive here, through the SMTP server "
                 "or the Gmail API, whichever Office automation chooses.")


def mailbox_line(received: Received) -> Content:
    """A message in the list: when it came (local time), its subject, then who sent it to whom."""
    message = received.message
    cc = f" (cc {message['Cc']})" if message["Cc"] else ""
    return Content.assemble(f"{local_time(received.at)}  ", (str(message["Subject"] or "(no subject)"), "bold"),
                            f"\n          {message['From'] or ''} → {message['To'] or ''}{cc}")


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
            with Horizontal(classes="field-row sandbox-row"):
                yield Label(f"sftp  {self.sandbox.sftp.address}", classes="field-label", markup=False)
                yield Select([(SFTP_FAULTS[f], f) for f in SFTP_FAULTS], value=self.sandbox.sftp.fault or "none",
                             allow_blank=False, compact=True, id="sftp-fault", classes="field-input")
            yield Static(f"sftp host key {self.sandbox.sftp.host_key_fingerprint}", id="sandbox-sftp-key",
                         markup=False)
            yield Static("Mailbox", classes="section-subtitle")
            yield Static(EMPTY_MAILBOX, id="sandbox-mailbox-empty", classes="section-intro")
            yield OptionList(id="sandbox-mailbox", compact=True)
            yield Static("Enter opens the highlighted message; Escape closes it.", id="sandbox-mailbox-keys",
                         classes="section-intro")

    def on_mount(self) -> None:
        self._shown: list[Received] = []
        self._seen = -1
        self.refresh_mailbox()
        self.set_interval(2.0, self.refresh_mailbox)

    def refresh_mailbox(self) -> None:
        """List what the batches e-mailed (alerts, run logs), newest first; cheap when nothing arrived."""
        received = self.sandbox.received()
        if len(received) == self._seen:
            return
        self._seen = len(received)
        mailbox = self.query_one("#sandbox-mailbox", OptionList)
        highlighted = mailbox.highlighted
        kept = self._shown[highlighted].message if highlighted is not None and highlighted < len(self._shown) else None
        self._shown = list(reversed(received[-MAILBOX_SHOWN:]))
        mailbox.set_options(Option(mailbox_line(item)) for item in self._shown)
        # The cursor stays on the message it was on, wherever newer ones push it.
        index = next((i for i, item in enumerate(self._shown) if item.message is kept), 0)
        mailbox.highlighted = index if self._shown else None
        for widget_id, shown in (("#sandbox-mailbox", bool(self._shown)), ("#sandbox-mailbox-keys", bool(self._shown)),
                                 ("#sandbox-mailbox-empty", not self._shown)):
            self.query_one(widget_id).display = shown

    @on(OptionList.OptionSelected, "#sandbox-mailbox")
    def _open_message(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._shown):
            self.app.push_screen(MailMessageScreen(self._shown[event.option_index]))

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

    @on(Select.Changed, "#sftp-fault")
    def _sftp_fault_changed(self, event: Select.Changed) -> None:
        event.stop()
        if (self.sandbox.sftp.fault or "none") != event.value:
            self.sandbox.sftp.set_fault(str(event.value))
            self.app.notify(f"sftp: {SFTP_FAULTS[str(event.value)]}.", timeout=3)

    @on(Select.Changed)
    def _fault_changed(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("fault-")
        emulator = self.sandbox.emulators.get(name)
        if emulator is not None and emulator.faults.fault.value != event.value:
            emulator.set_fault(str(event.value))
            self.app.notify(f"{name}: {FAULT_LABELS[Fault(event.value)]}.", timeout=3)
