"""An SFTP configuration's server, login and upload path, and the SSH client hooks a session runs with."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncssh

from ...settings.accounting import DEFAULT_UPLOAD_PATH
from .sftp_keys import HostKeyGuard


@dataclass(frozen=True)
class SftpAccount:
    """The server, the login and the upload path of an SFTP accounting configuration."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    key_path: str
    passphrase: str = field(repr=False)
    upload_path: str
    create_upload_path: bool
    host_key: str

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SftpAccount:
        """The account from a configuration's values (secrets decrypted)."""
        def text(key: str) -> str:
            return str(values.get(key) or "").strip()
        try:
            port = int(values.get("port") or 22)
        except (TypeError, ValueError):
            port = 0  # refused at connection time with the other wrong ports
        return cls(text("host"), port, text("username"), str(values.get("password") or ""), text("private_key_path"),
                   str(values.get("private_key_passphrase") or ""), text("upload_path") or DEFAULT_UPLOAD_PATH,
                   values.get("create_upload_path") is True, text("host_key"))

    @property
    def where(self) -> str:
        """host:port, for texts."""
        return f"{self.host}:{self.port}"

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.password, self.passphrase]


class SshClient(asyncssh.SSHClient):
    """asyncssh's client hooks: the host key guard, the login's start, and which credential was tried."""

    def __init__(self, guard: HostKeyGuard, key: asyncssh.SSHKey | None) -> None:
        self.guard = guard
        self._key = key
        self.login_started: float | None = None
        self.tried: list[str] = []

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        return self.guard.accept(host, addr, port, key)

    def begin_auth(self, username: str) -> None:
        self.login_started = time.perf_counter()

    def public_key_auth_requested(self) -> list[asyncssh.SSHKey] | None:
        # The configured key, once, when the server asks (client_keys=None keeps ~/.ssh and the agent out).
        key, self._key = self._key, None
        if key is None:
            return None
        self.tried.append("private key")
        return [key]
