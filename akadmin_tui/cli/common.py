"""What every `akadmin` command shares: exit codes, errors, options, opening the config, reading a passphrase."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..settings import locations
from ..settings.editor import SettingsEditor
from ..settings.lock import ConfigLock, LockedError
from ..settings.session import ConfigOpener
from ..settings.store import ConfigFile

if TYPE_CHECKING:
    from ..batches.state import StateStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 141  # the reader of standard output left early (`| head`): 128 + SIGPIPE, as the shell reports it
MASK = "********"


class CliError(Exception):
    """A failure reported as one message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        self.code = code
        super().__init__(message)


def config_target(args: argparse.Namespace) -> ConfigOpener:
    """The config file and key the options (or $AKADMIN_KEY_FILE, or the defaults) name."""
    given = getattr(args, "config", None)
    if given is not None and not given.strip():
        raise CliError("--config was given an empty path")
    config = Path(given) if given else locations.default_config_path()
    read_only = bool(getattr(args, "read_only", False))
    if getattr(args, "key_file", None):
        return ConfigOpener(config, Path(args.key_file), True, read_only)
    if os.environ.get("AKADMIN_KEY_FILE"):
        return ConfigOpener(config, Path(os.environ["AKADMIN_KEY_FILE"]), True, read_only)
    return ConfigOpener(config, locations.default_key_file(), False, read_only)


def utf8_text(text: str, what: str) -> str:
    """`text` itself, refused when it cannot be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CliError(f"{what} is not valid UTF-8 text") from None
    return text


def read_stdin_line(what: str) -> str:
    """The first line of standard input, without its line end."""
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise CliError(f"{what} on standard input is not valid UTF-8 text") from None
    if not line:
        raise CliError(f"expected {what} on standard input, got nothing")
    return utf8_text(line.rstrip("\r\n"), what)


STDIN_LIMIT = 65536  # a value is one line; more than this is a wrong file, not a setting


def read_stdin_value(what: str) -> str:
    """All of standard input as one line: a single trailing newline is dropped, more lines are refused."""
    try:
        # At a terminal the line ends with Enter; from a pipe or a file, everything is read to see it is one line.
        text = sys.stdin.readline(STDIN_LIMIT + 1) if sys.stdin.isatty() else sys.stdin.read(STDIN_LIMIT + 1)
    except UnicodeDecodeError:
        raise CliError(f"{what} on standard input is not valid UTF-8 text") from None
    if not text:
        raise CliError(f"expected {what} on standard input, got nothing")
    if len(text) > STDIN_LIMIT:
        raise CliError(f"{what} on standard input is longer than {STDIN_LIMIT} characters; expected one line")
    line = text[:-1] if text.endswith("\n") else text
    if "\n" in line:
        # Counted, not shown: the value may be a secret.
        raise CliError(f"expected one line for {what} on standard input, got {line.count(chr(10)) + 1} lines; "
                       "nothing was changed")
    return utf8_text(line, what)


def prompt_passphrase(prompt: str) -> str:
    """A passphrase typed at the terminal, not echoed."""
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the passphrase: use --key-file, or --passphrase-stdin")
    try:
        return utf8_text(getpass.getpass(prompt), "the passphrase")
    except EOFError:
        raise CliError("no passphrase was typed") from None


def new_passphrase(from_stdin: bool) -> str:
    """A new passphrase, typed twice (or read once from standard input), at least 8 characters."""
    if from_stdin:
        value = read_stdin_line("the passphrase")
    else:
        value = prompt_passphrase("New passphrase: ")
        if prompt_passphrase("Repeat it: ") != value:
            raise CliError("the two passphrases differ; nothing was changed")
    if len(value.strip()) < 8:
        raise CliError("the passphrase must be at least 8 characters, not counting spaces; nothing was changed")
    return value


def open_config(target: ConfigOpener, *, passphrase_stdin: bool = False, read_only: bool = False,
                older_allowed: bool = False) -> ConfigFile:
    """Open the target config with its key file or a passphrase, as the arguments say."""
    source: Callable[[], str] = (
        (lambda: read_stdin_line("the passphrase")) if passphrase_stdin else (lambda: prompt_passphrase("Passphrase: "))
    )
    config = target.open(passphrase=source, older_allowed=older_allowed)
    config.read_only = read_only
    return config


LOCK_WAIT_S = 10.0  # how long a command waits for another short-lived command holding the config's lock


def open_locked(target: ConfigOpener, *, passphrase_stdin: bool = False) -> ConfigFile:
    """Take the lock, then read the file: what is changed is what is on disk, never a stale copy.

    Another command holding the lock (a config set in the same provisioning script) is waited for, up to
    LOCK_WAIT_S; a console holding it makes this fail at once, naming it.
    """
    lock = ConfigLock(Path(os.path.realpath(target.path)), kind="command")
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            lock.acquire()
            break
        except LockedError as error:
            waiting = error.holder is not None and error.holder.kind == "command"
            if not waiting:
                raise CliError(f"{error}; close that console or make the change there", EXIT_FAILED) from None
            if time.monotonic() >= deadline:
                raise CliError(f"{error}, still after {LOCK_WAIT_S:.0f} s; try again when it is done", EXIT_FAILED) from None
            time.sleep(0.05)
        except OSError as error:
            raise CliError(f"cannot lock {target.path}: {error.strerror or error}", EXIT_FAILED) from None
    try:
        config = open_config(target, passphrase_stdin=passphrase_stdin)
    except BaseException:
        lock.release()
        raise
    config.lock = lock
    return config


def open_with_state(args: argparse.Namespace) -> tuple[ConfigFile, SettingsEditor, StateStore]:
    """The config read-only, its editor and its state database, for the batch commands."""
    from ..batches.state import StateError, open_state

    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    try:
        state = open_state(config)
    except StateError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    return config, SettingsEditor(config), state


def local_time(stamp: str | None) -> str:
    """A stored UTC time stamp in the machine's local time, to the minute; empty when there is none."""
    if not stamp:
        return ""
    return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def add_config_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--config and --key-file; `suppress` keeps a subcommand from overriding the main parser's value."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default,
                        help="config file (default: $AKADMIN_CONFIG, else $XDG_CONFIG_HOME/akadmin/config.toml)")
    parser.add_argument("--key-file", metavar="PATH", default=default,
                        help="key file (default: $AKADMIN_KEY_FILE, else $XDG_CONFIG_HOME/akadmin/key if present)")


def add_passphrase_stdin(parser: argparse.ArgumentParser) -> None:
    """--passphrase-stdin: the passphrase is the first line of standard input."""
    parser.add_argument("--passphrase-stdin", action="store_true",
                        help="read the passphrase from the first line of standard input")


def runs(parser: argparse.ArgumentParser, command: Callable[[argparse.Namespace], int]) -> None:
    """Give a subcommand the config options, --passphrase-stdin and the function that runs it."""
    add_config_options(parser, suppress=True)
    add_passphrase_stdin(parser)
    parser.set_defaults(func=command)


def fail(message: str, code: int) -> NoReturn:
    """Print `message` on stderr and exit with `code`."""
    print(f"akadmin: {message}", file=sys.stderr)
    raise SystemExit(code)
