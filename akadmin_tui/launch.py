"""Starting the console from the command line: resolve the file, open it, run the App."""

from __future__ import annotations

import os
import sys

from .settings import locations
from .settings.lock import LockedError
from .settings.session import ConfigOpener
from .settings.store import ConfigError, backup_path_for
from .settings.vault import VaultError


def run_console(opener: ConfigOpener, *, read_only: bool = False, passphrase: str | None = None,
                sandbox=None, ascii_only: bool | None = None) -> int:
    """Open the console on `opener`'s file; key-file problems are reported before the screen opens.

    `ascii_only` None: draw with ASCII when the terminal is known not to show box-drawing glyphs.
    """
    from .app import AkadminApp  # Textual is imported only when a console is wanted
    from .ascii_mode import terminal_needs_ascii

    if not opener.path.exists():
        raise ConfigError(f"{opener.path} does not exist; create it with: akadmin init --config {opener.path}")
    config = None
    if passphrase is not None or not opener.needs_passphrase():
        config = opener.open(passphrase)
    if config is not None and read_only:
        config.read_only = True
    # Under `akadmin serve` the console draws through Textual's web driver, with pipes rather than a terminal.
    served = os.environ.get("TEXTUAL_DRIVER", "").startswith("textual.drivers.web_driver")
    if not served and not sys.stdout.isatty():
        print("akadmin: the console needs a terminal; use the commands (akadmin --help) in scripts", file=sys.stderr)
        return 2
    if ascii_only is None:
        ascii_only = terminal_needs_ascii(encoding=sys.stdout.encoding)
    app = AkadminApp(ConfigOpener(opener.path, opener.key_file, opener.key_file_explicit, read_only), config,
                     sandbox=sandbox, ascii_only=ascii_only)
    return app.run() or 0


def run_demo(*, reset: bool = False, ascii_only: bool | None = None) -> int:
    """Open the console on the demo configuration, building it on first use (or with reset)."""
    from .sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
    from .sandbox.fleet import Sandbox
    from .settings.editor import SettingsEditor

    folder = locations.demo_dir()
    path, key = folder / "config.toml", folder / "demo.key"
    if reset:
        import shutil

        from .batches.state import invoice_files_dir, state_path_for

        state = state_path_for(path)
        for leftover in (path, backup_path_for(path), key, state, state.with_name(state.name + "-wal"),
                         state.with_name(state.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(invoice_files_dir(state), ignore_errors=True)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key.unlink(missing_ok=True)
        build_demo_config(path, key_file=key)
        print(f"akadmin: demo configuration written to {path} (key file {key}; passphrase: {DEMO_PASSPHRASE})",
              file=sys.stderr)
    opener = ConfigOpener(path, key, key_file_explicit=True) if key.exists() else ConfigOpener(path)
    started = Sandbox()
    started.start()
    sandbox: Sandbox | None = started
    try:
        config = opener.open(DEMO_PASSPHRASE)
        try:
            config.lock.acquire()
        except LockedError:
            # Another demo console runs: this one opens read-only on that console's emulators.
            started.stop()
            sandbox = None
        else:
            try:
                started.point(SettingsEditor(config), folder)  # ports change at every start
                _prepare_demo_invoices(config, started)
            finally:
                config.lock.release()
        return run_console(opener, passphrase=DEMO_PASSPHRASE, sandbox=sandbox, ascii_only=ascii_only)
    except (ConfigError, VaultError) as error:
        raise ConfigError(f"{error}\nThe demo configuration can be rebuilt with: akadmin demo --reset") from None
    finally:
        if sandbox is not None:
            sandbox.stop()




def _prepare_demo_invoices(config, sandbox) -> None:
    """Give the demo invoices to pull statuses for, on CHORUS PRO's side as in the state database."""
    from .batches.state import StateError, open_state
    from .sandbox import demo_invoices

    try:
        state = open_state(config)
    except StateError as error:
        print(f"akadmin: no demo invoices: {error}", file=sys.stderr)
        return
    try:
        demo_invoices.prepare(state, sandbox.piste)
    finally:
        state.close()
