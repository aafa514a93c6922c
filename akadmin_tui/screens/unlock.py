"""The Unlock screen: asks for the passphrase when no key file opens the vault."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from ..messages import ConfigUnlocked
from ..settings.session import ConfigOpener
from ..settings.store import ConfigError
from ..settings.vault import VaultError, WrongPassphrase


class UnlockScreen(Screen):
    """A masked passphrase prompt; the key derivation runs in a thread so the UI stays live."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True, id="akadmin.quit")]

    class Failed(Message):
        """The passphrase did not open the vault, or the file was refused."""

        def __init__(self, screen: UnlockScreen, reason: str, retry: bool) -> None:
            super().__init__()
            self.unlock_screen = screen
            self.reason = reason
            self.retry = retry

        @property
        def control(self) -> UnlockScreen:
            """The screen that tried the passphrase."""
            return self.unlock_screen

    def __init__(self, opener: ConfigOpener) -> None:
        super().__init__()
        self.opener = opener

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Label("Unlock the configuration", id="unlock-title")
            yield Static(f"{self.opener.path}\nNo key file opens this vault: enter its passphrase.",
                         id="unlock-file", markup=False)
            yield Input(password=True, placeholder="passphrase", id="passphrase")
            yield Static("", id="unlock-error", markup=False)
            yield Static("Enter unlocks · ctrl+q quits", id="unlock-hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        field = self.query_one("#passphrase", Input)
        field.cursor_blink = not self.app.is_headless
        field.focus()

    @on(Input.Submitted, "#passphrase")
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#unlock-error", Static).update("Type the passphrase, then Enter.")
            return
        event.input.disabled = True
        self.query_one("#unlock-error", Static).update("Unlocking…")
        self._unlock(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _unlock(self, passphrase: str) -> None:
        try:
            config = self.opener.open(passphrase)
        except WrongPassphrase as error:
            self.post_message(self.Failed(self, f"{error}. Try again.", retry=True))
        except (ConfigError, VaultError) as error:
            self.post_message(self.Failed(self, str(error), retry=False))
        else:
            self.app.post_message(ConfigUnlocked(config))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        field = self.query_one("#passphrase", Input)
        field.value = ""
        field.disabled = not event.retry
        self.query_one("#unlock-error", Static).update(event.reason)
        self.query_one("#unlock-error", Static).set_class(True, "-error")
        if event.retry:
            field.focus()
