"""What a Test's outcome leaves in the state database, whoever ran it (the console or `akadmin test`)."""

from __future__ import annotations

from ..connectors.result import TestResult
from ..settings import schema
from ..settings.editor import SettingsEditor
from ..settings.resolve import resolve_chorus
from .state import StateStore

CHORUS_TEST = "chorus"


def remember_test_outcome(state: StateStore, editor: SettingsEditor, test_name: str, company: str | None,
                          result: TestResult) -> None:
    """After a passed CHORUS Test, record the environment the Chorus setup that applied passed on; nothing else.

    `company` is the company the Test ran for (None: the ***** setup); the environment-change warning reads this.
    """
    if test_name != CHORUS_TEST or not result.passed:
        return
    setup = resolve_chorus(editor.config.plain(), company).setup
    if setup:
        state.record_pass(CHORUS_TEST, setup, editor.values(schema.CHORUS).get("environment", ""))
