"""An advisory lock beside the config file, so two consoles never overwrite each other."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as the holder wrote it."""

    user: str
    host: str
    pid: int
    since: float
    kind: str = "console"  # "command" for a short-lived akadmin command (another may wait for it)

    def describe(self) -> str:
        """One line such as 'root@erp01 (pid 4242) since 2026-11-21 09:12'."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.since)) if self.since else "an unknown time"
        return f"{self.user}@{self.host} (pid {self.pid}) since {when}"


class LockedError(Exception):
    """Another akadmin holds the lock."""

    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        self.path = path
        self.holder = holder
        who = holder.describe() if holder else "another akadmin process"
        super().__init__(f"{path} is being edited by {who}")


def lock_path_for(config_path: Path) -> Path:
    """The lock file that guards `config_path`."""
    return config_path.with_name(config_path.name + ".lock")


class ConfigLock:
    """Holds an exclusive flock on `<config>.lock` until released or the process ends."""

    def __init__(self, config_path: Path, kind: str = "console") -> None:
        self.path = lock_path_for(config_path)
        self.kind = kind
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting; raise LockedError naming the holder if it is taken."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockedError(self.path.with_name(self.path.name.removesuffix(".lock")), read_holder(self.path)) from None
        holder = {"user": getpass.getuser(), "host": socket.gethostname(), "pid": os.getpid(), "since": time.time(),
                  "kind": self.kind}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock back."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def read_holder(lock_file: Path) -> LockHolder | None:
    """What the current holder wrote in the lock file, if readable."""
    try:
        data = json.loads(lock_file.read_text() or "{}")
        return LockHolder(str(data["user"]), str(data["host"]), int(data["pid"]), float(data["since"]),
                          str(data.get("kind", "console")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
