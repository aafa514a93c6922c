"""The akadmin App: unlock, open the main screen, guard quitting. Screens do the work."""

from __future__ import annotations

import datetime as dt
import gc
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App
from textual.binding import Binding

from .ascii_mode import draw_with_ascii
from .batches.state import StateError, StateStore, open_state
from .bindings import binding_ids
from .dialogs.confirm import ConfirmScreen
from .dialogs.help import HelpScreen
from .key_order import KeyEvent, KeyGate, run_binding_in_order
from .messages import ConfigUnlocked
from .preferences import PreferencesError, preferences_path, read_preferences
from .screens.host_link import FOLLOW_EVERY_S, HostEvent, HostLink
from .screens.main import MainScreen
from .screens.unlock import UnlockScreen
from .settings.editor import SettingsEditor
from .settings.lock import LockedError
from .settings.session import ConfigOpener
from .settings.store import ConfigError, ConfigFile
from .settings.vault import VaultError

if TYPE_CHECKING:  # the demo passes its sandbox; a production console never imports it
    from .sandbox.fleet import Sandbox


class AkadminApp(App[int]):
    """The console. Give it an opened config, or an opener and it asks for the passphrase."""

    CSS_PATH = ["styles/app.tcss"]
    TITLE = "akadmin"
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Every key of the console", id="akadmin.help"),
        Binding("question_mark", "help", "Help", show=False, id="akadmin.help"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="akadmin.quit"),
    ]

    def __init__(self, opener: ConfigOpener, config: ConfigFile | None = None, *,
                 host_name: str | None = None, sandbox: Sandbox | None = None,
                 batch_clock: Callable[[], dt.datetime] | None = None, ascii_only: bool = False) -> None:
        super().__init__()
        if ascii_only:
            draw_with_ascii(self._filters)
        self.opener = opener
        self.sandbox = sandbox
        self.state: StateStore | None = None
        self.config = config
        self.editor: SettingsEditor | None = None
        self.batches: HostLink | None = None
        self.batch_clock = batch_clock  # the batches' clock for planning (tests fix it)
        self.host_name = host_name or socket.gethostname()
        self.keys = KeyGate(self, self._apply_key)
        self._unreadable: str | None = None  # why the file another process saved cannot be reread, once said
        self.title = f"akadmin · {opener.path}"
        self.sub_title = self.host_name

    def on_mount(self) -> None:
        self.apply_keymap()
        if self.config is None:
            self.push_screen(UnlockScreen(self.opener))
        else:
            self.start(self.config)

    def apply_keymap(self) -> None:
        """Give bindings the keys the admin's ui.toml asks for; a bad file is reported once, then ignored."""
        path = preferences_path()
        try:
            keymap = read_preferences(path).keymap
        except PreferencesError as error:
            self.notify(f"{error}. The default keys apply.", title="Keymap not applied", severity="warning",
                        timeout=10)
            return
        unknown = sorted(set(keymap) - binding_ids())
        if unknown:
            self.notify(f"{path}: no binding has the id {', '.join(unknown)}; the other keys apply.",
                        title="Keymap", severity="warning", timeout=10)
        self.set_keymap({binding_id: keys for binding_id, keys in keymap.items() if binding_id not in unknown})

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self.keys.receive(event)  # in the order typed, each once the one before is applied
            return
        await super().on_event(event)

    async def _apply_key(self, event: KeyEvent) -> None:
        if isinstance(event, events.Key) and await run_binding_in_order(self, event):
            return
        await super().on_event(event)

    @on(ConfigUnlocked)
    def _unlocked(self, event: ConfigUnlocked) -> None:
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
            except OSError as error:
                config.read_only = True
                notice = f"Read-only: cannot take the lock beside {config.path} ({error.strerror or error})."
            else:
                config, notice = self._current(config)
        self.config = config
        self.editor = SettingsEditor(config)
        try:
            self.state = open_state(config)
        except StateError as error:
            self.state = None
            notice = (notice + " " if notice else "") + f"No Test history and no batches: {error}."
        if self.state is not None:
            # The config lock and the host lock are separate: a read-only console may still run the batches.
            self.batches = HostLink(self, self.state, now=self.batch_clock)
            self.batches.start(self.editor)
        main = MainScreen(self.editor, notice, sandbox=self.sandbox)
        self.set_interval(FOLLOW_EVERY_S, self._follow_others)
        if isinstance(self.screen, UnlockScreen):
            self.switch_screen(main)
        else:
            self.push_screen(main)
        # What exists once the console is up lives until it quits: leaving it out of garbage collection keeps
        # full collections short, which would otherwise stall paging through long lists for tens of ms.
        self.call_after_refresh(gc.freeze)

    def _current(self, config: ConfigFile) -> tuple[ConfigFile, str | None]:
        """The file as it is now on disk: someone may have saved it between reading and locking."""
        if not config.changed_on_disk():
            return config, None
        try:
            fresh = self.opener.open(config.passphrase)
        except (ConfigError, VaultError) as error:
            config.lock.release()
            config.read_only = True
            return config, f"Read-only: the file changed on disk while it was being opened and cannot be reread: {error}"
        fresh.lock = config.lock
        return fresh, None

    def _follow_others(self) -> None:
        """Show what other processes did: runs and pauses in the state database, a config they saved."""
        if self.batches is not None:
            self.batches.follow()
        # Only a read-only console can see the file change: an editing one holds the lock that writers take.
        if self.config is not None and self.editor is not None and self.config.read_only:
            self._follow_file()

    def _follow_file(self) -> None:
        config = self.config
        if config is None or self.editor is None or not config.changed_on_disk():
            return
        try:
            fresh = self.opener.open(config.passphrase)
        except (ConfigError, VaultError) as error:
            if str(error) != self._unreadable:
                self._unreadable = str(error)
                self.notify(f"Another process saved {config.path}, but it cannot be reread: {error}. What is shown "
                            "is the file as it was.", title="File changed", severity="warning", timeout=10)
            return
        self._unreadable = None
        fresh.read_only = True
        self.config = self.editor.config = fresh
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None:
            main.follow_file()
        self.notify(f"Another process saved {config.path}: shown as it is now.", title="File changed", timeout=4)

    @on(HostEvent)
    def _host_event(self, event: HostEvent) -> None:
        if self.batches is not None:
            self.batches.receive(event.report)

    async def on_unmount(self) -> None:
        if self.batches is not None:
            await self.batches.stop()  # before the state closes: stopped runs still record their end
        if self.config is not None:
            self.config.lock.release()
        if self.state is not None:
            self.state.close()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Nothing to jump to before the file is open.
        return not (action == "command_palette" and isinstance(self.screen, UnlockScreen))

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Notify with markup off by default: messages quote what the admin typed."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _fatal_error(self) -> None:
        # Textual's crash report prints local variables, which may hold secrets being saved;
        # this one prints the traceback without them.
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        pending = main.pending_fields() if main is not None else []
        running = sorted(self.batches.live) if self.batches is not None and self.batches.controls else []
        if not pending and not running:
            self.exit(0)
            return
        question = unsaved_question(pending) if pending else ""
        if running:
            question = (question + " " if question else "") + (
                f"Batch(es) {', '.join(running)} are running here and will be stopped. Quit anyway?")
        self.push_screen(ConfirmScreen(question, yes="Quit"), lambda yes: self.exit(0) if yes else None)


def unsaved_question(fields: list[str], named_at_most: int = 5) -> str:
    """The quit question naming the fields that would be lost (the first few, then how many more)."""
    named = "; ".join(fields[:named_at_most])
    if len(fields) > named_at_most:
        named += f"; and {len(fields) - named_at_most} more"
    if len(fields) == 1:
        return f"1 field is modified but not saved ({named}). Quit and lose it?"
    return f"{len(fields)} fields are modified but not saved ({named}). Quit and lose them?"
