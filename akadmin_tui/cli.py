"""The `akadmin` command: open the console, or run one headless operation.

Exit codes: 0 ok, 1 the operation failed, 2 usage or configuration error. Messages go to stderr,
never with a traceback; secrets are never read from argv.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .settings import locations, schema
from .settings.certificates import (
    CertificateError,
    default_alias,
    describe,
    parse_certificate,
    read_certificate_file,
    to_pem,
)
from .settings.editor import ChangeRefused, SettingsEditor
from .settings.fields import Severity, Shape
from .settings.keys import KeyPathError, format_key, parse_key
from .settings.lifecycle import (
    add_key_file,
    add_passphrase,
    check_passphrase,
    init_config,
    key_for,
    rotate_data_key,
)
from .settings.lock import LockedError
from .settings.session import ConfigOpener
from .settings.lock import ConfigLock
from .settings.store import ConfigError, ConfigFile, NeedsPassphrase, Recipients, SaveError
from .settings.validate import FieldError, Finding, effective, format_value, parse_text, records_of
from .settings.vault import TamperedError, VaultError, is_ciphertext, key_fingerprint

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MASK = "********"


class CliError(Exception):
    """A failure reported as one message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        self.code = code
        super().__init__(message)


def _target(args: argparse.Namespace) -> ConfigOpener:
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


def _utf8(text: str, what: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CliError(f"{what} is not valid UTF-8 text") from None
    return text


def _read_stdin_line(what: str) -> str:
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise CliError(f"{what} on standard input is not valid UTF-8 text") from None
    if not line:
        raise CliError(f"expected {what} on standard input, got nothing")
    return _utf8(line.rstrip("\r\n"), what)


def _prompt(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the passphrase: use --key-file, or --passphrase-stdin")
    try:
        return _utf8(getpass.getpass(prompt), "the passphrase")
    except EOFError:
        raise CliError("no passphrase was typed") from None


def _new_passphrase(from_stdin: bool) -> str:
    if from_stdin:
        value = _read_stdin_line("the passphrase")
    else:
        value = _prompt("New passphrase: ")
        if _prompt("Repeat it: ") != value:
            raise CliError("the two passphrases differ; nothing was changed")
    if len(value.strip()) < 8:
        raise CliError("the passphrase must be at least 8 characters, not counting spaces; nothing was changed")
    return value


def open_config(target: ConfigOpener, *, passphrase_stdin: bool = False, read_only: bool = False) -> ConfigFile:
    """Open the target config with its key file or a passphrase, as the arguments say."""
    source: Callable[[], str] = (
        (lambda: _read_stdin_line("the passphrase")) if passphrase_stdin else (lambda: _prompt("Passphrase: "))
    )
    config = target.open(passphrase=source)
    config.read_only = read_only
    return config


def open_locked(target: ConfigOpener, *, passphrase_stdin: bool = False) -> ConfigFile:
    """Take the lock, then read the file: what is changed is what is on disk, never a stale copy."""
    lock = ConfigLock(Path(os.path.realpath(target.path)))
    try:
        lock.acquire()
    except LockedError as error:
        raise CliError(f"{error}; close that console or make the change there", EXIT_FAILED) from None
    except OSError as error:
        raise CliError(f"cannot lock {target.path}: {error.strerror or error}", EXIT_FAILED) from None
    try:
        config = open_config(target, passphrase_stdin=passphrase_stdin)
    except BaseException:
        lock.release()
        raise
    config.lock = lock
    return config


# --- commands -------------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    target = _target(args)
    if target.path.exists():
        raise CliError(f"{target.path} already exists; it was not overwritten")
    key_file = Path(args.key_file) if args.key_file else None
    passphrase = None
    if key_file is None:
        passphrase = _new_passphrase(args.passphrase_stdin)
    init_config(target.path, key_file=key_file, passphrase=passphrase)
    print(f"Created {target.path}" + (f" (key file {key_file})" if key_file else " (passphrase)"), file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    findings = SettingsEditor(config).findings()
    findings += _undecryptable(config)
    findings += _environment_findings(config)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if args.json:
        print(json.dumps({"config": str(config.path), "mac": "valid", "ok": not errors,
                          "findings": [{"where": f.where, "severity": str(f.severity), "message": f.message}
                                       for f in findings]}, indent=2))
    else:
        for finding in findings:
            print(f"{finding.severity}: {finding}", file=sys.stderr)
        summary = f"{config.path}: MAC valid, {len(errors)} error(s), {len(findings) - len(errors)} warning(s)"
        print(summary, file=sys.stderr)
    return EXIT_USAGE if errors else EXIT_OK


def _environment_findings(config: ConfigFile) -> list[Finding]:
    from .batches.state import StateError, StateStore, chorus_environment_warnings, state_path_for

    path = state_path_for(config.path, config.plain())
    if not path.exists():
        return []
    try:
        store = StateStore(path)
    except StateError as error:
        return [Finding("state", str(error), Severity.WARNING)]
    try:
        warnings = chorus_environment_warnings(config.plain(), store)
    finally:
        store.close()
    return [Finding(format_key(schema.CHORUS_SPECIAL.table + (key,)), text, Severity.WARNING)
            for key, text in warnings.items()]


def _undecryptable(config: ConfigFile) -> list[Finding]:
    found = []
    plain = config.plain()
    for section in schema.SECTIONS:
        for record_key, record in records_of(section, plain).items():
            base = section.table + ((record_key,) if record_key is not None else ())
            for field in section.fields:
                value = record.get(field.key)
                if field.is_secret and is_ciphertext(value):
                    try:
                        config.vault.decrypt(base + (field.key,), value)
                    except TamperedError as error:
                        found.append(Finding(format_key(base + (field.key,)), str(error)))
    return found


def _resolve_key(text: str) -> tuple[tuple[str, ...], Any]:
    try:
        path = parse_key(text)
    except KeyPathError as error:
        raise CliError(f"invalid key: {error}") from None
    return path, schema.locate(path)


class _Absent(Exception):
    """A table of the format that this file does not hold (an unknown company, no Bridge user)."""


def _describe_table(config: ConfigFile, path: tuple[str, ...], reveal: bool) -> dict[str, Any] | None:
    """A table's effective values (secrets masked unless `reveal`); None when no section has that table."""
    for section in schema.SECTIONS:
        if section.shape is Shape.COLLECTION and path[: len(section.table)] == section.table and len(path) == len(section.table) + 1:
            record_key: str | None = path[-1]
        elif path == section.table:
            record_key = None
            if section.shape is Shape.COLLECTION:
                return {code: _describe_table(config, path + (code,), reveal)
                        for code in records_of(section, config.plain())}
        else:
            continue
        stored = records_of(section, config.plain()).get(record_key)
        if stored is None:
            raise _Absent(format_key(path))
        values = effective(section, stored)
        out: dict[str, Any] = {}
        for field in section.fields:
            value = values.get(field.key)
            if field.is_secret and value:
                value = config.reveal(path + (field.key,)) if reveal else MASK
            out[field.key] = value
        return out
    return None


def _print_table(table: dict[str, Any], prefix: str = "") -> None:
    """Print `key = value` lines, nested records as dotted keys."""
    for key, value in table.items():
        dotted = f"{prefix}{format_key((key,))}"
        if isinstance(value, dict):
            _print_table(value, dotted + ".")
        else:
            print(f"{dotted} = {json.dumps(value, default=str, ensure_ascii=False)}")


def cmd_config_get(args: argparse.Namespace) -> int:
    path, located = _resolve_key(args.key)
    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    if located is None:
        try:
            table = _describe_table(config, path, args.reveal)
        except _Absent as absent:
            raise CliError(f"{absent} does not exist", EXIT_FAILED) from None
        if table is None:
            raise CliError(f"unknown key {format_key(path)}: see the README's reference for the keys")
        if args.json:
            print(json.dumps(table, indent=2, default=str, ensure_ascii=False))
        else:
            _print_table(table)
        return EXIT_OK
    section, record_key, field = located
    base = section.table + ((record_key,) if record_key is not None else ())
    if section.shape is not Shape.TABLE and config.get(base) is None and record_key not in section.fixed_keys:
        raise CliError(f"{format_key(base)} does not exist", EXIT_FAILED)
    stored = config.get(path)
    value = stored if stored is not None else field.default
    if field.is_secret and value:
        value = config.reveal(path) if args.reveal else MASK
    print(json.dumps(value, default=str) if args.json else format_value(field, value))
    return EXIT_OK


def cmd_config_set(args: argparse.Namespace) -> int:
    path, located = _resolve_key(args.key)
    if located is None:
        raise CliError(f"unknown key {format_key(path)}: see the README's reference for the keys")
    section, record_key, field = located
    if args.stdin == (args.value is not None):
        raise CliError("give either VALUE or --stdin")
    if field.is_secret and not args.stdin:
        raise CliError(f"{format_key(path)} is a secret: secrets are never taken from the command line; "
                       f"use: akadmin config set {format_key(path)} --stdin")
    if args.stdin and args.passphrase_stdin:
        raise CliError("--stdin and --passphrase-stdin cannot both read standard input; use --key-file")
    text = _read_stdin_line("the value") if args.stdin else _utf8(args.value, "the value")
    try:
        value = parse_text(field, text)
    except FieldError as error:
        raise CliError(f"{format_key(path)}: {error}") from None
    config = open_locked(_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if section.shape is not Shape.TABLE and not editor.exists(section, record_key):
            noun = section.record_noun
            raise CliError(f"{format_key(path[:-1])}: no such {noun}; create it in the console first", EXIT_FAILED)
        warnings = editor.apply(section, record_key, {field.key: value})
    finally:
        config.lock.release()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    shown = MASK if field.is_secret else format_value(field, value)
    print(f"{format_key(path)} = {shown}", file=sys.stderr)
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    target = _target(args)
    config = open_locked(target, passphrase_stdin=args.passphrase_stdin)
    try:
        return _rekey(config, target, args)
    finally:
        config.lock.release()


def _rekey(config: ConfigFile, target: ConfigOpener, args: argparse.Namespace) -> int:
    recipients = config.recipients()
    if args.add_key_file:
        add_key_file(config, Path(args.add_key_file))
        print(f"Added key file {args.add_key_file} as a recipient", file=sys.stderr)
        return EXIT_OK
    if args.change_passphrase and not recipients.passphrase:
        add_passphrase(config, _new_passphrase(args.passphrase_stdin))
        print("Added a passphrase as a recipient", file=sys.stderr)
        return EXIT_OK
    # Every other change rotates the data key, so a dropped or replaced recipient opens nothing new;
    # each recipient kept is re-wrapped, which needs it once more.
    if args.remove_key_file and not recipients.key_file:
        raise CliError(f"{config.path} has no key-file recipient to remove")
    if args.remove_passphrase and not recipients.passphrase:
        raise CliError(f"{config.path} has no passphrase recipient to remove")
    keep_key = recipients.key_file and not args.remove_key_file
    keep_pass = recipients.passphrase and not args.remove_passphrase
    if not (keep_key or keep_pass):
        raise CliError("the vault must keep at least one recipient; add another one first")
    key = _current_key(target, recipients) if keep_key else None
    passphrase = None
    if keep_pass:
        passphrase = config.passphrase
        if passphrase is None:
            passphrase = (_read_stdin_line("the passphrase") if args.passphrase_stdin
                          else _prompt("Current passphrase (to re-wrap the new data key): "))
            check_passphrase(config, passphrase)
        if args.change_passphrase:
            passphrase = _new_passphrase(args.passphrase_stdin)
    rotate_data_key(config, passphrase=passphrase, key=key)
    what = ("changed the passphrase and rotated the data key" if args.change_passphrase
            else "removed the key file recipient and rotated the data key" if args.remove_key_file
            else "removed the passphrase recipient and rotated the data key" if args.remove_passphrase
            else "rotated the data key")
    print(f"{config.path}: {what}; every secret was re-encrypted. The backup was removed "
          "because it opened with the old key.", file=sys.stderr)
    return EXIT_OK


def _current_key(target: ConfigOpener, recipients: Recipients) -> bytes:
    """The bytes of the vault's own key file, refusing any other key file."""
    if target.key_file is None:
        raise CliError("the key file is needed to re-wrap the new data key: pass --key-file")
    key = key_for(target.key_file, create=False)
    if key_fingerprint(key) != recipients.key_fingerprint:
        raise CliError(f"{target.key_file} is not this vault's key file (fingerprint {key_fingerprint(key)}, "
                       f"expected {recipients.key_fingerprint})")
    return key


def cmd_test(args: argparse.Namespace) -> int:
    import asyncio

    from .connectors.registry import TARGETS, is_configuration_error, run_test

    target = TARGETS.get(args.section)
    if target is None:
        raise CliError(f"no Test named {args.section!r}; available: {', '.join(TARGETS)}")
    if args.company and not target.uses_company:
        raise CliError(f"--company applies to chorus only, not to {args.section}")
    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    result = asyncio.run(run_test(target.name, SettingsEditor(config), company=args.company))
    print(json.dumps(result.to_json(), indent=2, ensure_ascii=False) if args.json else result.to_text())
    if result.passed:
        if target.name == "chorus":
            _remember_chorus_pass(config, args.company)
        return EXIT_OK
    return EXIT_USAGE if is_configuration_error(result) else EXIT_FAILED


def _remember_chorus_pass(config: ConfigFile, company: str | None) -> None:
    """Record which environment a Chorus setup last passed on (for the environment-change warning)."""
    from .batches.state import StateError, StateStore, state_path_for
    from .settings.resolve import resolve_chorus

    setup = resolve_chorus(config.plain(), company).setup
    environment = SettingsEditor(config).values(schema.CHORUS).get("environment", "")
    try:
        store = StateStore(state_path_for(config.path, config.plain()))
    except StateError as error:
        print(f"warning: {error}", file=sys.stderr)
        return
    try:
        if setup:
            store.record_pass("chorus", setup, environment)
    finally:
        store.close()


def cmd_sandbox(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from .sandbox.fleet import Sandbox
    from .sandbox.server import Fault

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


def cmd_certs_import(args: argparse.Namespace) -> int:
    try:
        cert = read_certificate_file(Path(args.file))
    except CertificateError as error:
        raise CliError(str(error)) from None
    alias = args.alias or default_alias(cert)
    info = describe(cert)
    config = open_locked(_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        warnings = SettingsEditor(config).create(schema.CERTIFICATES, alias, {"pem": to_pem(cert)})
    finally:
        config.lock.release()
    print(f"Imported {alias}:", *info.lines(), sep="\n  ", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning.message}", file=sys.stderr)
    return EXIT_OK


def cmd_certs_list(args: argparse.Namespace) -> int:
    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    found = {}
    for alias, record in records_of(schema.CERTIFICATES, config.plain()).items():
        try:
            found[alias] = describe(parse_certificate(str(record.get("pem", "")).encode("ascii", "replace")))
        except CertificateError as error:
            raise CliError(f"certificates.{alias}: {error}") from None
    if args.json:
        print(json.dumps({alias: {"subject": i.subject, "issuer": i.issuer, "sha256": i.sha256,
                                  "not_after": i.not_after.isoformat(), "expired": i.expired, "is_ca": i.is_ca}
                          for alias, i in found.items()}, indent=2))
    else:
        for alias, info in found.items():
            print(alias, *info.lines(), sep="\n  ")
    return EXIT_OK


def cmd_certs_remove(args: argparse.Namespace) -> int:
    config = open_locked(_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if not editor.exists(schema.CERTIFICATES, args.alias):
            raise CliError(f"no certificate named {args.alias}", EXIT_FAILED)
        editor.remove(schema.CERTIFICATES, args.alias)
    finally:
        config.lock.release()
    print(f"Removed certificate {args.alias}", file=sys.stderr)
    return EXIT_OK


def cmd_chorus_copy(args: argparse.Namespace) -> int:
    config = open_locked(_target(args), passphrase_stdin=args.passphrase_stdin)
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
    from .settings.resolve import resolve_chorus

    config = open_config(_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    resolution = resolve_chorus(config.plain(), args.company)
    if args.json:
        print(json.dumps({"company": args.company, "setup": resolution.setup, "reason": resolution.reason,
                          "falls_back": resolution.falls_back}))
    else:
        used = f"setup {resolution.setup}" if resolution.setup else "no setup: not transferred"
        print(f"{args.company}: {used} ({resolution.reason})")
    return EXIT_OK if resolution.setup else EXIT_FAILED


def cmd_console(args: argparse.Namespace) -> int:
    from .launch import run_console

    return run_console(_target(args), read_only=args.read_only)


def cmd_demo(args: argparse.Namespace) -> int:
    from .launch import run_demo

    return run_demo(reset=args.reset)


# --- parser ---------------------------------------------------------------------------------------

def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default,
                        help="config file (default: $AKADMIN_CONFIG, else $XDG_CONFIG_HOME/akadmin/config.toml)")
    parser.add_argument("--key-file", metavar="PATH", default=default,
                        help="key file (default: $AKADMIN_KEY_FILE, else $XDG_CONFIG_HOME/akadmin/key if present)")


def _passphrase_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-stdin", action="store_true",
                        help="read the passphrase from the first line of standard input")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `akadmin` command."""
    parser = argparse.ArgumentParser(
        prog="akadmin",
        description="Terminal console for the Akuiteo Administration console: interfaces, "
                    "encrypted settings, tests and batches. Without a command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"akadmin {__version__}")
    _common(parser, suppress=False)
    parser.add_argument("--read-only", action="store_true", help="open everything read-only")
    parser.set_defaults(func=cmd_console)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = sub.add_parser("init", help="write a new commented config with the defaults")
    _common(init, suppress=True)
    _passphrase_stdin(init)
    init.set_defaults(func=cmd_init)

    check = sub.add_parser("check", help="verify the MAC and validate every section (exit 2 on problems)")
    _common(check, suppress=True)
    _passphrase_stdin(check)
    check.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    check.set_defaults(func=cmd_check)

    config = sub.add_parser("config", help="read or change one setting")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    get = config_sub.add_parser("get", help="print a value or a table (secrets masked unless --reveal)")
    get.add_argument("key", metavar="KEY", help="dotted key, e.g. interfaces.chorus.retry_count")
    get.add_argument("--reveal", action="store_true", help="print secrets in clear")
    get.add_argument("--json", action="store_true", help="print JSON")
    _common(get, suppress=True)
    _passphrase_stdin(get)
    get.set_defaults(func=cmd_config_get)
    setp = config_sub.add_parser("set", help="change a value (secrets only with --stdin)")
    setp.add_argument("key", metavar="KEY")
    setp.add_argument("value", metavar="VALUE", nargs="?")
    setp.add_argument("--stdin", action="store_true", help="read the value from standard input")
    _common(setp, suppress=True)
    _passphrase_stdin(setp)
    setp.set_defaults(func=cmd_config_set)

    rekey = sub.add_parser("rekey", help="rotate the data key, or manage the vault's recipients")
    _common(rekey, suppress=True)
    _passphrase_stdin(rekey)
    group = rekey.add_mutually_exclusive_group()
    group.add_argument("--add-key-file", metavar="PATH", help="add a key file recipient (created if absent)")
    group.add_argument("--remove-key-file", action="store_true", help="remove the key file recipient and rotate the data key")
    group.add_argument("--change-passphrase", action="store_true", help="set a new passphrase")
    group.add_argument("--remove-passphrase", action="store_true", help="remove the passphrase recipient and rotate the data key")
    rekey.set_defaults(func=cmd_rekey)

    test = sub.add_parser("test", help="run a section's live Test headless (exit 1 when it fails)")
    test.add_argument("section", metavar="SECTION",
                      help="chorus, exchange, graph, universign, akuiteo_connect, gmail, place_autocomplete, "
                           "distance_matrix, ocr, sirene")
    test.add_argument("--company", metavar="CODE", help="for chorus: test the setup that applies to this company")
    test.add_argument("--json", action="store_true", help="print the steps as JSON")
    _common(test, suppress=True)
    _passphrase_stdin(test)
    test.set_defaults(func=cmd_test)

    certs = sub.add_parser("certs", help="trusted certificate authorities (Configuration > Certificates)")
    certs_sub = certs.add_subparsers(dest="certs_command", metavar="ACTION", required=True)
    imp = certs_sub.add_parser("import", help="trust a CA certificate from a DER or PEM file")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--alias", metavar="NAME", help="name in the config (default: from its common name)")
    lst = certs_sub.add_parser("list", help="list the imported certificates")
    lst.add_argument("--json", action="store_true")
    rem = certs_sub.add_parser("remove", help="stop trusting an imported certificate")
    rem.add_argument("alias", metavar="ALIAS")
    for parser_, func in ((imp, cmd_certs_import), (lst, cmd_certs_list), (rem, cmd_certs_remove)):
        _common(parser_, suppress=True)
        _passphrase_stdin(parser_)
        parser_.set_defaults(func=func)

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
        _common(parser_, suppress=True)
        _passphrase_stdin(parser_)
        parser_.set_defaults(func=func)

    sandbox = sub.add_parser("sandbox", help="run the local emulators of the services in the foreground")
    sandbox.add_argument("--fault", metavar="NAME=FAULT", action="append",
                         help="start an emulator with a fault on (e.g. piste=503); repeatable")
    sandbox.set_defaults(func=cmd_sandbox)

    from .cli_accounting import add_commands as add_accounting_commands
    from .cli_batches import add_commands

    add_commands(sub, _common, _passphrase_stdin)
    add_accounting_commands(sub, _common, _passphrase_stdin)

    demo = sub.add_parser("demo", help="open the console on a demo configuration")
    demo.add_argument("--reset", action="store_true", help="start again from the sample configuration")
    demo.set_defaults(func=cmd_demo)
    return parser


def fail(message: str, code: int) -> NoReturn:
    """Print `message` on stderr and exit with `code`."""
    print(f"akadmin: {message}", file=sys.stderr)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `akadmin` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
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


if __name__ == "__main__":
    raise SystemExit(main())
