"""The `akadmin` command: open the console, or run one headless operation.

Exit codes: 0 ok, 1 the operation failed, 2 usage or configuration error, 141 the reader of the output closed
early (`| head`). Messages go to stderr, never with a traceback; secrets are never read from argv. One module
per command group, each with `register`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..settings.editor import ChangeRefused
from ..settings.lock import LockedError
from ..settings.store import ConfigError, NeedsPassphrase, SaveError
from ..settings.vault import VaultError
from . import accounting, batches, certs, chorus, completion, config, console, invoices, live_test, scheduler, serve, service
from .common import EXIT_FAILED, EXIT_PIPE, EXIT_USAGE, CliError, add_config_options, fail


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `akadmin` command."""
    parser = argparse.ArgumentParser(
        prog="akadmin",
        description="Terminal console for the Akuiteo Administration console: interfaces, "
                    "encrypted settings, tests and batches. Without a command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"akadmin {__version__}")
    add_config_options(parser, suppress=False)
    parser.add_argument("--read-only", action="store_true", help="open everything read-only")
    parser.add_argument("--ascii", action="store_true",
                        help="draw the console with ASCII only (automatic on TERM=linux, vt100 and other terminals "
                             "without box-drawing glyphs, or when the output is not UTF-8; also AKADMIN_ASCII=1)")
    parser.set_defaults(func=console.cmd_console)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (config, live_test, certs, chorus, console, batches, invoices, scheduler, service, serve, accounting,
                  completion):
        group.register(sub)
    return parser


PRIVATE_UMASK = 0o077  # whatever the caller's umask: every file akadmin creates is 0600, every folder 0700


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `akadmin` console script."""
    # Logs, the state database and its journal, backups, signed documents, statements: all may hold personal or
    # financial data, and SQLite, logging and mkdir create files with the process's umask.
    previous = os.umask(PRIVATE_UMASK)
    try:
        try:
            return _run(build_parser().parse_args(argv))
        finally:
            # The last buffered output meets a closed pipe here, where it can be handled, not at interpreter exit.
            sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_PIPE
    finally:
        os.umask(previous)  # for callers in the same process (tests); a command's process ends here anyway


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so the final flush at exit has nowhere to fail (Python's recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (a test's capture): nothing will flush it at exit


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command, turning each kind of failure into its message and exit code."""
    try:
        return args.func(args)
    except BrokenPipeError:
        raise  # the reader left: not a failure to report on stderr
    except CliError as error:
        fail(str(error), error.code)
    except NeedsPassphrase as error:
        fail(f"{error}: use --key-file, or --passphrase-stdin", EXIT_USAGE)
    except (ConfigError, VaultError) as error:
        fail(str(error), EXIT_USAGE)
    except ChangeRefused as error:
        fail("refused, nothing was written:\n" + "\n".join(f"  {f}" for f in error.findings), EXIT_USAGE)
    except (SaveError, LockedError) as error:
        fail(str(error), EXIT_FAILED)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        fail(f"{error.strerror or error}{where}", EXIT_FAILED)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_FAILED)

