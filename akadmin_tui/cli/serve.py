"""`akadmin serve`: the console in a browser, on loopback only (reach it through an SSH tunnel)."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, CliError, add_config_options, config_target

DEFAULT_PORT = 8040


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .. import web_server
    except ImportError:
        raise CliError("akadmin serve needs the web extra: pip install 'akadmin[web]'") from None
    try:
        address = web_server.loopback_address(args.bind)
    except web_server.NotLoopback as error:
        raise CliError(str(error)) from None
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be from 1 to 65535 (0: any free port); got {args.port}")
    port = args.port or web_server.free_port(address)
    if args.demo:
        argv = ["demo"]
    else:
        opener = config_target(args)
        if not opener.path.exists():
            raise CliError(f"{opener.path} does not exist; create it with: akadmin init --config {opener.path}")
        argv = ["--config", str(opener.path.resolve())]
        if opener.key_file_explicit and opener.key_file is not None:
            argv += ["--key-file", str(opener.key_file.resolve())]
        if getattr(args, "read_only", False):
            argv.append("--read-only")

    def announce(url: str) -> None:
        print(f"akadmin serve: the console is at {url}", flush=True)
        print("Reach it from your machine through SSH: ssh -L "
              f"{port}:127.0.0.1:{port} <this server>, then open that address. Ctrl+C stops.", file=sys.stderr,
              flush=True)

    try:
        web_server.serve(web_server.console_command(argv), address=address, port=port, public_url=args.public_url,
                         announce=announce)
    except OSError as error:
        raise CliError(f"cannot listen on {address}:{port}: {error.strerror or error}", 1) from None
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add serve."""
    serve = sub.add_parser("serve", help="serve the console to a browser on 127.0.0.1 (needs akadmin[web])")
    add_config_options(serve, suppress=True)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0: any free)")
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                       help="loopback address to listen on: 127.0.0.1 (default), ::1 or localhost; others are refused")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address the browser uses when the tunnel's local port differs, e.g. "
                            "http://127.0.0.1:9000")
    serve.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="open it read-only")
    serve.add_argument("--demo", action="store_true", help="serve the demo console (with its sandbox)")
    serve.set_defaults(func=cmd_serve)
