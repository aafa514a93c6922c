"""Files the batches keep: written whole or not at all, readable by their owner only."""

from __future__ import annotations

from pathlib import Path

from ..settings.store import write_whole


def write_private(path: Path, content: bytes) -> Path:
    """Write `content` to `path` atomically, mode 0600 (the config file's own writer); returns the path."""
    write_whole(path, content)
    return path
