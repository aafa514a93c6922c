"""The accounting connectors are found by module: an integration is its schema entry plus, when it has an API, one module."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from akadmin_tui.connectors import accounting
from akadmin_tui.connectors.accounting import connect, connector_for, connectors
from akadmin_tui.settings import schema
from akadmin_tui.settings.accounting import INTEGRATIONS
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

# A module that an integration without an API today would add, and nothing else.
PINGWIN_MODULE = '''
from akadmin_tui.connectors.probe import Probe
from akadmin_tui.connectors.result import TestResult
from akadmin_tui.connectors.accounting.base import AccountingConnector


class PingWinConnector(AccountingConnector):
    name = "pingwin"

    async def connect(self, editor, name, values, client, on_step=None):
        result = TestResult("accounting", name)
        Probe(result, on_step=on_step).passed("PingWin file", f"file {values['file_id']} answers")
        return result


CONNECTOR = PingWinConnector()
'''
PINGWIN = {"integration": "pingwin", "terms_accepted": True, "api_key": "k-123", "clid": "C1", "file_id": "F9"}


@pytest.fixture
def extra_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A folder searched as part of the connectors package, as if its modules were shipped there."""
    folder = tmp_path / "more_connectors"
    folder.mkdir()
    monkeypatch.setattr(accounting, "__path__", [*accounting.__path__, str(folder)])
    accounting._discovered.cache_clear()
    yield folder
    accounting._discovered.cache_clear()
    sys.modules.pop(f"{accounting.__name__}.pingwin", None)  # the next test writes its own


def test_every_connector_is_an_integration_of_the_schema() -> None:
    assert set(connectors()) <= set(INTEGRATIONS)
    assert all(connector.name == name for name, connector in connectors().items())
    # Those with an API have a connector; those without have none and are never counted as checked.
    assert {"inqom", "sftp", "dropbox", "exact_online", "yuki"} <= {n for n, c in connectors().items() if c.can_connect}
    assert connector_for("pingwin") is None and connector_for("wings_online") is None


async def test_an_integration_is_added_by_one_module(config: ConfigFile, extra_modules: Path) -> None:
    editor = SettingsEditor(config)
    editor.create(schema.ACCOUNTING, "PW", PINGWIN)
    before = await connect(editor, "PW")
    assert before.verdict == "NOT CHECKED"  # no module yet: no API akadmin can call
    (extra_modules / "pingwin.py").write_text(PINGWIN_MODULE, encoding="utf-8")
    importlib.invalidate_caches()  # the folder was listed before the module was there
    accounting._discovered.cache_clear()
    after = await connect(editor, "PW")
    assert after.verdict == "PASSED", after.to_text()
    assert after.steps[-1].detail == "file F9 answers"


async def test_a_module_that_cannot_load_is_reported_at_connect(config: ConfigFile, extra_modules: Path) -> None:
    (extra_modules / "pingwin.py").write_text("import a_library_that_is_not_installed\n", encoding="utf-8")
    editor = SettingsEditor(config)
    editor.create(schema.ACCOUNTING, "PW", PINGWIN)
    result = await connect(editor, "PW")
    assert result.verdict == "FAILED"
    assert "The PingWin check cannot be loaded (ModuleNotFoundError): reinstall akadmin." in result.failed_step.diagnosis
