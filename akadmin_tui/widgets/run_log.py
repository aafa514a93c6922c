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


PREFIX_WIDTH = TIME_WIDTH + 1 + 5 + 1  # the time, the level, and a space after each
MIN_TEXT_WIDTH = 20  # narrower than this, lines scroll sideways rather than wrap word by word


def wrap(text: str, width: int) -> list[int]:
    """Where each row of `text` starts when wrapped at `width`: after a space when there is one, else mid-word."""
    starts = [0]
    at = 0
    while len(text) - at > width:
        cut = text.rfind(" ", at, at + width + 1)
        at = cut + 1 if cut > at else at + width
        starts.append(at)
    return starts


class RunLog(ScrollView, can_focus=True):
    """The lines of one run; only those at or above the chosen level show; long lines wrap under their text."""

    COMPONENT_CLASSES = {"run-log--time", "run-log--debug", "run-log--log", "run-log--warn", "run-log--error"}

    level_filter: reactive[str] = reactive("all", init=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._entries: list[Entry] = []
        self._shown: list[int] = []  # indexes of the entries the filter keeps
        self._rows: list[tuple[int, int, int]] = []  # each screen row: entry index, start and end in its text
        self._text_width = 0  # the width the rows were wrapped at

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
            self._rows += self._wrapped(len(self._entries) - 1)
            self._resize_virtual()
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
        self._rewrap()
        if follow:
            self.scroll_end(animate=False)
        self.refresh()

    # --- wrapping ------------------------------------------------------------------------------

    def _wanted_text_width(self) -> int:
        # The vertical scrollbar's room is kept whether it shows or not: a log that grows past the view's height
        # must not leave its last column under the scrollbar.
        room = self.content_region.width - self.styles.scrollbar_size_vertical
        return max(MIN_TEXT_WIDTH, room - PREFIX_WIDTH)

    def _wrapped(self, index: int) -> list[tuple[int, int, int]]:
        text = self._entries[index].text
        starts = wrap(text, self._text_width)
        return [(index, start, end) for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]

    def _rewrap(self) -> None:
        self._text_width = self._wanted_text_width()
        self._rows = [row for index in self._shown for row in self._wrapped(index)]
        self._resize_virtual()

    def _resize_virtual(self) -> None:
        # A row ends with the space it was broken at, which is not drawn.
        longest = min(self._text_width, max((end - start for _, start, end in self._rows), default=0))
        self.virtual_size = Size(PREFIX_WIDTH + longest, len(self._rows))

    def on_resize(self) -> None:
        if self._wanted_text_width() != self._text_width:
            at_end = self.scroll_y >= self.max_scroll_y
            self._rewrap()
            if at_end:
                self.scroll_end(animate=False, x_axis=False)
            self.refresh()

    # --- rendering -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if row >= len(self._rows):
            return Strip.blank(width, base)
        index, start, end = self._rows[row]
        entry = self._entries[index]
        level_style = self.get_component_rich_style(f"run-log--{entry.level.lower()}"
                                                    if entry.level in LEVELS else "run-log--log")
        text_style = base + (level_style if _rank(entry.level) >= 2 else Style())
        if start:  # a continuation: blank under the time and level, the text under its first row's text
            segments = [Segment(" " * PREFIX_WIDTH, base), Segment(entry.text[start:end].lstrip(), text_style)]
        else:
            time_style = self.get_component_rich_style("run-log--time")
            segments = [Segment(f"{entry.at:<{TIME_WIDTH}} ", base + time_style),
                        Segment(f"{entry.level:<5} ", base + level_style + Style(bold=True)),
                        Segment(entry.text[start:end].rstrip(), text_style)]
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)
