"""What a Test's outcome leaves in the state database, whoever ran it (the console or `akadmin test`)."""

from __future__ import annotations

from ..connectors.result import TestResult
from ..settings import schema
from ..settings.editor import SettingsEditor
from .state import StateStore

CHORUS_TEST = "chorus"


def records_outcome(test_name: str, result: TestResult) -> bool:
    """True when this Test's outcome leaves something in the state database (so it is worth opening)."""
    return test_name == CHORUS_TEST and result.passed


def remember_test_outcome(state: StateStore, editor: SettingsEditor, test_name: str, result: TestResult) -> None:
    """After a passed CHORUS Test, record the environment the Chorus setup it checked passed on; nothing else.

    The environment-change warning of Special parameters > Chorus reads this, whoever ran the Test.
    """
    if records_outcome(test_name, result) and result.checked:
        state.record_pass(CHORUS_TEST, result.checked, editor.values(schema.CHORUS).get("environment", ""))
