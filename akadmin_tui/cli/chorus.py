"""`akadmin chorus copy|resolve`: the Chorus special parameters of each company."""

from __future__ import annotations

import argparse
import json
import sys

from ..settings import schema
from ..settings.editor import SettingsEditor
from .common import EXIT_FAILED, EXIT_OK, CliError, config_target, open_config, open_locked, runs


def cmd_chorus_copy(args: argparse.Namespace) -> int:
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if editor.stored(schema.CHORUS_SPECIAL, args.destination) and not args.yes:
            if not sys.stdin.isatty() or args.passphrase_stdin:
                raise CliError(f"{args.destination} already has a specific setup; add --yes to replace it")
            answer = input(f"{args.destination} already has a specific setup. Replace it? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CliError("nothing was changed", EXIT_FAILED)
        editor.move(schema.CHORUS_SPECIAL, args.source, args.destination)
    finally:
        config.lock.release()
    print(f"Moved the Chorus setup of {args.source} to {args.destination}; {args.source} is now empty.", file=sys.stderr)
    return EXIT_OK


def cmd_chorus_resolve(args: argparse.Namespace) -> int:
    from ..settings.resolve import resolve_chorus

    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    resolution = resolve_chorus(config.plain(), args.company)
    if args.json:
        print(json.dumps({"company": args.company, "setup": resolution.setup, "reason": resolution.reason,
                          "falls_back": resolution.falls_back}))
    else:
        used = f"setup {resolution.setup}" if resolution.setup else "no setup: not transferred"
        print(f"{args.company}: {used} ({resolution.reason})")
    return EXIT_OK if resolution.setup else EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    """Add chorus copy and resolve."""
    chorus = sub.add_parser("chorus", help="Special parameters > Chorus: move a setup, see which one applies")
    chorus_sub = chorus.add_subparsers(dest="chorus_command", metavar="ACTION", required=True)
    copy = chorus_sub.add_parser("copy", help="move a company's Chorus setup to another company (the source is emptied)")
    copy.add_argument("--from", dest="source", metavar="CODE", required=True, help="source company, or *****")
    copy.add_argument("--to", dest="destination", metavar="CODE", required=True, help="destination company")
    copy.add_argument("--yes", action="store_true", help="replace the destination's setup without asking")
    resolve = chorus_sub.add_parser("resolve", help="which setup the invoices of a company use, and why (exit 1: none)")
    resolve.add_argument("company", metavar="CODE")
    resolve.add_argument("--json", action="store_true")
    for parser_, func in ((copy, cmd_chorus_copy), (resolve, cmd_chorus_resolve)):
        runs(parser_, func)
