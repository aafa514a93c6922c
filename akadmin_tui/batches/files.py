"""Files the batches keep: written whole or not at all, readable by their owner only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, content: bytes) -> Path:
    """Write `content` to `path` atomically (temp file in the same folder, fsync, rename), mode 0600."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
