"""The akadmin App: unlock, open the main screen, guard quitting. Screens do the work."""

from __future__ import annotations

import socket

from textual import on
from textual.app import App
from textual.binding import Binding

from .screens.dialogs import ConfirmScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.unlock import UnlockScreen
from .settings.editor import SettingsEditor
from .settings.lock import LockedError
from .settings.session import ConfigOpener
from .settings.store import ConfigFile


class AkadminApp(App[int]):
    """The console. Give it an opened config, or an opener and it asks for the passphrase."""

    CSS_PATH = ["styles/app.tcss"]
    TITLE = "akadmin"
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Every key of the console"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, opener: ConfigOpener, config: ConfigFile | None = None, *,
                 host_name: str | None = None) -> None:
        super().__init__()
        self.opener = opener
        self.config = config
        self.editor: SettingsEditor | None = None
        self.host_name = host_name or socket.gethostname()
        self.title = f"akadmin · {opener.path}"
        self.sub_title = self.host_name

    def on_mount(self) -> None:
        if self.config is None:
            self.push_screen(UnlockScreen(self.opener))
        else:
            self.start(self.config)

    @on(UnlockScreen.Unlocked)
    def _unlocked(self, event: UnlockScreen.Unlocked) -> None:
        self.start(event.config)

    def start(self, config: ConfigFile) -> None:
        """Take the lock (or fall back to read-only) and show the main screen."""
        notice = None
        if config.read_only:
            notice = "Read-only: opened with --read-only; nothing can be saved."
        else:
            try:
                config.lock.acquire()
            except LockedError as error:
                config.read_only = True
                notice = f"Read-only: {error}. Close that console to edit here."
        self.config = config
        self.editor = SettingsEditor(config)
        if isinstance(self.screen, UnlockScreen):
            self.switch_screen(MainScreen(self.editor, notice))
        else:
            self.push_screen(MainScreen(self.editor, notice))

    def on_unmount(self) -> None:
        if self.config is not None:
            self.config.lock.release()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        pending = self.screen.pending_count() if isinstance(self.screen, MainScreen) else 0
        if not pending:
            self.exit(0)
            return
        question = f"{pending} field(s) are modified but not saved. Quit and lose them?"
        self.push_screen(ConfirmScreen(question, yes="Quit"), lambda yes: self.exit(0) if yes else None)
