"""SFTP accounting delivery: a real SSH connection, its host key checked or pinned, the upload path, a probe file."""

from __future__ import annotations

import asyncio
import posixpath
import re
import secrets
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncssh

from ...settings.accounting import DEFAULT_UPLOAD_PATH
from ..probe import Probe, StepListener
from ..result import TestResult
from . import sftp_diagnose
from .base import AccountingConnector, Delivered, DeliveryContext, DeliveryFailed, Document, expand
from .sftp_account import SftpAccount, SshClient
from .sftp_diagnose import (
    OPERATION_TIMEOUT_S,
    account_problem,
    connection_failure,
    is_transient,
    login_failure,
    reason_of,
    sftp_failure,
)
from .sftp_keys import (
    KNOWN_HOSTS,
    HostKeyGuard,
    KeyFileError,
    KnownHostsError,
    host_key_algorithms,
    known_host_keys,
    load_private_key,
    pinned_fingerprint,
)

CONNECTION_STEP, LOGIN_STEP, PATH_STEP, PROBE_STEP = "SSH connection", "Login", "Upload path", "Probe file"
PLACEHOLDER = re.compile(re.escape("[accounting_file_id]"))
PART_SUFFIX = ".part"


class SftpError(Exception):
    """Why an upload failed, in words (never a secret); `uploaded` lists the files delivered before it.

    `retryable` is True when trying again later may work (server down, timeout, dropped connection), False when
    an admin must act (host key, login, rights, a file in the way).
    """

    def __init__(self, message: str, uploaded: Sequence[str] = (), *, retryable: bool = False) -> None:
        super().__init__(message)
        self.uploaded = list(uploaded)
        self.retryable = retryable


def connect_folder(upload_path: str) -> tuple[str, bool]:
    """The folder Connect checks, and True when it is only the part before a per-company placeholder."""
    path = upload_path.strip() or DEFAULT_UPLOAD_PATH
    match = PLACEHOLDER.search(path)
    if match is None:
        return remote_folder(path), False
    prefix = path[:match.start()]
    return remote_folder(prefix[:prefix.rfind("/") + 1]), True


def remote_folder(path: str) -> str:
    """A folder path as sent to the server: no trailing slash, "." for the login folder."""
    path = path.strip()
    return "/" if path and not path.strip("/") else (path.rstrip("/") or ".")


def _join(folder: str, name: str) -> str:
    return name if folder == "." else posixpath.join(folder, name)


# --- The SSH session ---------------------------------------------------------------------------------

async def _dial(account: SftpAccount, guard: HostKeyGuard, client: SshClient) -> asyncssh.SSHClientConnection:
    """TCP, the key exchange (the guard checks the host key) and the login, within CONNECT_TIMEOUT_S."""
    preferred: list[asyncssh.SSHKey] = []
    if not guard.pinned:
        try:
            preferred = known_host_keys(guard.known_hosts, account.host, port=account.port)[0]
        except KnownHostsError:
            pass  # the guard reports it with the server's key
    password = account.password

    def give_password() -> str:
        client.tried.append("password")
        return password

    conn, _ = await asyncssh.create_connection(
        lambda: client, account.host, account.port, username=account.username,
        password=give_password if password else None, client_keys=None, public_key_auth=True, agent_path=None,
        # Nothing trusted up front: every host key goes through the guard, which also reads known_hosts.
        known_hosts=([], [], []), server_host_key_algs=host_key_algorithms(preferred),
        # The configuration is the whole truth: no ~/.ssh/config, X.509 bundle, GSSAPI or host-based login.
        config=[], x509_trusted_certs=None, gss_auth=False, gss_kex=False, host_based_auth=False,
        # Read from the module, not imported, so the wait and the diagnosis quoting it stay one value.
        connect_timeout=sftp_diagnose.CONNECT_TIMEOUT_S)
    return conn


def _is_folder(attrs: asyncssh.SFTPAttrs) -> bool:
    if attrs.permissions is not None:
        return stat.S_ISDIR(attrs.permissions)
    return attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY


async def _folder_state(sftp: asyncssh.SFTPClient, folder: str) -> str:
    """"folder", "missing" or "file"."""
    try:
        attrs = await sftp.stat(folder)
    except asyncssh.SFTPNoSuchFile:
        return "missing"
    return "folder" if _is_folder(attrs) else "file"


async def _make_folder(sftp: asyncssh.SFTPClient, folder: str) -> None:
    """mkdir -p, one level at a time so that a refusal names the level refused."""
    current = "/" if folder.startswith("/") else ""
    for part in [p for p in folder.split("/") if p and p != "."]:
        current = posixpath.join(current, part) if current else part
        state = await _folder_state(sftp, current)
        if state == "file":
            raise asyncssh.SFTPFailure(f"{current} is a file, not a folder")
        if state == "missing":
            await sftp.mkdir(current)


# What a session can fail with; UnicodeError is a host name IDNA cannot encode.
_SESSION_ERRORS = (asyncssh.Error, OSError, TimeoutError, UnicodeError)


# --- Connect -----------------------------------------------------------------------------------------

async def connect(editor: object, name: str, values: Mapping[str, Any], client: object = None,
                  on_step: StepListener | None = None, *,
                  known_hosts: Sequence[Path | str] | None = None) -> TestResult:
    """Connect's SFTP check: the SSH connection and host key, the login, the upload path, a probe file.

    `editor` and `client` are unused (the check needs neither the config nor HTTP); `known_hosts` replaces
    the user's and the system's known_hosts files.
    """
    account = SftpAccount.from_values(values)
    result = TestResult("accounting", f"{name} (sftp://{account.username}@{account.where})")
    probe = Probe(result, account.secrets(), timeout_s=OPERATION_TIMEOUT_S, on_step=on_step)
    request = f"ssh {account.username}@{account.where}"
    problem = account_problem(account)
    if problem:
        probe.failed(CONNECTION_STEP, problem, request=request)
        return result
    key, key_problem = None, ""
    if account.key_path:
        try:
            key = await asyncio.to_thread(load_private_key, account.key_path, account.passphrase)
        except KeyFileError as error:
            key_problem = str(error)
    guard = HostKeyGuard(pinned_fingerprint(account.host_key), KNOWN_HOSTS if known_hosts is None else known_hosts)
    # With an unusable key file no credential at all is sent, so that the login fails on the key's problem.
    ssh = SshClient(guard, key)
    login_account = account if not key_problem else _without_credentials(account)
    started = time.perf_counter()
    try:
        conn = await _dial(login_account, guard, ssh)
    except _SESSION_ERRORS as error:
        if not guard.trusted:
            probe.failed(CONNECTION_STEP, connection_failure(error, account, guard), request=request,
                         duration_ms=_ms(started))
            if guard.verdict == "unknown":
                result.offer["host_key"] = guard.seen
            return result
        handshake_end = ssh.login_started or time.perf_counter()
        probe.passed(CONNECTION_STEP, guard.describe(), request=request, duration_ms=_ms(started, handshake_end))
        probe.failed(LOGIN_STEP, key_problem or login_failure(error, account, ssh), request=_login_line(account),
                     duration_ms=_ms(handshake_end))
        return result
    async with conn:
        handshake_end = ssh.login_started or started
        probe.passed(CONNECTION_STEP, guard.describe(), request=request, duration_ms=_ms(started, handshake_end))
        await _after_login(probe, conn, account, ssh, handshake_end)
    return result


def _without_credentials(account: SftpAccount) -> SftpAccount:
    return SftpAccount(account.host, account.port, account.username, "", "", "", account.upload_path,
                       account.create_upload_path, account.host_key)


def _login_line(account: SftpAccount) -> str:
    ways = [w for w, on in (("password", account.password), (f"private key {account.key_path}", account.key_path))
            if on]
    return f"login {account.username} ({', '.join(ways) or 'no credential'})"


def _ms(started: float, ended: float | None = None) -> float:
    return round(((ended if ended is not None else time.perf_counter()) - started) * 1000, 1)


async def _after_login(probe: Probe, conn: asyncssh.SSHClientConnection, account: SftpAccount, ssh: SshClient,
                       login_started: float) -> None:
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            sftp = await conn.start_sftp_client()
    except _SESSION_ERRORS as error:
        refused = isinstance(error, (asyncssh.ChannelOpenError, asyncssh.SFTPError)) and not is_transient(error)
        diagnosis = (f"Logged in as {account.username}, but {account.where} gives this account no SFTP "
                     f"({reason_of(error)}): it may be a shell-only account, or the server's SFTP subsystem is off."
                     if refused else sftp_failure(error, account, "opening the SFTP session"))
        probe.failed(LOGIN_STEP, diagnosis, request=_login_line(account), duration_ms=_ms(login_started))
        return
    how = "password" if "password" in ssh.tried else "private key"
    if how == "password" and "private key" in ssh.tried:
        how = "password; the server did not accept the private key"
    probe.passed(LOGIN_STEP, f"logged in as {account.username} ({how}), SFTP version {sftp.version}",
                 request=_login_line(account), duration_ms=_ms(login_started))
    async with sftp:
        folder = await _check_upload_path(probe, sftp, account)
        if folder is None:
            probe.skipped(PROBE_STEP, "Not tried: the upload path is not usable.")
            return
        await _probe_file(probe, sftp, account, folder)


async def _check_upload_path(probe: Probe, sftp: asyncssh.SFTPClient, account: SftpAccount) -> str | None:
    """The upload path (or its part before a placeholder), created when missing and allowed; None when unusable."""
    folder, cut = connect_folder(account.upload_path)
    note = (f" (the part of {account.upload_path} before [accounting_file_id], which is filled per company at "
            "delivery)" if cut else "")
    started = time.perf_counter()
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            state = await _folder_state(sftp, folder)
            if state == "folder":
                probe.passed(PATH_STEP, f"{folder} exists{note}", request=f"stat {folder}", duration_ms=_ms(started))
                return folder
            if state == "file":
                probe.failed(PATH_STEP, f"{folder} is a file on the server, not a folder: fix the Upload path.",
                             request=f"stat {folder}", duration_ms=_ms(started))
                return None
            if not account.create_upload_path:
                probe.failed(PATH_STEP, f"{folder} does not exist on {account.where}{note}: create it on the server, "
                                        "or tick 'Create the upload path when missing' and Connect again.",
                             request=f"stat {folder}", duration_ms=_ms(started))
                return None
            await _make_folder(sftp, folder)
    except _SESSION_ERRORS as error:
        probe.failed(PATH_STEP, sftp_failure(error, account, f"checking or creating {folder}"),
                     request=f"stat {folder}", duration_ms=_ms(started))
        return None
    probe.passed(PATH_STEP, f"{folder} was missing and has been created{note}", request=f"mkdir {folder}",
                 duration_ms=_ms(started))
    return folder


async def _probe_file(probe: Probe, sftp: asyncssh.SFTPClient, account: SftpAccount, folder: str) -> None:
    """Write a small file in the folder and remove it: the rights a delivery needs."""
    path = _join(folder, f".akadmin-probe-{secrets.token_hex(6)}")
    request = f"put {path}; rm {path}"
    started = time.perf_counter()
    written = False
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            async with sftp.open(path, "wb") as handle:
                written = True
                await handle.write(b"akadmin Connect probe: this file is removed right away.\n")
            await sftp.remove(path)
    except _SESSION_ERRORS as error:
        if written:
            diagnosis = (sftp_failure(error, account, f"writing or removing {path}") +
                         f" If {path} is left on the server, remove it by hand.")
        else:
            diagnosis = sftp_failure(error, account, f"writing in {folder}") + _probe_advice(error, account, folder)
        probe.failed(PROBE_STEP, diagnosis, request=request, duration_ms=_ms(started))
        return
    probe.passed(PROBE_STEP, f"wrote and removed {path}", request=request, duration_ms=_ms(started))


def _probe_advice(error: BaseException, account: SftpAccount, folder: str) -> str:
    """What to do when the probe file could not be written: rights only when the server refused them."""
    if not is_transient(error):
        return (f" Deliveries write files there: ask the server's administrator to give {account.username} write "
                f"rights on {folder}.")
    if isinstance(error, (asyncssh.SFTPNoSpaceOnFilesystem, asyncssh.SFTPQuotaExceeded)):
        return ""  # the diagnosis already says who frees space
    return (" Connect again: a broken connection may pass; when it breaks at every try, the server or a firewall "
            "cuts the sessions (ask its administrator).")


# --- Delivery ----------------------------------------------------------------------------------------

async def upload(values: Mapping[str, Any], files: list[tuple[str, bytes]], *, remote_dir: str,
                 known_hosts: Sequence[Path | str] | None = None) -> list[str]:
    """Upload each (name, content) into `remote_dir` over one connection, atomically; returns the remote paths.

    Each file is written as NAME.part then renamed, so the accounting never picks up half a file. The host key
    rules are Connect's, except that an unknown key is refused: only an admin accepts a key. Raises SftpError.
    """
    account = SftpAccount.from_values(values)
    where = account.where
    if not files:
        return []  # nothing to deliver: no reason to knock on the server
    for name, _ in files:
        if not name or "/" in name or name in (".", "..") or name.endswith(PART_SUFFIX):
            raise SftpError(f"{name!r} cannot be uploaded: a file name must not be empty, hold a '/', or end in "
                            f"{PART_SUFFIX}.")
    problem = account_problem(account)
    if problem:
        raise SftpError(problem)
    key = None
    if account.key_path:
        try:
            key = await asyncio.to_thread(load_private_key, account.key_path, account.passphrase)
        except KeyFileError as error:
            raise SftpError(f"No upload to {where}: {error}") from None
    guard = HostKeyGuard(pinned_fingerprint(account.host_key), KNOWN_HOSTS if known_hosts is None else known_hosts)
    ssh = SshClient(guard, key)
    try:
        conn = await _dial(account, guard, ssh)
    except _SESSION_ERRORS as error:
        if not guard.trusted:
            raise SftpError(connection_failure(error, account, guard, batch=True),
                            retryable=guard.key is None and is_transient(error)) from None
        raise SftpError(login_failure(error, account, ssh), retryable=is_transient(error)) from None
    folder = remote_folder(remote_dir)
    uploaded: list[str] = []
    async with conn:
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT_S):
                sftp = await conn.start_sftp_client()
        except _SESSION_ERRORS as error:
            raise SftpError(sftp_failure(error, account, "opening the SFTP session"),
                            retryable=is_transient(error)) from None
        async with sftp:
            await _ready_folder(sftp, account, folder)
            for name, content in files:
                uploaded.append(await _put(sftp, account, folder, name, content, uploaded))
    return uploaded


async def _ready_folder(sftp: asyncssh.SFTPClient, account: SftpAccount, folder: str) -> None:
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            state = await _folder_state(sftp, folder)
            if state == "missing" and account.create_upload_path:
                await _make_folder(sftp, folder)
                return
    except _SESSION_ERRORS as error:
        raise SftpError(sftp_failure(error, account, f"checking or creating {folder}"),
                        retryable=is_transient(error)) from None
    if state == "missing":
        raise SftpError(f"{folder} does not exist on {account.where}: create it on the server, or tick 'Create the "
                        "upload path when missing'.")
    if state == "file":
        raise SftpError(f"{folder} is a file on {account.where}, not a folder: fix the Upload path.")


async def _put(sftp: asyncssh.SFTPClient, account: SftpAccount, folder: str, name: str, content: bytes,
               uploaded: list[str]) -> str:
    """Write NAME.part, then rename it to NAME (replacing a previous NAME when the server can do it atomically)."""
    final, part = _join(folder, name), _join(folder, name + PART_SUFFIX)
    done = f" ({len(uploaded)} file(s) uploaded before: {', '.join(uploaded)})" if uploaded else ""
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S + len(content) / 100_000):  # about 100 kB/s at least
            async with sftp.open(part, "wb") as handle:
                await handle.write(content)
    except _SESSION_ERRORS as error:
        await _discard(sftp, part)
        raise SftpError(sftp_failure(error, account, f"writing {part}") + done, uploaded,
                        retryable=is_transient(error)) from None
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            try:
                await sftp.posix_rename(part, final)
            except asyncssh.SFTPOpUnsupported:
                await sftp.rename(part, final)  # SFTP v3 without OpenSSH's extension: fails over an existing file
    except _SESSION_ERRORS as error:
        exists = await _exists(sftp, final)
        await _discard(sftp, part)
        why = (f"{final} already exists on {account.where} and the server would not replace it: remove or rename it "
               "there, then deliver again" if exists else
               sftp_failure(error, account, f"renaming {part} to {name}").rstrip("."))
        raise SftpError(f"{name} was written but not put in place: {why}.{done}", uploaded,
                        retryable=not exists and is_transient(error)) from None
    return final


async def _exists(sftp: asyncssh.SFTPClient, path: str) -> bool:
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            return await sftp.exists(path)
    except _SESSION_ERRORS:
        return False


async def _discard(sftp: asyncssh.SFTPClient, path: str) -> None:
    """Remove a leftover .part file, as far as the server lets us; a failure here changes nothing to report."""
    try:
        async with asyncio.timeout(OPERATION_TIMEOUT_S):
            await sftp.remove(path)
    except _SESSION_ERRORS:
        pass


class SftpConnector(AccountingConnector):
    """Connect's SSH checks, and deliveries as files in the upload path (per company with [accounting_file_id])."""

    name = "sftp"

    async def connect(self, editor: object, name: str, values: Mapping[str, Any], client: object = None,
                      on_step: StepListener | None = None) -> TestResult:
        return await connect(editor, name, values, client, on_step)

    async def deliver(self, context: DeliveryContext, document: Document) -> Delivered:
        folder = expand(str(context.values.get("upload_path") or DEFAULT_UPLOAD_PATH), context.file_id)
        try:
            paths = await upload(context.values, [(document.file_name, document.content)], remote_dir=folder)
        except SftpError as error:
            raise DeliveryFailed(str(error), retryable=error.retryable) from None
        return Delivered(paths[0])


CONNECTOR = SftpConnector()
