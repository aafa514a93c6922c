"""A loopback SFTP server with its own host key, rooted at a folder, for the demo and the tests."""

from __future__ import annotations

import asyncio
import threading
from hmac import compare_digest
from pathlib import Path

import asyncssh

from .loopback import HOST, LoopbackServer

# What `set_fault` accepts (None means "none"), as real servers fail: "auth" refuses every login, "read_only"
# every write (SSH_FX_PERMISSION_DENIED), "drop" cuts the connection at the first write, "down" stops listening.
FAULTS = ("none", "auth", "read_only", "drop", "down")
# SFTP open flags that change the file: a read-only server refuses them.
_WRITING = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
_PERMISSION_DENIED = "Permission denied"  # the status text OpenSSH's sftp-server sends


def _public(key: asyncssh.SSHKey | str | bytes) -> asyncssh.SSHKey:
    """A public key from a key object (private or public) or an OpenSSH public key line."""
    if isinstance(key, (str, bytes)):
        return asyncssh.import_public_key(key)
    return asyncssh.import_public_key(key.export_public_key())


class _Sftp(asyncssh.SFTPServer):
    """asyncssh's local-file SFTP server, chrooted at the sandbox root, refusing writes when read-only."""

    def __init__(self, chan: asyncssh.SSHServerChannel, sandbox: SftpSandbox) -> None:
        super().__init__(chan, chroot=str(sandbox.root).encode())
        self._sandbox = sandbox

    def _refuse_writes(self) -> None:
        if self._sandbox.fault == "drop":
            # The link breaks in the middle of a transfer: no answer, the TCP connection just goes.
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("connection dropped by the sandbox")
        if self._sandbox.read_only or self._sandbox.fault == "read_only":
            raise asyncssh.SFTPPermissionDenied(_PERMISSION_DENIED)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & _WRITING:
            self._refuse_writes()
        return super().open(path, pflags, attrs)

    def open56(self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if desired_access & (asyncssh.ACE4_WRITE_DATA | asyncssh.ACE4_APPEND_DATA):
            self._refuse_writes()
        return super().open56(path, desired_access, flags, attrs)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._refuse_writes()
        return super().mkdir(path, attrs)

    def remove(self, path: bytes) -> None:
        self._refuse_writes()
        return super().remove(path)

    def rmdir(self, path: bytes) -> None:
        self._refuse_writes()
        return super().rmdir(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_writes()
        return super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_writes()
        return super().posix_rename(oldpath, newpath)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._refuse_writes()
        return super().setstat(path, attrs)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_writes()
        return super().symlink(oldpath, newpath)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_writes()
        return super().link(oldpath, newpath)


class _Server(asyncssh.SSHServer):
    """One SSH connection: the sandbox's user, by password and/or public key."""

    def __init__(self, sandbox: SftpSandbox) -> None:
        self._sandbox = sandbox
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._sandbox._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._sandbox._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True  # every login must authenticate

    def password_auth_supported(self) -> bool:
        return self._sandbox.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._sandbox.password or ""
        right = username == self._sandbox.user and compare_digest(password.encode(), expected.encode())
        return right and self._sandbox.fault != "auth"

    def public_key_auth_supported(self) -> bool:
        return self._sandbox.authorized_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        allowed = self._sandbox.authorized_key
        right = username == self._sandbox.user and allowed is not None and key.public_data == allowed.public_data
        return right and self._sandbox.fault != "auth"


class SftpSandbox(LoopbackServer):
    """An SFTP server on 127.0.0.1 in its own thread: password and/or key login, a read-only switch, a fault."""

    name = "sftp"
    FAULTS = FAULTS

    def __init__(self, user: str, password: str | None = None,
                 authorized_key: asyncssh.SSHKey | str | bytes | None = None, *, root: Path) -> None:
        assert password is not None or authorized_key is not None, "give a password, an authorized key, or both"
        self.user = user
        self.password = password
        self.authorized_key = _public(authorized_key) if authorized_key is not None else None
        self.root = Path(root)
        self.read_only = False  # when True, every write is refused with "permission denied" (as the fault)
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self._fault: str | None = None
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()

    @property
    def host_key_fingerprint(self) -> str:
        """The host key's fingerprint as OpenSSH prints it (SHA256:…)."""
        return self.host_key.get_fingerprint("sha256")

    def set_fault(self, fault: str | None) -> None:
        """Switch a fault of FAULTS on ("none" or None switches it off); "down" stops listening, leaving it listens again."""
        was_down = self._switch_fault(fault)
        if self._fault == "down" and self._loop is not None:
            self._call(self._halt())
        elif self._fault is None and was_down and self._loop is not None:
            self._call(self._serve(self._port))

    def start(self) -> tuple[str, int]:
        """Listen on a free port (or the same one again after stop()); returns (host, port)."""
        if self._loop is None:
            self.root.mkdir(parents=True, exist_ok=True)
            ready = threading.Event()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._run, args=(ready,), name="sftp-sandbox", daemon=True)
            self._thread.start()
            ready.wait()
            self._call(self._serve(self._port))
            if self._fault == "down":  # a port to come back on, but nothing listening
                self._call(self._halt())
        return HOST, self.port

    def stop(self) -> None:
        """Stop listening, close every connection and end the server's thread."""
        if self._loop is None:
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(5)
        self._loop.close()
        self._loop = self._thread = None

    def _run(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    def _call(self, coroutine) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _serve(self, port: int) -> None:
        self._acceptor = await asyncssh.listen(
            HOST, port, server_factory=lambda: _Server(self), server_host_keys=[self.host_key],
            sftp_factory=lambda chan: _Sftp(chan, self), allow_scp=False, gss_host=None, config=[],
            # No ~/.ssh/config, X.509 bundle or GSSAPI: the sandbox must not depend on the user's SSH setup.
            x509_trusted_certs=None, login_timeout=10)
        self._port = self._acceptor.get_port()

    async def _halt(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        # "Down" means down: connections already open are cut too, as when a server goes away.
        for conn in list(self._connections):
            conn.close()
            await conn.wait_closed()
        self._connections.clear()

    async def _shutdown(self) -> None:
        await self._halt()
        # Sessions still winding down would be destroyed pending when the loop closes.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
