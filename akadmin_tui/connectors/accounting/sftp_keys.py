"""SFTP host keys checked against known_hosts or a pinned fingerprint, and the private key to log in with."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from collections.abc import Sequence
from pathlib import Path

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

from ..files import UnreadableFile, read_limited

# Where OpenSSH looks for host keys: the user's file, then the system's.
KNOWN_HOSTS: tuple[Path, ...] = (Path("~/.ssh/known_hosts"), Path("/etc/ssh/ssh_known_hosts"))
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
KEY_FILE_LIMIT = 64 * 1024


def fingerprint(key: asyncssh.SSHKey | bytes | str) -> str:
    """The SHA256 fingerprint of a public key as OpenSSH prints it; takes a key, its wire blob or an OpenSSH line."""
    if isinstance(key, str):
        key = asyncssh.import_public_key(key)
    blob = key if isinstance(key, bytes) else key.public_data
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def pinned_fingerprint(value: str) -> str:
    """A pasted fingerprint as compared ("abc=" and "sha256:abc" become "SHA256:abc"); "" when none is pinned."""
    found = FINGERPRINT.search(value)  # a whole `ssh-keygen -lf` line pasted: "256 SHA256:… host (ED25519)"
    if found:
        return found.group(0)
    value = "".join(value.split())
    if not value:
        return ""
    if value[:7].upper() == "SHA256:":
        value = value[7:]
    return "SHA256:" + value.rstrip("=")

# --- Host keys ---------------------------------------------------------------------------------------

class KnownHostsError(Exception):
    """A known_hosts file that exists but cannot be used."""


def known_host_keys(files: Sequence[Path | str], host: str, addr: str = "",
                    port: int = 22) -> tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey]]:
    """The keys the known_hosts files trust for `host` (or its address) and the ones they mark @revoked."""
    trusted: list[asyncssh.SSHKey] = []
    revoked: list[asyncssh.SSHKey] = []
    for entry in files:
        path = Path(entry).expanduser()
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        except OSError as error:
            raise KnownHostsError(f"The known hosts file {path} cannot be read ({error.strerror or error})") from None
        try:
            known = asyncssh.import_known_hosts(text)
        except ValueError as error:
            raise KnownHostsError(f"The known hosts file {path} has a line akadmin cannot read ({error})") from None
        # OpenSSH files name a non-default port as [host]:port; asyncssh expects None for 22.
        match = known.match(host, addr, None if port == 22 else port)
        trusted += match[0]
        revoked += match[2]
    return trusted, revoked


def host_key_algorithms(preferred: Sequence[asyncssh.SSHKey]) -> list[str]:
    """Plain host key algorithms (no certificates, whose key could not be pinned), known keys' kinds first.

    Asking for the kinds known_hosts holds first makes a server with several keys present the known one.
    """
    plain = [alg.decode() for alg in get_default_public_key_algs()]
    first = [alg.decode() for key in preferred for alg in key.sig_algorithms if alg.decode() in plain]
    return list(dict.fromkeys(first + plain))


class HostKeyGuard:
    """Decides during the key exchange, before any secret is sent, whether the server's key is the trusted one."""

    def __init__(self, pinned: str, known_hosts: Sequence[Path | str]) -> None:
        self.pinned = pinned
        self.known_hosts = known_hosts
        self.key: asyncssh.SSHKey | None = None
        self.verdict = ""  # pinned, known, changed, unknown, revoked or unreadable
        self.expected: list[str] = []  # the fingerprints the server should have shown
        self.problem = ""

    @property
    def seen(self) -> str:
        """The fingerprint the server presented ("" before the key exchange)."""
        return fingerprint(self.key) if self.key is not None else ""

    @property
    def trusted(self) -> bool:
        """True once the server's key was accepted."""
        return self.verdict in ("pinned", "known")

    def accept(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """asyncssh's hook: True to go on with this host key."""
        self.key = key
        if self.pinned:
            self.expected = [self.pinned]
            self.verdict = "pinned" if self.seen == self.pinned else "changed"
            return self.trusted
        try:
            trusted, revoked = known_host_keys(self.known_hosts, host, addr, port)
        except KnownHostsError as error:
            self.verdict, self.problem = "unreadable", str(error)
            return False
        if any(key.public_data == k.public_data for k in revoked):
            self.verdict = "revoked"
        elif any(key.public_data == k.public_data for k in trusted):
            self.verdict = "known"
        else:
            self.expected = list(dict.fromkeys(fingerprint(k) for k in trusted))
            self.verdict = "changed" if trusted else "unknown"
        return self.trusted

    def describe(self) -> str:
        """How the key was trusted, for a passed step."""
        how = "matches the pinned host key" if self.verdict == "pinned" else "is in known_hosts"
        return f"host key {self.seen} {how}"

    def refusal(self, host: str, port: int, *, batch: bool = False) -> str:
        """Why the key was refused, in words."""
        where = f"{host}:{port}"
        if self.verdict == "changed":
            source = "the pinned host key is" if self.pinned else "known_hosts holds"
            expected = " or ".join(self.expected)
            fix = ("clear 'Pinned host key' and Connect again to pin the new one" if self.pinned else
                   f"remove the old line (ssh-keygen -R '{host if port == 22 else f'[{host}]:{port}'}') and Connect "
                   "again")
            return (f"The host key of {where} CHANGED: the server presents {self.seen}, but {source} {expected}. "
                    "This is what a man-in-the-middle attack looks like; it also happens when the server is "
                    "reinstalled or its keys are regenerated. Nothing was sent to it. Ask the server's administrator "
                    f"for its key's fingerprint; only if it is the new one, {fix}.")
        if self.verdict == "unknown" and batch:
            return (f"{where} presents an unknown host key {self.seen}: a delivery never accepts a key on its own. "
                    "Run Connect on this configuration to check the key and pin it.")
        if self.verdict == "unknown":
            return (f"{where} presents an unknown host key {self.seen} — accept it to pin it, after checking it "
                    "against the fingerprint the server's administrator gives you (ssh-keygen -lf on the server's "
                    "host key). Nothing was sent to it.")
        if self.verdict == "revoked":
            return (f"The host key {self.seen} of {where} is marked @revoked in known_hosts: akadmin refuses it. "
                    "Ask the server's administrator for its current key.")
        if self.verdict == "unreadable":
            return f"{self.problem}: fix or remove it, or pin the server's host key in the configuration."
        return f"The host key of {where} was not checked."


# --- The private key ---------------------------------------------------------------------------------

class KeyFileError(Exception):
    """A private key file that cannot be used; the text says why."""


def load_private_key(path: str, passphrase: str = "") -> asyncssh.SSHKey:
    """The private key in `path`, refusing a file other users can read, as SSH and akadmin's own key files do."""
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"The private key file {file} does not exist on this machine.") from None
    except (OSError, RuntimeError) as error:
        why = getattr(error, "strerror", None) or error
        raise KeyFileError(f"The private key file {file} cannot be read ({why}).") from None
    if stat.S_ISREG(mode) and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"The private key file {file} is accessible by other users (mode "
                           f"{stat.S_IMODE(mode):04o}): SSH refuses such keys, and so does akadmin. "
                           f"Run: chmod 600 {file}")
    try:
        data = read_limited(file, KEY_FILE_LIMIT, "a private key")
    except UnreadableFile as error:
        raise KeyFileError(f"The private key file {error}.") from None
    try:
        return asyncssh.import_private_key(data, passphrase or None)
    except asyncssh.KeyEncryptionError:
        raise KeyFileError(f"The Private key passphrase does not open {file}: type it again.") from None
    except asyncssh.KeyImportError as error:
        if "passphrase" in str(error).lower():
            raise KeyFileError(f"The private key file {file} is protected by a passphrase: set the Private key "
                               "passphrase.") from None
        raise KeyFileError(f"{file} is not a private key akadmin can read ({error}): use an OpenSSH or PEM private "
                           "key (convert a PuTTY key with: puttygen KEY.ppk -O private-openssh -o KEY).") from None
