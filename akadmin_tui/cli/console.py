"""The console itself, the demo, and `akadmin sandbox` (the local emulators in the foreground)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import EXIT_OK, CliError, config_target


def cmd_sandbox(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from ..sandbox.fleet import Sandbox
    from ..sandbox.server import Fault

    sandbox = Sandbox()
    faults = []
    for spec in args.fault or []:
        name, _, fault = spec.partition("=")
        if name not in sandbox.emulators or fault not in {f.value for f in Fault}:
            raise CliError(f"--fault takes NAME=FAULT with NAME in {', '.join(sandbox.emulators)} "
                           f"and FAULT in {', '.join(f.value for f in Fault)}")
        faults.append((name, fault))
    urls = sandbox.start()
    for name, fault in faults:
        sandbox.emulators[name].set_fault(fault)
    for name, url in urls.items():
        print(f"{name:<13} {url}")
    folder = Path(tempfile.mkdtemp(prefix="akadmin-sandbox-"))
    print(f"{'gmail key':<13} {sandbox.write_gmail_key(folder)}")
    print("Ctrl+C stops the sandbox.", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
    return EXIT_OK


def cmd_console(args: argparse.Namespace) -> int:
    from ..launch import run_console

    return run_console(config_target(args), read_only=args.read_only, ascii_only=args.ascii or None)


def cmd_demo(args: argparse.Namespace) -> int:
    from ..launch import run_demo

    return run_demo(reset=args.reset, ascii_only=args.ascii or None)


def register(sub: argparse._SubParsersAction) -> None:
    """Add sandbox and demo."""
    sandbox = sub.add_parser("sandbox", help="run the local emulators of the services in the foreground")
    sandbox.add_argument("--fault", metavar="NAME=FAULT", action="append",
                         help="start an emulator with a fault on (e.g. piste=503); repeatable")
    sandbox.set_defaults(func=cmd_sandbox)

    demo = sub.add_parser("demo", help="open the console on a demo configuration")
    demo.add_argument("--reset", action="store_true", help="start again from the sample configuration")
    # Also after the command (akadmin demo --ascii); SUPPRESS keeps an `akadmin --ascii demo` from being reset.
    demo.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS, help="draw with ASCII only")
    demo.set_defaults(func=cmd_demo)
