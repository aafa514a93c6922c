"""SFTP Connect and upload against the loopback SFTP sandbox: real SSH, host keys, logins, rights."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import warnings
from pathlib import Path

import asyncssh
import pytest

from akadmin_tui.connectors.accounting import sftp, sftp_diagnose, sftp_keys
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.sandbox.sftp import SftpSandbox

USER, PASSWORD = "acme", "s3cret-Pa55word"
STEPS = [sftp.CONNECTION_STEP, sftp.LOGIN_STEP, sftp.PATH_STEP, sftp.PROBE_STEP]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    (folder / "Invoice_import").mkdir(parents=True)
    return folder


@pytest.fixture
def server(root: Path):
    with SftpSandbox(USER, PASSWORD, root=root) as running:
        yield running


@pytest.fixture
def known_hosts(tmp_path: Path) -> list[Path]:
    return [tmp_path / "known_hosts"]  # absent: nothing known, whatever ~/.ssh holds


def values(server: SftpSandbox, **changes) -> dict:
    base = {"integration": "sftp", "host": server.host, "port": server.port, "username": USER, "password": PASSWORD,
            "upload_path": "Invoice_import/", "create_upload_path": False, "host_key": server.host_key_fingerprint}
    return {**base, **changes}


async def check(values: dict, known_hosts: list[Path]):
    return await sftp.connect(None, "SFTP", values, None, None, known_hosts=known_hosts)


def outcomes(result) -> list[tuple[str, Outcome]]:
    return [(step.name, step.outcome) for step in result.steps]


def probes_left(root: Path) -> list[Path]:
    return list(root.rglob(".akadmin-probe-*"))


async def test_unknown_host_key_is_offered_with_its_fingerprint(server, known_hosts):
    result = await check(values(server, host_key=""), known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.FAILED)]
    diagnosis = result.steps[0].diagnosis
    assert f"unknown host key {server.host_key_fingerprint} — accept it to pin it" in diagnosis
    assert result.offer == {"host_key": server.host_key_fingerprint}


async def test_pinned_host_key_passes_every_step(server, known_hosts, root):
    result = await check(values(server), known_hosts)
    assert outcomes(result) == [(name, Outcome.PASSED) for name in STEPS], result.to_text()
    assert "matches the pinned host key" in result.steps[0].detail
    assert result.offer == {}
    assert probes_left(root) == []


async def test_a_pin_without_prefix_or_padding_still_matches(server, known_hosts):
    bare = server.host_key_fingerprint.removeprefix("SHA256:") + "="
    assert (await check(values(server, host_key=bare), known_hosts)).passed
    keygen_line = f"256 {server.host_key_fingerprint} root@sftp (ED25519)"
    assert (await check(values(server, host_key=keygen_line), known_hosts)).passed


async def test_a_changed_key_is_refused_as_a_possible_man_in_the_middle(server, known_hosts):
    other = sftp_keys.fingerprint(asyncssh.generate_private_key("ssh-ed25519"))
    result = await check(values(server, host_key=other), known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.FAILED)]
    diagnosis = result.steps[0].diagnosis
    assert "CHANGED" in diagnosis and "man-in-the-middle" in diagnosis
    assert server.host_key_fingerprint in diagnosis and other in diagnosis
    assert result.offer == {}


async def test_known_hosts_trusts_its_key_and_flags_another(server, known_hosts):
    line = f"[{server.host}]:{server.port} {server.host_key.export_public_key().decode().strip()}\n"
    known_hosts[0].write_text(line)
    assert (await check(values(server, host_key=""), known_hosts)).passed
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    known_hosts[0].write_text(f"[{server.host}]:{server.port} {stranger}\n")
    result = await check(values(server, host_key=""), known_hosts)
    assert "CHANGED" in result.steps[0].diagnosis and result.offer == {}
    assert f"ssh-keygen -R '[{server.host}]:{server.port}'" in result.steps[0].diagnosis


async def test_a_wrong_password_fails_the_login_without_showing_it(server, known_hosts):
    wrong = "Not-The-Right-0ne"
    result = await check(values(server, password=wrong), known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.PASSED), (sftp.LOGIN_STEP, Outcome.FAILED)]
    assert "refused the login acme (password)" in result.steps[1].diagnosis
    assert wrong not in result.to_text() and PASSWORD not in result.to_text()


@pytest.fixture
def client_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def key_file(folder: Path, key: asyncssh.SSHKey, mode: int, passphrase: str | None = None) -> Path:
    path = folder / "id_ed25519"
    with warnings.catch_warnings():
        # Few bcrypt rounds, which bcrypt warns about: the test checks the passphrase is used, not its strength.
        warnings.simplefilter("ignore", UserWarning)
        path.write_bytes(key.export_private_key("openssh", passphrase, rounds=4) if passphrase
                         else key.export_private_key("openssh"))
    path.chmod(mode)
    return path


async def test_key_login_works_and_a_key_file_others_can_read_is_refused(root, tmp_path, known_hosts, client_key):
    passphrase = "key-Passphrase-42"
    with SftpSandbox(USER, authorized_key=client_key, root=root) as keyed:
        path = key_file(tmp_path, client_key, 0o600, passphrase)
        login = values(keyed, password="", private_key_path=str(path), private_key_passphrase=passphrase)
        result = await check(login, known_hosts)
        assert result.passed, result.to_text()
        assert "(private key)" in result.steps[1].detail and passphrase not in result.to_text()
        path.chmod(0o644)
        result = await check(login, known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.PASSED), (sftp.LOGIN_STEP, Outcome.FAILED)]
    assert "accessible by other users (mode 0644)" in result.steps[1].diagnosis
    assert f"chmod 600 {path}" in result.steps[1].diagnosis


async def test_a_wrong_passphrase_is_named(root, tmp_path, known_hosts, client_key):
    with SftpSandbox(USER, authorized_key=client_key, root=root) as keyed:
        path = key_file(tmp_path, client_key, 0o600, "the-right-one")
        result = await check(values(keyed, password="", private_key_path=str(path),
                                    private_key_passphrase="not-this-one"), known_hosts)
    assert "passphrase does not open" in result.steps[-1].diagnosis


async def test_a_missing_upload_path_is_created_when_allowed(server, known_hosts, root):
    result = await check(values(server, upload_path="Exports/2025/", create_upload_path=True), known_hosts)
    assert result.passed, result.to_text()
    assert "has been created" in result.steps[2].detail
    assert (root / "Exports" / "2025").is_dir()


async def test_a_missing_upload_path_fails_when_creating_is_not_allowed(server, known_hosts, root):
    result = await check(values(server, upload_path="Exports/"), known_hosts)
    assert outcomes(result)[2:] == [(sftp.PATH_STEP, Outcome.FAILED), (sftp.PROBE_STEP, Outcome.SKIPPED)]
    assert "Exports does not exist" in result.steps[2].diagnosis
    assert "Create the upload path when missing" in result.steps[2].diagnosis
    assert not (root / "Exports").exists()


async def test_only_the_part_before_the_placeholder_is_checked(server, known_hosts, root):
    result = await check(values(server, upload_path="Invoice_import/[accounting_file_id]/in/"), known_hosts)
    assert result.passed, result.to_text()
    assert result.steps[2].detail.startswith("Invoice_import exists (the part of")
    assert list((root / "Invoice_import").iterdir()) == []


async def test_a_read_only_server_fails_the_probe_with_permission_denied(server, known_hosts):
    server.read_only = True
    result = await check(values(server), known_hosts)
    assert outcomes(result)[-1] == (sftp.PROBE_STEP, Outcome.FAILED)
    assert "Permission denied writing in Invoice_import" in result.steps[-1].diagnosis


async def test_a_server_down_is_a_refused_connection(server, known_hosts):
    server.fault = "down"
    result = await check(values(server), known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.FAILED)]
    assert f"The connection to {server.host}:{server.port} was refused" in result.steps[0].diagnosis
    server.fault = None
    assert (await check(values(server), known_hosts)).passed


@pytest.fixture
def silent_port():
    """A port that accepts TCP and then neither speaks SSH nor hangs up, or (hang_up) hangs up at once."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    state = {"hang_up": False}

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if state["hang_up"]:
                conn.close()
            else:
                accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], state
    listener.close()
    for conn in accepted:
        conn.close()


async def test_silence_times_out_and_a_hang_up_is_a_disconnect(server, known_hosts, silent_port, monkeypatch):
    port, state = silent_port
    monkeypatch.setattr(sftp_diagnose, "CONNECT_TIMEOUT_S", 0.3)
    result = await check(values(server, port=port), known_hosts)
    assert f"No SSH connection to 127.0.0.1:{port} within 0.3 s" in result.steps[0].diagnosis
    state["hang_up"] = True
    result = await check(values(server, port=port), known_hosts)
    assert "closed the connection during the SSH handshake" in result.steps[0].diagnosis


def test_dns_failures_and_refusals_on_every_address_are_named():
    account = sftp.SftpAccount.from_values({"host": "sftp.cabinet.invalid", "port": 22, "username": USER})
    guard = sftp_keys.HostKeyGuard("", [])
    no_name = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    dns = sftp_diagnose.connection_failure(no_name, account, guard)
    assert dns.startswith("The host name sftp.cabinet.invalid cannot be resolved (DNS)")
    # Python 3.11 reports a refusal on both IPv6 and IPv4 as one plain OSError.
    both = OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 22, 0, 0), "
                   "[Errno 111] Connect call failed ('127.0.0.1', 22)")
    assert "sftp.cabinet.invalid:22 was refused" in sftp_diagnose.connection_failure(both, account, guard)


async def test_a_password_for_a_key_only_server_is_explained(root, known_hosts, client_key):
    with SftpSandbox(USER, authorized_key=client_key, root=root) as keyed:
        result = await check(values(keyed), known_hosts)
    assert "accepts none of the login methods configured for acme (password)" in result.steps[1].diagnosis


async def test_a_malformed_pin_is_refused_before_dialling(server, known_hosts):
    result = await check(values(server, host_key="MD5:12:34"), known_hosts)
    assert "is not a SHA256 fingerprint" in result.steps[0].diagnosis


async def test_upload_writes_every_file_atomically_in_the_folder(server, known_hosts, root):
    files = [("INV-001.xml", b"<Invoice>1</Invoice>"), ("INV-002.xml", b"<Invoice>2</Invoice>")]
    with pytest.raises(sftp.SftpError, match="does not exist"):
        await sftp.upload(values(server), files, remote_dir="Invoice_import/42/", known_hosts=known_hosts)
    allowed = values(server, create_upload_path=True)
    paths = await sftp.upload(allowed, files, remote_dir="Invoice_import/42/", known_hosts=known_hosts)
    assert paths == ["Invoice_import/42/INV-001.xml", "Invoice_import/42/INV-002.xml"]
    folder = root / "Invoice_import" / "42"
    assert sorted(p.name for p in folder.iterdir()) == ["INV-001.xml", "INV-002.xml"]
    assert (folder / "INV-002.xml").read_bytes() == b"<Invoice>2</Invoice>"
    # A second delivery replaces the file in one rename, leaving no .part behind.
    await sftp.upload(allowed, [("INV-001.xml", b"<Invoice>1b</Invoice>")], remote_dir="Invoice_import/42",
                      known_hosts=known_hosts)
    assert (folder / "INV-001.xml").read_bytes() == b"<Invoice>1b</Invoice>"
    assert not list(folder.glob("*.part"))


async def test_upload_never_accepts_an_unknown_key_and_says_why_it_failed(server, known_hosts, root):
    with pytest.raises(sftp.SftpError, match="never accepts a key on its own") as unknown:
        await sftp.upload(values(server, host_key=""), [("a.xml", b"a")], remote_dir="Invoice_import",
                          known_hosts=known_hosts)
    assert not unknown.value.retryable
    server.read_only = True
    with pytest.raises(sftp.SftpError, match=r"Permission denied writing Invoice_import/a\.xml\.part") as denied:
        await sftp.upload(values(server), [("a.xml", b"a")], remote_dir="Invoice_import", known_hosts=known_hosts)
    assert list((root / "Invoice_import").iterdir()) == [] and not denied.value.retryable
    server.fault = "down"
    with pytest.raises(sftp.SftpError, match="was refused") as down:
        await sftp.upload(values(server), [("a.xml", b"a")], remote_dir="Invoice_import", known_hosts=known_hosts)
    assert down.value.retryable  # the batch tries again later


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is not installed")
def test_fingerprint_is_the_one_openssh_prints(tmp_path, client_key):
    public = tmp_path / "key.pub"
    public.write_bytes(client_key.export_public_key())
    printed = subprocess.run(["ssh-keygen", "-lf", str(public)], capture_output=True, text=True, check=True).stdout
    assert printed.split()[1] == sftp_keys.fingerprint(client_key)
