"""Why an SFTP connection, login or request failed, or why its settings cannot even be dialled, in words."""

from __future__ import annotations

import errno
import socket

import asyncssh

from .sftp_account import SftpAccount, SshClient
from .sftp_keys import FINGERPRINT, HostKeyGuard, pinned_fingerprint

# Here rather than in sftp because the diagnoses quote them; sftp reads CONNECT_TIMEOUT_S from here at call time.
CONNECT_TIMEOUT_S = 10.0  # TCP, SSH handshake and login together
OPERATION_TIMEOUT_S = 30.0  # one SFTP step once logged in


def account_problem(account: SftpAccount) -> str:
    """Why the saved values cannot even be dialled ("" when they can): host, port, user, pinned key."""
    if not account.host or "/" in account.host or any(c.isspace() for c in account.host):
        return (f"The Host {account.host!r} is not a host name or IP address: type it without sftp:// or a path "
                "(the folder goes in the Upload path).")
    if not 0 < account.port < 65536:
        return f"The Port {account.port} is not a TCP port (1 to 65535); SSH servers usually listen on 22."
    if not account.username:
        return "The User name is empty: an SFTP server needs the account to log in as."
    return pin_problem(account)


def pin_problem(account: SftpAccount) -> str:
    """Why the pinned host key cannot be used ("" when it can, or none is pinned)."""
    pinned = pinned_fingerprint(account.host_key)
    if not pinned or FINGERPRINT.fullmatch(pinned):
        return ""
    return (f"The pinned host key '{account.host_key}' is not a SHA256 fingerprint (SHA256: then 43 characters, as "
            "ssh-keygen -lf prints it): clear it and Connect again to be shown the server's key.")


def _refused(error: BaseException) -> bool:
    # Python 3.11 folds one failure per address (IPv4 and IPv6) into a plain OSError naming them.
    return isinstance(error, ConnectionRefusedError) or (
        type(error) is OSError and error.errno is None and str(errno.ECONNREFUSED) in str(error)
        and "Connect call failed" in str(error))


def is_transient(error: BaseException) -> bool:
    """True for the failures that may pass on their own: the network, the server busy, full or restarting."""
    if isinstance(error, (asyncssh.PermissionDenied, asyncssh.HostKeyNotVerifiable, asyncssh.KeyExchangeFailed,
                          asyncssh.ProtocolError, asyncssh.ProtocolNotSupported)):
        return False
    return isinstance(error, (TimeoutError, OSError, asyncssh.DisconnectError, asyncssh.SFTPConnectionLost,
                              asyncssh.SFTPNoSpaceOnFilesystem, asyncssh.SFTPQuotaExceeded))


# The server hanging up: in SSH's or SFTP's words, or the socket's (a reset when it closes before reading us).
_HUNG_UP = (asyncssh.DisconnectError, asyncssh.SFTPConnectionLost, ConnectionResetError, ConnectionAbortedError,
            BrokenPipeError)


def reason_of(error: BaseException) -> str:
    """What the error itself says, on one line."""
    said = getattr(error, "reason", None) or getattr(error, "strerror", None) or type(error).__name__
    return " ".join(str(said).split())


def connection_failure(error: BaseException, account: SftpAccount, guard: HostKeyGuard, *, batch: bool = False) -> str:
    """What went wrong before the server's host key was accepted."""
    where = account.where
    if guard.key is not None and not guard.trusted:
        return guard.refusal(account.host, account.port, batch=batch)
    if isinstance(error, UnicodeError):
        return f"The Host {account.host!r} holds characters a host name cannot: type it again."
    if isinstance(error, socket.gaierror):
        return f"The host name {account.host} cannot be resolved (DNS): check the Host and the server's DNS settings."
    if _refused(error):
        return (f"The connection to {where} was refused: nothing listens there, or a firewall rejects it. Check the "
                "Host and the Port (SSH servers usually listen on 22).")
    if isinstance(error, TimeoutError):
        return (f"No SSH connection to {where} within {CONNECT_TIMEOUT_S:g} s: the host is down or filtered "
                "(firewall), or the port is not an SSH server's.")
    if isinstance(error, asyncssh.KeyExchangeFailed):
        return (f"{where} and akadmin have no key exchange, cipher or host key algorithm in common "
                f"({reason_of(error)}): the server is too old or restricted to legacy algorithms.")
    if isinstance(error, (asyncssh.ProtocolError, asyncssh.ProtocolNotSupported)):
        return f"{where} does not speak SSH ({reason_of(error)}): check the Port; SFTP goes over the SSH port."
    if isinstance(error, _HUNG_UP):
        return (f"{where} closed the connection during the SSH handshake ({reason_of(error)}): the port may not be an "
                "SSH server's, or the server refuses this address (allow-list, fail2ban, too many connections).")
    if isinstance(error, OSError):
        return f"{where} cannot be reached ({error.strerror or error}): check the Host, the Port and the network."
    return f"The SSH connection to {where} failed ({type(error).__name__})."


def login_failure(error: BaseException, account: SftpAccount, client: SshClient) -> str:
    """What went wrong once the host key was accepted: the login refused, or the connection lost."""
    where, user = account.where, account.username
    if isinstance(error, asyncssh.PermissionDenied):
        if not client.tried:
            offered = " and ".join(m for m, on in (("password", account.password), ("private key", account.key_path))
                                   if on)
            return (f"{where} accepts none of the login methods configured for {user} ({offered}): ask its "
                    "administrator which one it allows, a password or a public key.")
        checks = []
        if "password" in client.tried:
            checks.append("the User name and the Password")
        if "private key" in client.tried:
            checks.append(f"that the public key of {account.key_path} is in ~/.ssh/authorized_keys of {user} on "
                          "the server")
        return (f"{where} refused the login {user} ({' then '.join(client.tried)}): check {' and '.join(checks)}. "
                "Repeated failures may get this address blocked for a while.")
    if isinstance(error, TimeoutError):
        return f"{where} accepted the connection but the login did not complete within {CONNECT_TIMEOUT_S:g} s."
    if isinstance(error, _HUNG_UP):
        return (f"{where} closed the connection during the login ({reason_of(error)}): too many login attempts, or "
                "the account is locked or not allowed to log in over SSH.")
    if isinstance(error, OSError):
        return f"The connection to {where} broke during the login ({error.strerror or error})."
    return f"The login to {where} failed ({type(error).__name__})."


def sftp_failure(error: BaseException, account: SftpAccount, doing: str) -> str:
    """What went wrong with an SFTP request (`doing`: "creating X", …), in words."""
    where, user = account.where, account.username
    if isinstance(error, asyncssh.SFTPPermissionDenied):
        return f"Permission denied {doing}: the account {user} does not have that right on {where}."
    if isinstance(error, (asyncssh.SFTPNoSpaceOnFilesystem, asyncssh.SFTPQuotaExceeded)):
        return f"No space left {doing} ({reason_of(error)}): ask the administrator of {where} to free some."
    if isinstance(error, _HUNG_UP):
        return f"{where} closed the connection {doing} ({reason_of(error)})."
    if isinstance(error, asyncssh.SFTPError):
        return f"{where} refused {doing} ({reason_of(error)})."
    if isinstance(error, TimeoutError):
        return f"{where} gave no answer within {OPERATION_TIMEOUT_S:g} s {doing}: the server is overloaded or stuck."
    if isinstance(error, OSError):
        return f"The connection to {where} broke {doing} ({error.strerror or error})."
    return f"{doing.capitalize()} on {where} failed ({type(error).__name__})."
