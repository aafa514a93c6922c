"""Every command that prints data has --json: init, config set, rekey, invoices import, batch log."""

from __future__ import annotations

import json
from pathlib import Path

from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE

PASS = DEMO_PASSPHRASE + "\n"


def test_init_and_rekey_say_what_they_did(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "config.toml", tmp_path / "akadmin.key"
    code, out, _ = akadmin("init", "--config", str(config), "--key-file", str(key), "--json")
    assert code == 0 and json.loads(out) == {"config": str(config), "key_file": str(key), "recipient": "key file"}
    code, out, _ = akadmin("rekey", "--config", str(config), "--key-file", str(key), "--json")
    said = json.loads(out)
    assert code == 0 and said["done"] == "rotated the data key"
    assert said["recipients"] == {"key_file": True, "passphrase": False}


def test_config_set_prints_the_key_its_value_and_its_warnings(akadmin, demo_path: Path) -> None:
    code, out, _ = akadmin("config", "set", "interfaces.chorus.retry_count", "4", "--json", "--config", str(demo_path),
                           "--passphrase-stdin", stdin=PASS)
    assert code == 0 and json.loads(out) == {"key": "interfaces.chorus.retry_count", "value": "4", "secret": False,
                                             "warnings": []}


def test_invoices_import_and_batch_log_as_json(akadmin, demo_path: Path, tmp_path: Path) -> None:
    good, bad = tmp_path / "F-9.pdf", tmp_path / "notes.txt"
    good.write_bytes(sample_invoices.facturx_pdf("F-9"))
    bad.write_text("hello")
    code, out, _ = akadmin("invoices", "import", str(good), str(bad), "--company", "ACME", "--json", "--config",
                           str(demo_path), "--passphrase-stdin", stdin=PASS)
    results = {Path(row["file"]).name: row for row in json.loads(out)}
    assert code == 1 and results["F-9.pdf"]["status"] == "imported" and results["F-9.pdf"]["invoice_id"]
    assert results["notes.txt"]["status"] == "refused" and results["notes.txt"]["message"]
    akadmin("batch", "run", "CHORUS_STATUS", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    code, out, _ = akadmin("batch", "log", "1", "--json", "--config", str(demo_path), "--passphrase-stdin", stdin=PASS)
    log = json.loads(out)
    assert code == 0 and log["run"] == 1 and log["batch"] == "CHORUS_STATUS" and log["lines"]
    assert {"at", "level", "text"} == set(log["lines"][0])
