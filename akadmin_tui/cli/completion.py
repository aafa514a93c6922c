"""`akadmin completion bash|zsh`: tab completion generated from the command's own parser."""

from __future__ import annotations

import argparse

from .common import EXIT_OK

SHELLS = ("bash", "zsh")


def cmd_completion(args: argparse.Namespace) -> int:
    import shtab

    from . import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add completion."""
    completion = sub.add_parser("completion", help="print the tab completion script of a shell (bash or zsh)")
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(func=cmd_completion)
