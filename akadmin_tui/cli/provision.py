"""`akadmin config export|apply`: the plain settings out, and a file of plain values in, idempotently."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from ..settings import schema
from ..settings.editor import ChangeRefused, SettingsEditor
from ..settings.fields import Kind, Section, Shape
from ..settings.keys import format_key
from ..settings.validate import FieldError, format_value, parse_text
from .common import EXIT_OK, CliError, config_target, open_config, open_locked, runs

MASK = "********"
# Where secrets may come from in a file to apply: standard input or an inherited descriptor, never a path on disk.
SECRET_SOURCES = ("-", "/dev/stdin")


def _nested(out: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for part in path:
        out = out.setdefault(part, {})
    return out


def _records(editor: SettingsEditor, section: Section) -> list[str | None]:
    if section.shape is Shape.TABLE:
        return [None]
    return [key for key in editor.record_keys(section) if section.shape is not Shape.OPTIONAL_TABLE or
            editor.exists(section, key)]


def export(editor: SettingsEditor, *, reveal: bool) -> dict[str, Any]:
    """Every record's stored values (what the file holds, not the defaults), secrets masked unless `reveal`."""
    out: dict[str, Any] = {}
    for section in schema.SECTIONS:
        for key in _records(editor, section):
            stored = editor.stored(section, key)
            values = editor.values(section, key) if reveal else {}
            table = _nested(out, section.table + ((key,) if key is not None else ()))
            for field in section.fields:
                if field.key not in stored or stored[field.key] is None:
                    continue
                if field.is_secret:
                    table[field.key] = values.get(field.key) if reveal else MASK
                else:
                    value = stored[field.key]
                    table[field.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def cmd_config_export(args: argparse.Namespace) -> int:
    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    data = export(SettingsEditor(config), reveal=args.reveal)
    if args.toml:
        print(tomlkit.dumps(data), end="")
    else:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK


def _read(path_text: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if path_text in SECRET_SOURCES else Path(path_text).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path_text}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path_text} is not UTF-8 text") from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise CliError(f"{path_text} is neither JSON nor TOML: {error}") from None
    if not isinstance(data, dict):
        raise CliError(f"{path_text}: expected tables of settings, as akadmin config export prints them")
    return data


def _typed(section: Section, key: str, value: Any, where: str) -> Any:
    field = section.field(key)
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool | int) else None
    if text is None or (field.kind is Kind.BOOL and not isinstance(value, bool | str)):
        raise CliError(f"{where}: expected {field.kind.value}, got {type(value).__name__}")
    try:
        return parse_text(field, text)
    except FieldError as error:
        raise CliError(f"{where}: {error}") from None


def _normal(section: Section, key: str, value: Any) -> Any:
    """`value` as parsing its text would give it; itself when it cannot be read that way."""
    try:
        return _typed(section, key, value if not hasattr(value, "isoformat") else value.isoformat(), key)
    except CliError:
        return value


def _section_of(path: tuple[str, ...]) -> tuple[Section, str | None] | None:
    for section in sorted(schema.SECTIONS, key=lambda s: -len(s.table)):
        n = len(section.table)
        if path[:n] == section.table:
            rest = path[n:]
            if section.shape is Shape.COLLECTION and len(rest) == 1:
                return section, rest[0]
            if section.shape is not Shape.COLLECTION and not rest:
                return section, None
    return None


def _walk(data: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every table of the file that holds values (leaves), with its path."""
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    values = {k: v for k, v in data.items() if not isinstance(v, dict)}
    if values or (_section_of(path) is not None and not any(isinstance(v, dict) for v in data.values())):
        found.append((path, values))
    for key, value in data.items():
        if isinstance(value, dict):
            found += _walk(value, path + (key,))
    return found


def changes_of(editor: SettingsEditor, data: dict[str, Any], *, secrets_allowed: bool
               ) -> list[tuple[Section, str | None, dict[str, Any], list[str]]]:
    """What applying `data` would change: per record, the typed values and a line per change."""
    plan = []
    for path, values in _walk(data):
        located = _section_of(path)
        if located is None:
            raise CliError(f"{format_key(path) or 'the top level'}: not a table akadmin knows (see config export)")
        section, key = located
        exists = editor.exists(section, key)
        current = editor.values(section, key) if exists else {}
        stored = editor.stored(section, key) if exists else {}
        typed: dict[str, Any] = {}
        lines: list[str] = [] if exists else [f"+ {format_key(path)} (new {section.record_noun})"]
        for name, value in values.items():
            where = format_key(path + (name,))
            if not section.has_field(name):
                raise CliError(f"{where}: no such field (see the README's reference)")
            field = section.field(name)
            if field.is_secret:
                if value == MASK:
                    continue  # kept as it is
                if not secrets_allowed:
                    raise CliError(f"{where}: a secret in clear in a file on disk; give the file on standard input "
                                   f"(akadmin config apply - < FILE) or write {MASK} to keep the saved one")
            new = _typed(section, name, value, where)
            old = current.get(name) if field.is_secret else stored.get(name)
            if new == old or (old is not None and _normal(section, name, old) == new):
                continue  # the same value, once read as the console reads it (a PEM's final newline…)
            typed[name] = new
            shown = "(secret changed)" if field.is_secret else f"{format_value(field, old) if old is not None else '—'}"\
                f" → {format_value(field, new)}"
            lines.append(f"~ {where}: {shown}")
        if typed or not exists:
            plan.append((section, key, typed, lines))
    return plan


def cmd_config_apply(args: argparse.Namespace) -> int:
    if args.file in SECRET_SOURCES and args.passphrase_stdin:
        raise CliError("the file and --passphrase-stdin cannot both come on standard input; use --key-file")
    data = _read(args.file)
    target = config_target(args)
    config = (open_config(target, passphrase_stdin=args.passphrase_stdin, read_only=True) if args.diff
              else open_locked(target, passphrase_stdin=args.passphrase_stdin))
    try:
        editor = SettingsEditor(config)
        plan = changes_of(editor, data, secrets_allowed=args.file in SECRET_SOURCES)
        lines = [line for *_, record_lines in plan for line in record_lines]
        if args.diff or not plan:
            print("\n".join(lines) if lines else "nothing to change")
            return EXIT_OK
        warnings = editor.apply_all([(section, key, values) for section, key, values, _ in plan])
    finally:
        if not args.diff:
            config.lock.release()
    print("\n".join(lines))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(lines)} change(s) saved in one write", file=sys.stderr)
    return EXIT_OK


def register(config_sub: argparse._SubParsersAction) -> None:
    """Add config export and config apply."""
    exp = config_sub.add_parser("export", help="print every stored setting (secrets as ******** unless --reveal)")
    form = exp.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="JSON (the default)")
    form.add_argument("--toml", action="store_true", help="TOML")
    exp.add_argument("--reveal", action="store_true", help="print secrets in clear")
    runs(exp, cmd_config_export)
    app = config_sub.add_parser("apply", help="apply a file of plain settings in one save; twice changes nothing")
    app.add_argument("file", metavar="FILE", help="JSON or TOML as config export prints it; - reads standard input "
                                                  "(the only way secrets in clear are taken)")
    app.add_argument("--diff", action="store_true", help="print what would change and change nothing")
    runs(app, cmd_config_apply)


def _run_editor(path: Path) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as error:
        raise CliError(f"cannot run the editor {editor!r} ($VISUAL, $EDITOR): {error.strerror or error}") from None
    if done.returncode != 0:
        raise CliError(f"the editor {editor!r} exited with {done.returncode}: nothing was changed")


def cmd_edit(args: argparse.Namespace) -> int:
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    folder = Path(tempfile.mkdtemp(prefix="akadmin-edit-"))  # 0700, whatever the umask
    try:
        editor = SettingsEditor(config)
        path = folder / "settings.toml"
        text = EDIT_HEADER + tomlkit.dumps(export(editor, reveal=False))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        while True:
            _run_editor(path)
            try:
                plan = changes_of(editor, _read(str(path)), secrets_allowed=True)
                lines = [line for *_, record_lines in plan for line in record_lines]
                warnings = editor.apply_all([(s, k, v) for s, k, v, _ in plan]) if plan else []
                break
            except (CliError, ChangeRefused) as refused:
                why = str(refused) if isinstance(refused, CliError) else "\n".join(f"  {f}" for f in refused.findings)
                print(f"not saved:\n{why}", file=sys.stderr)
                if not (sys.stdin.isatty() and _again()):
                    raise CliError("nothing was changed") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the plain values never outlive the command
        config.lock.release()
    print("\n".join(lines) if lines else "nothing to change")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _again() -> bool:
    answer = input("Edit again? [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")


EDIT_HEADER = """\
# akadmin edit: the plain settings of this config. Save and quit to apply them in one save, once valid.
# Secrets show as ******** and are kept unless you replace them. This file is private (0600) and is
# removed when the editor closes.

"""


def register_edit(sub: argparse._SubParsersAction) -> None:
    """Add edit."""
    edit = sub.add_parser("edit", help="edit the plain settings in $EDITOR (secrets masked); saved only when valid")
    runs(edit, cmd_edit)
