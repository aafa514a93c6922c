"""Trusted certificates: import (DER or PEM), list, remove, and a Test that passes once trusted."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from akadmin_tui.connectors.registry import run_test
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

from .tls import make_ca_and_server

STDIN = DEMO_PASSPHRASE + "\n"


def test_import_list_remove(akadmin, demo_path: Path, tmp_path: Path) -> None:
    ca_pem, _ = make_ca_and_server(tmp_path)
    der = tmp_path / "sandbox-ca.der"
    der.write_bytes(x509.load_pem_x509_certificate(ca_pem.encode()).public_bytes(serialization.Encoding.DER))
    base = ["--config", str(demo_path), "--passphrase-stdin"]
    code, _, err = akadmin("certs", "import", str(der), *base, stdin=STDIN)
    assert code == 0, err
    assert "Subject      CN=Sandbox Test Root CA,O=Sandbox" in err and "SHA-256" in err
    code, out, _ = akadmin("certs", "list", "--json", *base, stdin=STDIN)
    listed = json.loads(out)
    assert listed["sandbox-test-root-ca"]["is_ca"] is True and "akadmin-demo-ca" in listed
    assert "BEGIN CERTIFICATE" in demo_path.read_text()  # public, readable, under the MAC
    assert akadmin("certs", "import", str(der), *base, stdin=STDIN)[0] == 2  # the alias exists
    assert akadmin("certs", "remove", "sandbox-test-root-ca", *base, stdin=STDIN)[0] == 0
    assert akadmin("certs", "remove", "sandbox-test-root-ca", *base, stdin=STDIN)[0] == 1
    assert "sandbox-test-root-ca" not in json.loads(akadmin("certs", "list", "--json", *base, stdin=STDIN)[1])


def test_a_file_that_is_not_a_certificate_is_refused(akadmin, demo_path: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.der"
    junk.write_bytes(b"not a certificate")
    code, _, err = akadmin("certs", "import", str(junk), "--config", str(demo_path), "--passphrase-stdin", stdin=STDIN)
    assert code == 2 and "not an X.509 certificate in PEM or DER form" in err
    code, _, err = akadmin("certs", "import", str(tmp_path / "missing.der"), "--config", str(demo_path))
    assert code == 2 and "does not exist" in err


async def test_tls_test_fails_before_the_import_and_passes_after(editor, sandbox, demo_path: Path, tmp_path: Path) -> None:
    ca_pem, server_tls = make_ca_and_server(tmp_path)
    sandbox.piste.stop()
    sandbox.piste.start(tls=server_tls)
    sandbox.point(editor, demo_path.parent)
    before = await run_test("chorus", editor, company="ACME")
    assert "TLS certificate of 127.0.0.1 is not trusted" in before.failed_step.diagnosis
    assert "CN=Sandbox Test Root CA" in before.failed_step.diagnosis
    editor.create(schema.CERTIFICATES, "sandbox-ca", {"pem": ca_pem})
    reopened = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))
    after = await run_test("chorus", reopened, company="ACME")
    assert after.passed, after.to_text()
