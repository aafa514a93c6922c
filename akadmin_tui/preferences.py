"""The console's own preferences, apart from the encrypted config: `$XDG_CONFIG_HOME/akadmin/ui.toml`.

For now it holds a keymap, a `[keymap]` table of binding ids and the keys that replace theirs:

    [keymap]
    akadmin.save = "ctrl+w"
    akadmin.help = "f10,question_mark"

(TOML reads the dotted ids as nested tables; they are joined back into ids here, so quoting is optional.)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .settings.locations import config_dir

FILE_NAME = "ui.toml"


class PreferencesError(Exception):
    """The preferences file cannot be read or does not say what it should; the message says where and why."""


@dataclass(frozen=True)
class Preferences:
    """What the file asks for (nothing, when there is no file)."""

    keymap: dict[str, str] = field(default_factory=dict)


def preferences_path(env: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CONFIG_HOME/akadmin/ui.toml` (default `~/.config/akadmin/ui.toml`)."""
    return config_dir(env) / FILE_NAME


def parse_preferences(text: str, where: str = FILE_NAME) -> Preferences:
    """The preferences written in `text`; raises PreferencesError naming `where` when it is not valid."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PreferencesError(f"{where} is not valid TOML: {error}") from None
    table = document.get("keymap", {})
    if not isinstance(table, dict):
        raise PreferencesError(f"{where}: keymap must be a table of binding ids and keys, like [keymap]")
    keymap: dict[str, str] = {}
    for binding_id, keys in _flatten(table):
        if not isinstance(keys, str) or not all(key.strip() for key in keys.split(",")):
            raise PreferencesError(f"{where}: keymap {binding_id!r} must be keys separated by commas, "
                                   'like "ctrl+s" or "f2,ctrl+w"')
        keymap[binding_id] = ",".join(key.strip() for key in keys.split(","))
    return Preferences(keymap=keymap)


def _flatten(table: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """The table's leaves with their dotted ids (`akadmin.save = …` is a nested table to TOML)."""
    leaves: list[tuple[str, object]] = []
    for key, value in table.items():
        if isinstance(value, dict):
            leaves += _flatten(value, f"{prefix}{key}.")
        else:
            leaves.append((f"{prefix}{key}", value))
    return leaves


def read_preferences(path: Path) -> Preferences:
    """The preferences in `path` (none when it does not exist); raises PreferencesError when unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Preferences()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PreferencesError(f"{path} cannot be read: {reason}") from None
    return parse_preferences(text, str(path))
