"""A section's guide: paragraphs and numbered or dashed steps that reflow to the width, each with a hanging indent."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

_ITEM = re.compile(r"^(\d+\.|-) (.*)$")


class Guide(Vertical):
    """One line of `text` per paragraph or step; the terminal's width decides where lines break."""

    def __init__(self, text: str, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = text

    def compose(self) -> ComposeResult:
        for line in self.text.splitlines():
            item = _ITEM.match(line)
            if item is None:
                yield Static(line, classes="guide-paragraph", markup=False)
                continue
            with Horizontal(classes="guide-item"):
                yield Static(item.group(1), classes="guide-marker", markup=False)
                yield Static(item.group(2), classes="guide-text", markup=False)
