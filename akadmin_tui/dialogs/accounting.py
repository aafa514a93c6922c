"""Dialogs of Accounting packages: a new configuration, OAuth sign-in with a pasted code, picking an administration."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ..settings import schema
from ..settings.accounting import DOCUMENT_TYPES, INTEGRATIONS
from .code_and_choice import CodeAndChoiceScreen


class NewConfigurationScreen(CodeAndChoiceScreen):
    """Ask a name (not taken), the integration and the document type; dismisses with the three, or None."""

    HEADING = "New accounting package configuration"
    CODE_LABEL = "Name"
    RECORD_NOUN = "configuration"
    HINT = "Then fill the integration's fields, tick the Terms of service, save with F2 and Connect (F5)."
    SECTION = schema.ACCOUNTING

    def _choices(self) -> ComposeResult:
        yield Label("Integration", classes="field-label")
        yield Select([(i.label, i.name) for i in INTEGRATIONS.values()], allow_blank=False, compact=True,
                     id="new-integration")
        yield Label("Document type", classes="field-label")
        yield Select([(label, key) for key, label in DOCUMENT_TYPES.items()], allow_blank=False, compact=True,
                     id="new-document-type")


class AuthoriseScreen(ModalScreen[str | None]):
    """Show the sign-in URL to open in a browser, and take the code the service sends back."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel"),
                Binding("ctrl+s", "submit", "Authorise", priority=True, id="akadmin.authorise-submit"),
                Binding("ctrl+y", "copy_url", "Copy URL", priority=True, id="akadmin.copy-url")]

    def __init__(self, service: str, url: str, paste: str) -> None:
        super().__init__(classes="dialog-screen")
        self.service, self.url, self.paste = service, url, paste

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Authorise akadmin at {self.service}", classes="dialog-title")
            yield Static(f"1. Open this address in a browser (ctrl+y copies it) and sign in to {self.service}:",
                         classes="dialog-text", markup=False)
            # A read-only text area: the address can be selected and copied, and it wraps instead of being cut.
            yield TextArea(self.url, read_only=True, soft_wrap=True, show_line_numbers=False, id="auth-url",
                           classes="auth-url")
            yield Static(f"2. {self.paste}", classes="dialog-text", markup=False)
            yield Input(placeholder="the code", id="auth-code", compact=True)
            yield Static("", id="new-error", classes="field-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Authorise (ctrl+s)", id="authorise", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        code = self.query_one("#auth-code", Input)
        code.cursor_blink = not self.app.is_headless
        code.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_copy_url(self) -> None:
        # OSC 52: reaches the clipboard of the admin's own terminal, through SSH.
        self.app.copy_to_clipboard(self.url)
        self.app.notify("Address copied (if your terminal allows it); select it in the box otherwise.", timeout=3)

    def action_submit(self) -> None:
        code = self.query_one("#auth-code", Input).value.strip()
        if not code:
            self.query_one("#new-error", Static).update("Paste the code first.")
            return
        self.dismiss(code)

    @on(Input.Submitted, "#auth-code")
    @on(Button.Pressed, "#authorise")
    def _submit(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class PickAdministrationScreen(ModalScreen[str | None]):
    """Pick one of the administrations a service listed; dismisses with its id, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="akadmin.cancel")]

    def __init__(self, service: str, administrations: list[tuple[str, str]], current: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.administrations = administrations
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"{self.service} administrations", classes="dialog-title")
            yield Static("Enter picks the administration documents are delivered to; Escape leaves it as it is.",
                         classes="dialog-text")
            yield OptionList(*[Option(f"{name}  ({ident})", id=str(ident)) for ident, name in self.administrations],
                             id="administrations", classes="administrations")

    def on_mount(self) -> None:
        options = self.query_one("#administrations", OptionList)
        ids = [str(ident) for ident, _ in self.administrations]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#administrations")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
