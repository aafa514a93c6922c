"""The SFTP sandbox's faults, as real servers fail, and what Connect and a delivery say about each."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.connectors.accounting import sftp
from akadmin_tui.connectors.result import Outcome
from akadmin_tui.sandbox.sftp import SftpSandbox

USER, PASSWORD = "acme", "s3cret-Pa55word"


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
    return [tmp_path / "known_hosts"]  # absent: the pinned key is the only trust


def values(server: SftpSandbox) -> dict:
    return {"integration": "sftp", "host": server.host, "port": server.port, "username": USER, "password": PASSWORD,
            "upload_path": "Invoice_import/", "create_upload_path": False, "host_key": server.host_key_fingerprint}


async def connect(server: SftpSandbox, known_hosts: list[Path]):
    result = await sftp.connect(None, "SFTP", values(server), None, None, known_hosts=known_hosts)
    assert PASSWORD not in result.to_text()
    return result


async def upload_error(server: SftpSandbox, known_hosts: list[Path]) -> sftp.SftpError:
    with pytest.raises(sftp.SftpError) as raised:
        await sftp.upload(values(server), [("INV-1.xml", b"<Invoice/>")], remote_dir="Invoice_import",
                          known_hosts=known_hosts)
    assert PASSWORD not in str(raised.value)
    return raised.value


def outcomes(result) -> list[tuple[str, Outcome]]:
    return [(step.name, step.outcome) for step in result.steps]


def test_every_fault_is_known_and_a_wrong_one_is_refused(server) -> None:
    assert server.FAULTS == ("none", "auth", "read_only", "drop", "down")
    with pytest.raises(ValueError, match="unknown SFTP fault 'slow': use one of none, auth, read_only, drop, down"):
        server.set_fault("slow")


async def test_auth_refuses_every_login_as_a_wrong_password(server, known_hosts) -> None:
    server.set_fault("auth")
    result = await connect(server, known_hosts)
    assert outcomes(result) == [(sftp.CONNECTION_STEP, Outcome.PASSED), (sftp.LOGIN_STEP, Outcome.FAILED)]
    assert result.steps[1].diagnosis == (
        f"{server.host}:{server.port} refused the login acme (password): check the User name and the Password. "
        "Repeated failures may get this address blocked for a while.")
    error = await upload_error(server, known_hosts)
    assert str(error).startswith(f"{server.host}:{server.port} refused the login acme (password)")
    assert not error.retryable  # an admin must fix the login; trying again would only get the address blocked
    server.set_fault("none")
    assert (await connect(server, known_hosts)).passed


async def test_read_only_refuses_writes_with_permission_denied(server, known_hosts, root) -> None:
    server.set_fault("read_only")
    result = await connect(server, known_hosts)
    assert outcomes(result)[-2:] == [(sftp.PATH_STEP, Outcome.PASSED), (sftp.PROBE_STEP, Outcome.FAILED)]
    assert result.steps[-1].diagnosis == (
        f"Permission denied writing in Invoice_import: the account acme does not have that right on "
        f"{server.host}:{server.port}. Deliveries write files there: ask the server's administrator to give acme "
        "write rights on Invoice_import.")
    error = await upload_error(server, known_hosts)
    assert str(error) == (f"Permission denied writing Invoice_import/INV-1.xml.part: the account acme does not have "
                          f"that right on {server.host}:{server.port}.")
    assert not error.retryable and list((root / "Invoice_import").iterdir()) == []


async def test_drop_cuts_the_connection_at_the_first_write(server, known_hosts, root) -> None:
    server.set_fault("drop")
    result = await connect(server, known_hosts)
    assert outcomes(result)[-2:] == [(sftp.PATH_STEP, Outcome.PASSED), (sftp.PROBE_STEP, Outcome.FAILED)]
    diagnosis = result.steps[-1].diagnosis
    assert diagnosis.startswith(f"{server.host}:{server.port} closed the connection writing in Invoice_import (")
    # A broken connection is no matter of rights: Connect says to try again, not to ask for write rights.
    assert "write rights" not in diagnosis and "Connect again" in diagnosis
    error = await upload_error(server, known_hosts)
    assert str(error).startswith(f"{server.host}:{server.port} closed the connection writing "
                                 "Invoice_import/INV-1.xml.part (")
    assert error.retryable and list((root / "Invoice_import").iterdir()) == []  # the batch tries again later
    server.set_fault(None)
    assert (await connect(server, known_hosts)).passed


async def test_down_refuses_the_connection_and_comes_back_on_the_same_port(server, known_hosts) -> None:
    port = server.port
    server.set_fault("down")
    result = await connect(server, known_hosts)
    assert result.steps[0].diagnosis.startswith(f"The connection to {server.host}:{port} was refused")
    assert (await upload_error(server, known_hosts)).retryable
    server.set_fault("none")
    assert server.port == port and (await connect(server, known_hosts)).passed
