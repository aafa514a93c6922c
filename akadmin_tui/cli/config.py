"""`akadmin init`, `check`, `config get|set` and `rekey`: the config file itself."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..settings import schema
from ..settings.accounting import FIELDS as ACCOUNTING_FIELDS
from ..settings.accounting import INTEGRATIONS
from ..settings.editor import SettingsEditor, record_path
from ..settings.fields import Field, Section, Severity, Shape
from ..settings.keys import KeyPathError, format_key, parse_key
from ..settings.lifecycle import add_key_file, add_passphrase, check_passphrase, init_config, key_for, rotate_data_key
from ..settings.session import ConfigOpener
from ..settings.store import ConfigFile, Recipients
from ..settings.validate import FieldError, Finding, codes_of, effective, format_value, parse_text, records_of
from ..settings.vault import TamperedError, is_ciphertext, key_fingerprint
from . import provision
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    MASK,
    CliError,
    config_target,
    new_passphrase,
    open_config,
    open_locked,
    prompt_passphrase,
    read_stdin_line,
    read_stdin_value,
    runs,
    utf8_text,
)


def cmd_init(args: argparse.Namespace) -> int:
    target = config_target(args)
    if target.path.exists():
        raise CliError(f"{target.path} already exists; it was not overwritten")
    key_file = Path(args.key_file) if args.key_file else None
    passphrase = None
    if key_file is None:
        passphrase = new_passphrase(args.passphrase_stdin)
    init_config(target.path, key_file=key_file, passphrase=passphrase)
    print(f"Created {target.path}" + (f" (key file {key_file})" if key_file else " (passphrase)"), file=sys.stderr)
    if args.json:
        print(json.dumps({"config": str(target.path), "key_file": str(key_file) if key_file else None,
                          "recipient": "key file" if key_file else "passphrase"}, indent=2))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True,
                         older_allowed=args.accept_older)
    if args.accept_older:
        from ..settings.generations import accept_older

        print(f"accepted on purpose, logged: {accept_older(config.path, config.plain())}", file=sys.stderr)
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
    from ..batches.state import StateError, StateStore, chorus_environment_warnings, state_path_for

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
                if field.is_secret and isinstance(value, str) and is_ciphertext(value):
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
        in_collection = path[: len(section.table)] == section.table and len(path) == len(section.table) + 1
        if section.shape is Shape.COLLECTION and in_collection:
            record_key: str | None = path[-1]
        elif path == section.table:
            record_key = None
            if section.shape is Shape.COLLECTION:
                return {code: _describe_table(config, path + (code,), reveal)
                        for code in codes_of(section, config.plain())}
        else:
            continue
        stored = records_of(section, config.plain()).get(record_key)
        if stored is None:
            raise _Absent(format_key(path))
        values = effective(section, stored)
        out: dict[str, Any] = {}
        for field in _fields_that_apply(section, stored):
            value = values.get(field.key)
            if field.is_secret and value:
                value = config.reveal(path + (field.key,)) if reveal else MASK
            out[field.key] = value
        return out
    return None


def _fields_that_apply(section: Section, stored: Any) -> list[Field]:
    """The fields a record uses: an accounting configuration shows only its integration's (as the console does)."""
    integration = INTEGRATIONS.get(str(stored.get("integration") or "")) if section is schema.ACCOUNTING else None
    if integration is None:
        return list(section.fields)
    in_forms = {key for each in INTEGRATIONS.values() for key in each.fields}

    def applies(field: Field) -> bool:
        if field.key not in ACCOUNTING_FIELDS:
            return True  # document type, integration, terms: every configuration has them
        if field.key not in in_forms:
            return stored.get(field.key) not in (None, "")  # api_base: set by the sandbox, shown when set
        return field.key in integration.fields

    return [field for field in section.fields if applies(field)]


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
    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
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
    text = read_stdin_value("the value") if args.stdin else utf8_text(args.value, "the value")
    try:
        value = parse_text(field, text)
    except FieldError as error:
        raise CliError(f"{format_key(path)}: {error}") from None
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if section.shape is not Shape.TABLE and not editor.exists(section, record_key):
            noun = section.record_noun
            raise CliError(f"{format_key(path[:-1])}: no such {noun}; add it first: akadmin config add "
                           f"{format_key(path[:-1])}")
        warnings = editor.apply(section, record_key, {field.key: value})
    finally:
        config.lock.release()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    shown = MASK if field.is_secret else format_value(field, value)
    print(f"{format_key(path)} = {shown}", file=sys.stderr)
    if args.json:
        print(json.dumps({"key": format_key(path), "value": shown, "secret": field.is_secret,
                          "warnings": [{"where": w.where, "message": w.message} for w in warnings]},
                         indent=2, ensure_ascii=False))
    return EXIT_OK


def _record_of(text: str) -> tuple[tuple[str, ...], Section, str | None]:
    """The record a key names: a collection's `TABLE.CODE`, or an optional table such as the Bridge user."""
    try:
        path = parse_key(text)
    except KeyPathError as error:
        raise CliError(f"invalid key: {error}") from None
    best: tuple[Section, str | None] | None = None
    for section in schema.SECTIONS:
        n = len(section.table)
        if path[:n] != section.table or (best is not None and len(best[0].table) >= n):
            continue
        rest = path[n:]
        if section.shape is Shape.COLLECTION and len(rest) == 1:
            best = (section, rest[0])
        elif section.shape is Shape.OPTIONAL_TABLE and not rest:
            best = (section, None)
    if best is None:
        tables = ", ".join(f"{format_key(s.table)}.CODE" if s.shape is Shape.COLLECTION else format_key(s.table)
                           for s in schema.SECTIONS if s.shape is not Shape.TABLE)
        raise CliError(f"{format_key(path)} names no record that can be added or removed; records are {tables}")
    return path, best[0], best[1]


def _given_values(section: Section, pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not section.has_field(key.strip()):
            known = ", ".join(f.key for f in section.fields if not f.is_secret)
            raise CliError(f"--set {pair!r}: expected FIELD=VALUE with a field of {section.record_noun}s ({known})")
        field = section.field(key.strip())
        if field.is_secret:
            raise CliError(f"--set {key.strip()}: secrets are never taken from the command line; add the record, then "
                           f"use: akadmin config set {format_key(section.table)}.….{field.key} --stdin")
        try:
            values[field.key] = parse_text(field, utf8_text(text, "the value"))
        except FieldError as error:
            raise CliError(f"{key.strip()}: {error}") from None
    return values


def _secret_values(section: Section, keys: list[str], passphrase_stdin: bool) -> dict[str, Any]:
    """The secrets named by --secret-stdin, one line of standard input each, in the order given."""
    if keys and passphrase_stdin:
        raise CliError("--secret-stdin and --passphrase-stdin cannot both read standard input; use --key-file")
    values: dict[str, Any] = {}
    for key in keys:
        if not section.has_field(key) or not section.field(key).is_secret:
            secrets = ", ".join(f.key for f in section.fields if f.is_secret) or "none"
            raise CliError(f"--secret-stdin {key}: not a secret of {section.record_noun}s (its secrets: {secrets})")
        values[key] = read_stdin_line(f"the value of {key}")
    return values


def cmd_config_add(args: argparse.Namespace) -> int:
    path, section, record_key = _record_of(args.key)
    values = _given_values(section, args.set or [])
    values |= _secret_values(section, args.secret_stdin or [], args.passphrase_stdin)
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        warnings = SettingsEditor(config).create(section, record_key, values)
    finally:
        config.lock.release()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{format_key(path)}: {section.record_noun} added", file=sys.stderr)
    if args.json:
        print(json.dumps({"key": format_key(path), "added": True, "values": {
            key: format_value(section.field(key), value) for key, value in values.items()},
            "warnings": [{"where": w.where, "message": w.message} for w in warnings]}, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_config_remove(args: argparse.Namespace) -> int:
    path, section, record_key = _record_of(args.key)
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if not editor.exists(section, record_key):
            raise CliError(f"{format_key(path)}: no such {section.record_noun}")
        going = [format_key(record_path(dependent, key)) for dependent, key in editor.dependents(section, record_key)]
        if not args.yes:
            also = f" with {', '.join(going)}" if going else ""
            raise CliError(f"this removes {format_key(path)}{also} and its secrets; run it again with --yes to confirm")
        editor.remove(section, record_key)
    finally:
        config.lock.release()
    print(f"{format_key(path)}: removed" + (f", with {', '.join(going)}" if going else ""), file=sys.stderr)
    if args.json:
        print(json.dumps({"key": format_key(path), "removed": [format_key(path), *going]}, indent=2))
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    target = config_target(args)
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
        _said(args, config, f"added the key file {args.add_key_file} as a recipient")
        return EXIT_OK
    if args.change_passphrase and not recipients.passphrase:
        add_passphrase(config, new_passphrase(args.passphrase_stdin))
        print("Added a passphrase as a recipient", file=sys.stderr)
        _said(args, config, "added a passphrase as a recipient")
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
            passphrase = (read_stdin_line("the passphrase") if args.passphrase_stdin
                          else prompt_passphrase("Current passphrase (to re-wrap the new data key): "))
            check_passphrase(config, passphrase)
        if args.change_passphrase:
            passphrase = new_passphrase(args.passphrase_stdin)
    rotate_data_key(config, passphrase=passphrase, key=key)
    what = ("changed the passphrase and rotated the data key" if args.change_passphrase
            else "removed the key file recipient and rotated the data key" if args.remove_key_file
            else "removed the passphrase recipient and rotated the data key" if args.remove_passphrase
            else "rotated the data key")
    print(f"{config.path}: {what}; every secret was re-encrypted. The backup was removed "
          "because it opened with the old key.", file=sys.stderr)
    _said(args, config, what)
    return EXIT_OK


def _said(args: argparse.Namespace, config: ConfigFile, what: str) -> None:
    """With --json, what rekey did, on standard output."""
    if args.json:
        recipients = config.recipients()
        print(json.dumps({"config": str(config.path), "done": what, "recipients": {
            "key_file": bool(recipients.key_file), "passphrase": bool(recipients.passphrase)}}, indent=2))


def _current_key(target: ConfigOpener, recipients: Recipients) -> bytes:
    """The bytes of the vault's own key file, refusing any other key file."""
    if target.key_file is None:
        raise CliError("the key file is needed to re-wrap the new data key: pass --key-file")
    key = key_for(target.key_file, create=False)
    if key_fingerprint(key) != recipients.key_fingerprint:
        raise CliError(f"{target.key_file} is not this vault's key file (fingerprint {key_fingerprint(key)}, "
                       f"expected {recipients.key_fingerprint})")
    return key


def register(sub: argparse._SubParsersAction) -> None:
    """Add init, check, config and rekey."""
    init = sub.add_parser("init", help="write a new commented config with the defaults")
    init.add_argument("--json", action="store_true", help="print what was created as JSON on stdout")
    runs(init, cmd_init)

    check = sub.add_parser("check", help="verify the MAC and validate every section (exit 2 on problems)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    check.add_argument("--accept-older", action="store_true",
                       help="take this file as the current one although a newer generation was seen here (a backup "
                            "restored on purpose); the acceptance is logged")
    runs(check, cmd_check)

    config = sub.add_parser("config", help="read or change one setting")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    get = config_sub.add_parser("get", help="print a value or a table (secrets masked unless --reveal)")
    get.add_argument("key", metavar="KEY", help="dotted key, e.g. interfaces.chorus.retry_count")
    get.add_argument("--reveal", action="store_true", help="print secrets in clear")
    get.add_argument("--json", action="store_true", help="print JSON")
    runs(get, cmd_config_get)
    setp = config_sub.add_parser("set", help="change a value (secrets only with --stdin)")
    setp.add_argument("key", metavar="KEY")
    setp.add_argument("value", metavar="VALUE", nargs="?")
    setp.add_argument("--stdin", action="store_true",
                      help="read the value from standard input: one line, a trailing newline is dropped")
    setp.add_argument("--json", action="store_true", help="print the key, its value (secrets masked) and warnings")
    runs(setp, cmd_config_set)

    add = config_sub.add_parser("add", help="add a record (a company, a Chorus setup, a bank, a batch…), validated as in "
                                            "the console")
    add.add_argument("key", metavar="KEY", help="the record, e.g. companies.DELTA or special_parameters.chorus.DELTA")
    add.add_argument("--set", metavar="FIELD=VALUE", action="append",
                     help="a field of the new record (repeat it); secrets with --secret-stdin")
    add.add_argument("--secret-stdin", metavar="FIELD", action="append",
                     help="a secret field of the new record, read from standard input (one line each, in order)")
    add.add_argument("--json", action="store_true")
    runs(add, cmd_config_add)
    remove = config_sub.add_parser("remove", help="remove a record and what goes with it (asks --yes)")
    remove.add_argument("key", metavar="KEY")
    remove.add_argument("--yes", action="store_true", help="confirm the removal")
    remove.add_argument("--json", action="store_true")
    runs(remove, cmd_config_remove)

    provision.register(config_sub)
    provision.register_edit(sub)

    rekey = sub.add_parser("rekey", help="rotate the data key, or manage the vault's recipients")
    group = rekey.add_mutually_exclusive_group()
    group.add_argument("--add-key-file", metavar="PATH", help="add a key file recipient (created if absent)")
    group.add_argument("--remove-key-file", action="store_true", help="remove the key file recipient and rotate the data key")
    group.add_argument("--change-passphrase", action="store_true", help="set a new passphrase")
    group.add_argument("--remove-passphrase", action="store_true", help="remove the passphrase recipient and rotate the data key")
    rekey.add_argument("--json", action="store_true", help="print what was done and the recipients left as JSON")
    runs(rekey, cmd_rekey)
