"""Dotted key paths: the one way a setting is named on the command line, in messages and as AAD."""

from __future__ import annotations

import re

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")

KeyPath = tuple[str, ...]


class KeyPathError(ValueError):
    """A dotted key that cannot be parsed."""


def format_key(path: KeyPath) -> str:
    """Render a key path the way TOML writes a dotted key (quoting segments that need it)."""
    parts = []
    for part in path:
        if _BARE.match(part):
            parts.append(part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{escaped}"')
    return ".".join(parts)


def parse_key(text: str) -> KeyPath:
    """Parse a dotted key such as `special_parameters.chorus."*****".piste_secret`.

    Unquoted segments may hold any character but a dot, so `special_parameters.chorus.*****.id`
    works too, which is what an admin will type.
    """
    parts: list[str] = []
    i, n = 0, len(text)
    if not text.strip():
        raise KeyPathError("an empty key")
    while i < n:
        if text[i] == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise KeyPathError(f"unterminated quote in {text!r}")
            i += 1
            parts.append("".join(buf))
        else:
            j = text.find(".", i)
            j = n if j < 0 else j
            segment = text[i:j].strip()
            if not segment:
                raise KeyPathError(f"empty segment in {text!r}")
            parts.append(segment)
            i = j
        if i < n:
            if text[i] != ".":
                raise KeyPathError(f"expected a dot after a quoted segment in {text!r}")
            i += 1
            if i >= n:
                raise KeyPathError(f"{text!r} ends with a dot")
    return tuple(parts)
