"""The README's generated blocks (the settings reference, the Tests, the keymap ids) and the command that rewrites them.

`python -m akadmin_tui.readme [README.md]` rewrites each block between its markers; a test fails when one is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from . import app  # noqa: F401 - loads every screen, view and dialog, so keymap_reference finds their keys
from .bindings import keymap_reference
from .connectors.registry import tests_reference
from .settings.reference import markdown_reference

# marker name -> what fills the block between <!-- NAME:start --> and <!-- NAME:end -->
BLOCKS: dict[str, Callable[[], str]] = {"reference": markdown_reference, "tests": tests_reference,
                                        "keymap": keymap_reference}


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of a generated block."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def block_of(text: str, name: str) -> str:
    """What the README holds between a block's markers (ValueError when they are missing)."""
    start, end = markers(name)
    if start not in text or end not in text:
        raise ValueError(f"the README has no {start} … {end} block")
    return text.split(start, 1)[1].split(end, 1)[0]


def regenerated(text: str) -> str:
    """`text` with every generated block rewritten."""
    for name, generate in BLOCKS.items():
        start, end = markers(name)
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{generate().strip()}\n{end}{tail}"
    return text


def rewrite(readme: Path) -> bool:
    """Rewrite the generated blocks of `readme`; True when the file changed."""
    text = readme.read_text()
    new = regenerated(text)
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    print("updated" if rewrite(target) else "up to date", target, file=sys.stderr)
