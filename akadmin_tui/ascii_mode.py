"""Drawing with ASCII on terminals that cannot show box-drawing, block or emoji glyphs (TERM=linux, vt100, …).

Textual draws borders, tree guides, scrollbars and the palette's icon with Unicode glyphs whatever the terminal.
On a terminal that cannot draw them, every line the console writes goes through a filter that puts an ASCII
character of the same width in place of each such glyph; letters (accented ones included) are left alone.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# Terminals known to lack the glyphs: the Linux and BSD text consoles, DEC terminals and what emulates them.
LEGACY_TERMS = ("linux", "vt52", "vt100", "vt102", "vt220", "vt320", "ansi", "dumb", "cons25", "pcansi", "wsvt25")

_PLAIN = {
    "-": "─━═╌╍┄┅┈┉╴╶╸╺╼╾▔▁",
    "|": "│┃║╎╏┆┇┊┋╵╷╹╻╽╿▏▕▎▍▌▐",
    "+": "┌┐└┘├┤┬┴┼╭╮╯╰┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬┍┑┕┙┝┥┯┷┿╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫",
    "#": "█▉▊▋▀▄▂▃▅▆▇░▒▓■",
    "v": "▼▾▽▿↓",
    "^": "▲▴△▵↑",
    ">": "▶▸►▷▹→⏵",
    "<": "◀◂◄◁◃←⏴",
    "*": "●•◆◇○◉✱✶",
    "=": "≡",
    ".": "·…",
    "!": "⚠",
    "x": "✗✘×",
    "'": "‘’′",
    '"': "“”″",
}
TRANSLATION: dict[int, str] = {ord(glyph): plain for plain, glyphs in _PLAIN.items() for glyph in glyphs}
TRANSLATION.update({ord("✓"): "v", ord("✔"): "v", ord("—"): "-", ord("–"): "-", ord("\u00a0"): " "})


def terminal_needs_ascii(environ: Mapping[str, str] | None = None, encoding: str | None = None) -> bool:
    """True on a terminal known not to draw the glyphs, or when the output encoding is not UTF-8."""
    environ = os.environ if environ is None else environ
    if environ.get("AKADMIN_ASCII", "") not in ("", "0"):
        return True
    term = environ.get("TERM", "").lower()
    if any(term == name or term.startswith(name + "-") for name in LEGACY_TERMS):
        return True
    return encoding is not None and encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8sig")


@lru_cache(4096)
def to_ascii(text: str) -> str:
    """`text` with each glyph in place of an ASCII character of the same width (a wide emoji takes two)."""
    if text.isascii():
        return text
    plain = text.translate(TRANSLATION)
    if plain.isascii():
        return plain
    return "".join(_fallback(char) for char in plain)


def _fallback(char: str) -> str:
    if char.isascii() or unicodedata.category(char)[0] in "LNZ":  # letters, digits and spaces stay
        return char
    return "?" if unicodedata.east_asian_width(char) not in ("W", "F") else "? "


class AsciiFilter(LineFilter):
    """Puts ASCII in place of the glyphs of every line the console writes."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [segment if segment.control or segment.text.isascii()
                else Segment(to_ascii(segment.text), segment.style, segment.control) for segment in segments]


def draw_with_ascii(filters: list[LineFilter]) -> None:
    """Send every line of one App through the ASCII filter (scrollbar thumbs, drawn with blocks, become `#`)."""
    filters.append(AsciiFilter())


