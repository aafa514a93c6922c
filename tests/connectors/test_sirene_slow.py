"""A slow answer passes with a warning that says how long it took: in the result, the CLI and the console."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from akadmin_tui.connectors import bridge, probe, sirene
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.registry import run_test
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema
from akadmin_tui.widgets.test_panel import TestPanel, step_content
from tests.functional.conftest import SIZE, make_app
from tests.waiting import settle, wait_until

from .test_chorus import assert_no_secret

# The sandbox's slow fault answers after DELAY_S; the threshold is patched below it so the tests stay quick.
DELAY_S, THRESHOLD_S = 0.5, 0.2
WARNING = re.compile(r"^INSEE answered in 0\.\d s: slow; every SIRET or SIREN lookup will be slow, and batches "
                     r"that look up many SIRETs will take long\.$")


@pytest.fixture
def low_threshold(monkeypatch) -> None:
    monkeypatch.setattr(probe, "SLOW_ANSWER_S", THRESHOLD_S)


async def sirene_test(sandbox):
    async with make_client() as client:
        result = await sirene.test_connection(sirene.SireneAccount(sandbox.sirene.api_url, "demo-sirene-key"), client)
    assert_no_secret(result)
    return result


async def test_a_slow_answer_passes_with_a_warning_naming_its_duration(sandbox, low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    result = await sirene_test(sandbox)
    assert result.passed and result.verdict == "PASSED", result.to_text()
    [step] = result.steps
    assert step.duration_ms >= DELAY_S * 1000
    assert WARNING.match(step.warning), step.warning
    assert f"{step.duration_ms / 1000:.1f} s" in step.warning
    assert result.warnings == [step.warning]


async def test_a_quick_answer_has_no_warning(sandbox) -> None:
    result = await sirene_test(sandbox)
    assert result.passed and result.steps[0].warning == "" and result.warnings == []
    assert "⚠" not in result.to_text() and result.to_json()["warnings"] == []


async def test_the_text_and_json_show_the_warning(sandbox, low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    result = await sirene_test(sandbox)
    text = result.to_text()
    assert text.splitlines()[0].endswith(": PASSED with 1 warning")
    assert f"      ⚠ {result.steps[0].warning}" in text.splitlines()
    document = result.to_json()
    assert document["passed"] and document["verdict"] == "PASSED"
    assert document["warnings"] == [result.steps[0].warning] and document["steps"][0]["warning"] == document["warnings"][0]


def test_the_cli_prints_the_warning_and_still_exits_0(akadmin, editor, sandbox, demo_path: Path,
                                                      low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    code, out, err = akadmin("test", "sirene", "--json", "--config", str(demo_path), "--passphrase-stdin",
                             stdin="akadmin-demo\n")
    assert code == 0, out + err
    [warning] = json.loads(out)["warnings"]
    assert WARNING.match(warning), warning
    code, out, err = akadmin("test", "sirene", "--config", str(demo_path), "--passphrase-stdin", stdin="akadmin-demo\n")
    assert code == 0 and "PASSED with 1 warning" in out and "⚠ INSEE answered in" in out, out + err


async def test_the_console_step_list_shows_the_warning(editor, sandbox, low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    result = await run_test("sirene", editor)
    lines = step_content(result.steps[0]).plain.splitlines()
    assert f"    ⚠ {result.steps[0].warning}" in lines and WARNING.match(result.steps[0].warning)


async def test_every_http_step_warns_not_only_sirene(sandbox, low_threshold) -> None:
    # The check lives in Probe.call, which every HTTP Test step goes through: the Bridge Test warns too.
    sandbox.bridge.set_fault(Fault.SLOW, delay_s=DELAY_S)
    account = bridge.BridgeAccount(sandbox.bridge.api_url, bridge.DEFAULT_VERSION, "demo-bridge-client",
                                   "demo-bridge-secret")
    async with make_client() as client:
        result = await bridge.test_connection(account, client)
    assert result.passed and re.match(r"^Bridge answered in 0\.\d s: slow; ", result.steps[0].warning), result.to_text()


async def test_a_slow_failure_is_a_failure_not_a_warning(sandbox, low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    async with make_client() as client:
        result = await sirene.test_connection(sirene.SireneAccount(sandbox.sirene.api_url, "not-the-key"), client)
    assert not result.passed and result.warnings == [] and "INSEE refused the API key" in result.failed_step.diagnosis


async def test_the_console_panel_shows_the_warning_and_counts_it(editor, sandbox, demo_path: Path,
                                                                low_threshold) -> None:
    sandbox.sirene.set_fault(Fault.SLOW, delay_s=DELAY_S)
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.open_section(schema.SIRENE.id)
        await wait_until(pilot, lambda: view.is_mounted and app.focused is not None, what="the API Sirene form")
        await pilot.press("f5")
        panel = view.query_one(TestPanel)
        await wait_until(pilot, lambda: panel.has_class("-passed") or panel.has_class("-failed"), what="the verdict")
        text = "\n".join(str(static.render()) for static in panel.query("Static"))
    assert panel.has_class("-passed"), text
    assert "⚠ INSEE answered in 0." in text and "with 1 warning (see above)" in text
