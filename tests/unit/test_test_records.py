"""What a Test's outcome records: the environment a Chorus setup passed on, and nothing for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.batches.state import StateStore
from akadmin_tui.batches.test_records import remember_test_outcome
from akadmin_tui.connectors.result import Outcome, Step, TestResult
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

SETUP = {"piste_client_id": "id", "piste_secret": "s", "chorus_login": "L", "chorus_password": "p"}


@pytest.fixture
def editor(config: ConfigFile) -> SettingsEditor:
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"active": True, "environment": "qualification", "max_calls_per_second": 1})
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme"})
    editor.create(schema.COMPANIES, "BETA", {"name": "Beta"})
    editor.apply(schema.CHORUS_SPECIAL, "ACME", SETUP | {"enabled": True})
    editor.apply(schema.CHORUS_SPECIAL, schema.DEFAULT_COMPANY, SETUP | {"enabled": True})
    return editor


@pytest.fixture
def state(tmp_path: Path):
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def passed(checked: str) -> TestResult:
    return TestResult("chorus", "", [Step("PISTE token", Outcome.PASSED)], checked=checked)


def test_a_passed_chorus_test_records_the_setup_it_checked_and_the_environment(editor, state) -> None:
    remember_test_outcome(state, editor, "chorus", passed("ACME"))
    assert state.last_pass("chorus", "ACME").environment == "qualification"
    assert state.last_pass("chorus", schema.DEFAULT_COMPANY) is None
    # A company without a setup of its own is tested with the ***** setup: that one is what passed.
    remember_test_outcome(state, editor, "chorus", passed(schema.DEFAULT_COMPANY))
    assert state.last_pass("chorus", schema.DEFAULT_COMPANY).environment == "qualification"


def test_a_failed_test_or_another_test_records_nothing(editor, state) -> None:
    remember_test_outcome(state, editor, "chorus", TestResult("chorus", "", [Step("PISTE token", Outcome.FAILED)],
                                                              checked="ACME"))
    remember_test_outcome(state, editor, "sirene", TestResult("sirene", "", [Step("Token", Outcome.PASSED)]))
    assert state.last_pass("chorus", "ACME") is None
    assert state.last_pass("sirene", schema.DEFAULT_COMPANY) is None
