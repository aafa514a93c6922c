"""`akadmin accounting`: Connect a configuration, pin an SFTP host key, authorise Exact Online or Dropbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from ..settings import schema
from ..settings.editor import SettingsEditor
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, config_target, open_config, open_locked, runs

if TYPE_CHECKING:
    from ..connectors.accounting.base import AccountingConnector


def _configuration(editor: SettingsEditor, name: str) -> dict:
    if not editor.exists(schema.ACCOUNTING, name):
        known = ", ".join(str(k) for k in editor.record_keys(schema.ACCOUNTING)) or "none"
        raise CliError(f"no accounting configuration {name!r}; known: {known}")
    return editor.values(schema.ACCOUNTING, name)


def cmd_connect(args: argparse.Namespace) -> int:
    from ..connectors.accounting import connect

    target = config_target(args)
    config = (open_locked(target, passphrase_stdin=args.passphrase_stdin) if args.accept_host_key
              else open_config(target, passphrase_stdin=args.passphrase_stdin, read_only=True))
    try:
        editor = SettingsEditor(config)
        _configuration(editor, args.name)
        result = asyncio.run(connect(editor, args.name))
        if args.accept_host_key and result.offer.get("host_key"):
            editor.apply(schema.ACCOUNTING, args.name, {"host_key": result.offer["host_key"]})
            print(f"host key {result.offer['host_key']} pinned for {args.name}", file=sys.stderr)
            result = asyncio.run(connect(editor, args.name))
    finally:
        config.lock.release()
    print(json.dumps(result.to_json(), indent=2, ensure_ascii=False) if args.json else result.to_text())
    if result.offer.get("host_key") and not args.accept_host_key:
        print(f"to trust this server, check its fingerprint with its administrator, then run: akadmin accounting "
              f"connect {args.name} --accept-host-key", file=sys.stderr)
    return EXIT_OK if result.passed else EXIT_FAILED


def _signing_in(values: dict, name: str) -> AccountingConnector:
    from ..connectors.accounting import connector_for

    connector = connector_for(str(values.get("integration")))
    if connector is None or not connector.signs_in:
        raise CliError(f"configuration {name} is {values.get('integration')}: only Exact Online and Dropbox are "
                       "authorised this way")
    return connector


def cmd_authorize(args: argparse.Namespace) -> int:
    import secrets

    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    values = _configuration(SettingsEditor(config), args.name)
    # The code comes back through another command: the state is sent as the service asks, not checked.
    print(_signing_in(values, args.name).authorise_url(values, secrets.token_urlsafe(12)))
    print("Open this address, sign in and allow akadmin, then give the code it returns to: "
          f"akadmin accounting code {args.name} (the code is read from standard input)", file=sys.stderr)
    return EXIT_OK


def cmd_code(args: argparse.Namespace) -> int:
    from ..connectors.accounting import sign_in

    lines = sys.stdin.read().splitlines()
    # With --passphrase-stdin the first line is the passphrase, the next one the code.
    code = (lines[1] if args.passphrase_stdin and len(lines) > 1 else lines[0] if lines else "").strip()
    if args.passphrase_stdin:
        sys.stdin = __import__("io").StringIO(lines[0] + "\n" if lines else "")
    if not code:
        raise CliError("give the authorisation code on standard input", EXIT_USAGE)
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        values = _configuration(editor, args.name)
        _signing_in(values, args.name)
        try:
            tokens = asyncio.run(sign_in(editor, values, code))
        except Exception as error:  # noqa: BLE001 - the connector's error says what went wrong, in words
            raise CliError(f"the code was refused: {error}", EXIT_FAILED) from None
        editor.apply(schema.ACCOUNTING, args.name, {"refresh_token": tokens["refresh_token"]})
    finally:
        config.lock.release()
    print(f"{args.name}: authorised; the refresh token is stored encrypted. Run: akadmin accounting connect {args.name}")
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    import datetime as dt

    from ..batches.queries.deliveries import release_in_doubt
    from ..batches.state import StateError, open_state

    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    _configuration(SettingsEditor(config), args.name)
    try:
        state = open_state(config)
    except StateError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    released = release_in_doubt(state, args.name, f"released by the administrator on {stamp}")
    state.close()
    print(f"{released} delivery(ies) of {args.name} released: the next AccountingExport run sends them again")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `akadmin accounting connect|authorize|code`."""
    accounting = sub.add_parser("accounting", help="accounting packages: Connect, pin an SFTP host key, authorise")
    accounting_sub = accounting.add_subparsers(dest="accounting_command", metavar="ACTION", required=True)
    connect = accounting_sub.add_parser("connect", help="run Connect for a configuration (exit 1 when it fails)")
    connect.add_argument("name", metavar="NAME")
    connect.add_argument("--accept-host-key", action="store_true",
                         help="SFTP: pin the host key the server presents (check its fingerprint first)")
    connect.add_argument("--json", action="store_true")
    authorize = accounting_sub.add_parser("authorize", help="Exact Online, Dropbox: print the authorisation address")
    authorize.add_argument("name", metavar="NAME")
    code = accounting_sub.add_parser("code", help="Exact Online, Dropbox: exchange the returned code (read from stdin)")
    code.add_argument("name", metavar="NAME")
    release = accounting_sub.add_parser("release", help="send again the deliveries left in doubt by a run that was cut "
                                                        "short, once the accounting firm confirms they never arrived")
    release.add_argument("name", metavar="NAME")
    for parser_, func in ((connect, cmd_connect), (authorize, cmd_authorize), (code, cmd_code), (release, cmd_release)):
        runs(parser_, func)
