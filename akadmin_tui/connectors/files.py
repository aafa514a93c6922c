"""Reading files an admin points at (key files, receipts) without freezing or exhausting the host."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path


class UnreadableFile(Exception):
    """A path that cannot be used as the file it should be; the text says why."""


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    try:
        path = path.expanduser()
        info = path.stat()
    except RuntimeError:  # "~user" for a user that does not exist
        raise UnreadableFile(f"{path}: the home folder in this path does not exist") from None
    except FileNotFoundError:
        raise UnreadableFile(f"{path} does not exist on this machine") from None
    except OSError as error:
        raise UnreadableFile(f"{path} cannot be read ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path} is not a regular file")
    if info.st_size > limit:
        raise UnreadableFile(f"{path} is {info.st_size} bytes; {what} is at most {limit // 1024} KiB")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise UnreadableFile(f"{path} cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise UnreadableFile(f"{path} is larger than {limit // 1024} KiB; {what} is not that large")
    return data


async def read_limited_async(path: Path, limit: int, what: str) -> bytes:
    """`read_limited` in a thread, so a slow disk or a FIFO never freezes the console."""
    return await asyncio.to_thread(read_limited, path, limit, what)
