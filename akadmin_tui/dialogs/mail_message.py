"""One message of the sandbox's mailbox, whole: its headers, its text and its attachments, scrollable."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..sandbox.fleet import Received

HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date")


def local_time(at: dt.datetime) -> str:
    """A UTC time as this host's clock shows it, HH:MM:SS."""
    return at.astimezone().strftime("%H:%M:%S")


def message_text(message: EmailMessage) -> str:
    """The message's text (plain rather than HTML), or why there is none."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "(no text in this message)"
    try:
        return str(body.get_content()).rstrip()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: show it undecoded
        return str(body.get_payload()).rstrip()


def message_content(received: Received) -> Content:
    """The headers, when it came, the text and the attachments, as one block."""
    message = received.message
    rows = [Content.assemble((f"{name}: ", "bold"), str(message[name])) for name in HEADERS if message[name]]
    at = received.at.astimezone()
    rows.append(Content.assemble(("Received: ", "bold"),
                                 f"{at:%Y-%m-%d %H:%M:%S} (local time), by {received.via}"))
    rows += [Content(""), Content(message_text(message))]
    attachments = [part for part in message.iter_attachments() if isinstance(part, EmailMessage)]
    if attachments:
        rows.append(Content(""))
        for part in attachments:
            size = len(part.get_payload(decode=True) or b"")
            rows.append(Content.assemble(("Attachment: ", "bold"),
                                         f"{part.get_filename() or 'unnamed'} ({part.get_content_type()}, {size} bytes)"))
    return Content("\n").join(rows)


class MailMessageScreen(ModalScreen[None]):
    """A received message in full; the arrows and PgUp/PgDn scroll it, Escape closes it."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="akadmin.close")]

    def __init__(self, received: Received) -> None:
        super().__init__()
        self.received = received

    def compose(self) -> ComposeResult:
        with Vertical(id="mail-dialog"):
            with VerticalScroll(id="mail-box"):
                yield Static(message_content(self.received), id="mail-text")
            yield Static("↑ ↓ PgUp PgDn scroll · Escape closes", id="mail-keys")

    def on_mount(self) -> None:
        self.query_one("#mail-box").focus()
