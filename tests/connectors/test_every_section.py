"""Every Test of the demo passes against the sandbox, from the CLI, as the README promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akadmin_tui.connectors import registry
from akadmin_tui.connectors.registry import TEST_NAMES, run_section_test

from .test_chorus import DEMO_SECRETS, assert_no_secret


@pytest.mark.parametrize("name", sorted(TEST_NAMES))
def test_each_cli_test_passes_on_the_demo(akadmin, editor, demo_path: Path, name: str) -> None:
    extra = ["--company", "ACME"] if TEST_NAMES[name].uses_company else []
    code, out, err = akadmin("test", name, *extra, "--json", "--config", str(demo_path), "--passphrase-stdin",
                             stdin="akadmin-demo\n")
    result = json.loads(out)
    assert code == 0, out + err
    assert result["passed"] and result["section"] == name
    assert not [secret for secret in DEMO_SECRETS if secret in out]


@pytest.mark.parametrize("section_id", registry.tested_sections())
async def test_each_section_button_passes(editor, section_id: str) -> None:
    company = "ACME" if section_id == "chorus" else None
    result = await run_section_test(section_id, editor, company=company)
    assert result.passed, result.to_text()
    assert_no_secret(result)


async def test_exchange_button_runs_ews_and_graph_with_titled_steps(editor) -> None:
    result = await run_section_test("exchange", editor)
    names = [step.name for step in result.steps]
    assert any(n.startswith("Exchange (EWS): ") for n in names) and any(n.startswith("Microsoft Graph: ") for n in names)
