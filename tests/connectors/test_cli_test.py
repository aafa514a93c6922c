"""`akadmin test SECTION` against the sandbox: text, JSON and exit codes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from akadmin_tui.sandbox.server import Fault


def test_chorus_passes_with_json(akadmin, editor, demo_path: Path) -> None:
    code, out, err = akadmin("test", "chorus", "--company", "ACME", "--json", "--config", str(demo_path),
                             "--passphrase-stdin", stdin="akadmin-demo\n")
    assert code == 0, err
    result = json.loads(out)
    assert result["passed"] and [s["name"] for s in result["steps"]] == ["PISTE token", "Supplier structures"]
    assert "demo-acme-secret" not in out and "demo-acme-chorus" not in out


def test_a_failure_exits_1_with_its_diagnosis(akadmin, editor, sandbox, demo_path: Path) -> None:
    sandbox.sirene.set_fault(Fault.WRONG_CREDENTIALS)
    code, out, _ = akadmin("test", "sirene", "--config", str(demo_path), "--passphrase-stdin", stdin="akadmin-demo\n")
    assert code == 1
    assert "FAILED" in out and "INSEE refused the API key (401)" in out


def test_unknown_sections_and_misplaced_company_exit_2(akadmin, demo_path: Path) -> None:
    assert akadmin("test", "nope", "--config", str(demo_path))[0] == 2
    code, _, err = akadmin("test", "sirene", "--company", "ACME", "--config", str(demo_path))
    assert code == 2 and "chorus only" in err


def test_a_configuration_problem_exits_2(akadmin, editor, demo_path: Path) -> None:
    code, out, _ = akadmin("test", "chorus", "--company", "NOPE", "--config", str(demo_path), "--passphrase-stdin",
                           stdin="akadmin-demo\n")
    assert code == 2 and "company NOPE is not in Companies" in out


async def test_an_answer_that_breaks_a_connector_becomes_a_failed_step(editor, monkeypatch) -> None:
    from akadmin_tui.connectors import registry

    async def broken(*args):
        raise AttributeError("'int' object has no attribute 'strip' (secret-in-text)")

    entry = registry.TEST_NAMES["sirene"]
    monkeypatch.setitem(registry.TEST_NAMES, "sirene", dataclasses.replace(entry, runner=broken))
    result = await registry.run_test("sirene", editor)
    assert not result.passed and result.failed_step.name == "Unexpected answer"
    assert "AttributeError" in result.failed_step.diagnosis and "secret-in-text" not in result.to_text()
