"""A run's log as a Line API widget: filtered by level, growing live, following the tail while at the bottom."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

LEVELS = ("DEBUG", "LOG", "WARN", "ERROR")
# The level filter's choices: what the admin picks, and the lowest level it keeps.
FILTERS: dict[str, str] = {"all": "DEBUG", "log": "LOG", "warn": "WARN", "error": "ERROR"}
FILTER_LABELS: dict[str, str] = {"all": "All levels", "log": "LOG and above", "warn": "WARN and above",
                                 "error": "ERROR only"}
TIME_WIDTH = 19  # 2026-11-21 09:12:05


@dataclass(frozen=True)
class Entry:
    """One log line: local time, level, text (one line: newlines are shown as ⏎)."""

    at: str
    level: str
    text: str


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 1


class RunLog(ScrollView, can_focus=True):
    """The lines of one run; only those at or above the chosen level show."""

    COMPONENT_CLASSES = {"run-log--time", "run-log--debug", "run-log--log", "run-log--warn", "run-log--error"}

    level_filter: reactive[str] = reactive("all", init=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._entries: list[Entry] = []
        self._shown: list[int] = []  # indexes of the entries the filter keeps
        self._width = 0

    # --- content -----------------------------------------------------------------------------

    @property
    def shown_lines(self) -> list[str]:
        """The lines on display (after the filter), as plain text."""
        return [self._plain(self._entries[i]) for i in self._shown]

    @staticmethod
    def _plain(entry: Entry) -> str:
        return f"{entry.at:<{TIME_WIDTH}} {entry.level:<5} {entry.text}"

    def _keeps(self, entry: Entry) -> bool:
        return _rank(entry.level) >= _rank(FILTERS[self.level_filter])

    def set_entries(self, entries: list[Entry]) -> None:
        """Replace the whole log (another run was chosen) and show its end."""
        self._entries = [self._clean(e) for e in entries]
        self._refilter(follow=True)

    def clear(self) -> None:
        """Show nothing."""
        self.set_entries([])

    def append(self, entry: Entry) -> None:
        """Add a line; the view follows it when it was at the bottom."""
        at_end = self.scroll_y >= self.max_scroll_y
        entry = self._clean(entry)
        self._entries.append(entry)
        if self._keeps(entry):
            self._shown.append(len(self._entries) - 1)
            self._width = max(self._width, len(self._plain(entry)))
            self.virtual_size = Size(self._width, len(self._shown))
            if at_end:
                self.scroll_end(animate=False, x_axis=False)
            self.refresh()

    @staticmethod
    def _clean(entry: Entry) -> Entry:
        return Entry(entry.at, entry.level, entry.text.replace("\r\n", "\n").replace("\n", " ⏎ "))

    def watch_level_filter(self) -> None:
        self._refilter(follow=True)

    def _refilter(self, follow: bool) -> None:
        self._shown = [i for i, entry in enumerate(self._entries) if self._keeps(entry)]
        self._width = max((len(self._plain(self._entries[i])) for i in self._shown), default=0)
        self.virtual_size = Size(self._width, len(self._shown))
        if follow:
            self.scroll_end(animate=False)
        self.refresh()

    # --- rendering -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self._shown):
            return Strip.blank(width, base)
        entry = self._entries[self._shown[index]]
        level_style = self.get_component_rich_style(f"run-log--{entry.level.lower()}"
                                                    if entry.level in LEVELS else "run-log--log")
        time_style = self.get_component_rich_style("run-log--time")
        segments = [Segment(f"{entry.at:<{TIME_WIDTH}} ", base + time_style),
                    Segment(f"{entry.level:<5} ", base + level_style + Style(bold=True)),
                    Segment(entry.text, base + (level_style if _rank(entry.level) >= 2 else Style()))]
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, index)
