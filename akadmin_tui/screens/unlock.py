"""The Unlock screen: asks for the passphrase when no key file opens the vault."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from ..settings.session import ConfigOpener
from ..settings.store import ConfigError, ConfigFile
from ..settings.vault import VaultError, WrongPassphrase


class UnlockScreen(Screen):
    """A masked passphrase prompt; the key derivation runs in a thread so the UI stays live."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True)]

    class Unlocked(Message):
        """The vault opened with the passphrase."""

        def __init__(self, config: ConfigFile) -> None:
            super().__init__()
            self.config = config

    class Failed(Message):
        """The passphrase did not open the vault, or the file was refused."""

        def __init__(self, reason: str, retry: bool) -> None:
            super().__init__()
            self.reason = reason
            self.retry = retry

    def __init__(self, opener: ConfigOpener) -> None:
        super().__init__()
        self.opener = opener

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="unlock-box"):
                yield Label("Unlock the configuration", id="unlock-title")
                yield Static(f"{self.opener.path}\nNo key file opens this vault: enter its passphrase.",
                             id="unlock-file", markup=False)
                yield Input(password=True, placeholder="passphrase", id="passphrase")
                yield Static("", id="unlock-error", markup=False)
                yield Static("Enter unlocks · ctrl+q quits", id="unlock-hint")
        yield Footer(compact=True)

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
            self.post_message(self.Failed(f"{error}. Try again.", retry=True))
        except (ConfigError, VaultError) as error:
            self.post_message(self.Failed(str(error), retry=False))
        else:
            self.post_message(self.Unlocked(config))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        field = self.query_one("#passphrase", Input)
        field.value = ""
        field.disabled = not event.retry
        self.query_one("#unlock-error", Static).update(event.reason)
        self.query_one("#unlock-error", Static).set_class(True, "-error")
        if event.retry:
            field.focus()
