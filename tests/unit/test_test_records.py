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
PASSED = TestResult("chorus", "", [Step("PISTE token", Outcome.PASSED)])
FAILED = TestResult("chorus", "", [Step("PISTE token", Outcome.FAILED)])


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


def test_a_passed_chorus_test_records_the_setup_that_applied_and_the_environment(editor, state) -> None:
    remember_test_outcome(state, editor, "chorus", "ACME", PASSED)
    assert state.last_pass("chorus", "ACME").environment == "qualification"
    # BETA has no setup of its own: the ***** setup applied, and it is the one that passed.
    remember_test_outcome(state, editor, "chorus", "BETA", PASSED)
    assert state.last_pass("chorus", "BETA") is None
    assert state.last_pass("chorus", schema.DEFAULT_COMPANY).environment == "qualification"


def test_a_failed_test_or_another_test_records_nothing(editor, state) -> None:
    remember_test_outcome(state, editor, "chorus", "ACME", FAILED)
    remember_test_outcome(state, editor, "sirene", None, TestResult("sirene", "", [Step("Token", Outcome.PASSED)]))
    assert state.last_pass("chorus", "ACME") is None
    assert state.last_pass("sirene", schema.DEFAULT_COMPANY) is None
