"""Which Chorus setup applies (seed 001), and moving a setup from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akadmin_tui.batches.migrations import MIGRATIONS
from akadmin_tui.batches.state import StateStore
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.resolve import resolve_chorus
from akadmin_tui.settings.store import ConfigFile

SETUP = {"piste_client_id": "id", "piste_secret": "s", "chorus_login": "L", "chorus_password": "p"}


@pytest.fixture
def editor(config: ConfigFile) -> SettingsEditor:
    editor = SettingsEditor(config)
    editor.apply(schema.CHORUS, None, {"active": True})
    for code in ("ACME", "BETA"):
        editor.create(schema.COMPANIES, code, {"name": code})
    return editor


def test_inactive_chorus_transfers_nothing(editor: SettingsEditor) -> None:
    editor.apply(schema.CHORUS, None, {"active": False})
    resolution = resolve_chorus(editor.config.plain(), "ACME")
    assert resolution.setup is None and "not active" in resolution.reason


def test_an_enabled_specific_setup_is_used(editor: SettingsEditor) -> None:
    editor.apply(schema.CHORUS_SPECIAL, "ACME", {"enabled": True, **SETUP})
    resolution = resolve_chorus(editor.config.plain(), "ACME")
    assert (resolution.setup, resolution.falls_back) == ("ACME", False)


def test_without_one_the_default_is_used_with_a_warning(editor: SettingsEditor) -> None:
    editor.apply(schema.CHORUS_SPECIAL, "*****", {"enabled": True, **SETUP})
    editor.apply(schema.CHORUS_SPECIAL, "BETA", {"enabled": False})
    resolution = resolve_chorus(editor.config.plain(), "BETA")
    assert resolution.setup == "*****" and resolution.falls_back and "should not be" in resolution.reason


def test_otherwise_nothing_is_transferred(editor: SettingsEditor) -> None:
    resolution = resolve_chorus(editor.config.plain(), "BETA")
    assert resolution.setup is None and "neither company BETA nor *****" in resolution.reason
    assert resolve_chorus(editor.config.plain(), "NOPE").reason == "company NOPE is not in Companies"
    assert resolve_chorus(editor.config.plain(), None).setup is None


def test_resolve_and_copy_commands(akadmin, editor: SettingsEditor, config_path: Path, key_file: Path) -> None:
    editor.config.lock.release()
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    editor.apply(schema.CHORUS_SPECIAL, "ACME", {"enabled": True, **SETUP})
    code, out, _ = akadmin("chorus", "resolve", "ACME", "--json", *base)
    assert code == 0 and json.loads(out)["setup"] == "ACME"
    code, out, _ = akadmin("chorus", "resolve", "BETA", *base)
    assert code == 1 and "no setup: not transferred" in out
    code, _, err = akadmin("chorus", "copy", "--from", "ACME", "--to", "BETA", *base)
    assert code == 0, err
    reopened = SettingsEditor(ConfigFile.load(config_path, key_file=key_file))
    assert reopened.values(schema.CHORUS_SPECIAL, "BETA")["piste_secret"] == "s"
    assert not reopened.exists(schema.CHORUS_SPECIAL, "ACME")
    reopened.apply(schema.CHORUS_SPECIAL, "ACME", {"chorus_login": "OTHER"})
    code, _, err = akadmin("chorus", "copy", "--from", "ACME", "--to", "BETA", *base)
    assert code == 2 and "already has a specific setup; add --yes" in err
    assert akadmin("chorus", "copy", "--from", "ACME", "--to", "BETA", "--yes", *base)[0] == 0


def test_an_environment_change_since_the_last_pass_is_flagged(akadmin, editor: SettingsEditor,
                                                              config_path: Path, key_file: Path) -> None:
    from akadmin_tui.batches.state import StateStore, chorus_environment_warnings, state_path_for

    editor.config.lock.release()
    editor.apply(schema.CHORUS_SPECIAL, "ACME", {"enabled": True, **SETUP})
    store = StateStore(state_path_for(config_path))
    store.record_pass("chorus", "ACME", "production")
    assert chorus_environment_warnings(editor.config.plain(), store) == {}
    editor.apply(schema.CHORUS, None, {"environment": "qualification", "max_calls_per_second": 1})
    warnings = chorus_environment_warnings(editor.config.plain(), store)
    assert "last passed on production" in warnings["ACME"] and "now qualification" in warnings["ACME"]
    store.close()
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 0 and "warning: special_parameters.chorus.ACME: its Test last passed on production" in err
    assert oct(state_path_for(config_path).stat().st_mode & 0o777) == "0o600"


def test_the_state_database_is_migrated_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    import sqlite3

    from akadmin_tui.batches.state import StateError, StateStore

    path = tmp_path / "x.state.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StateError, match="newer akadmin"):
        StateStore(path)


def test_processes_opening_a_new_state_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    """A console and `akadmin scheduler` starting together both open (and migrate) the same new file."""
    import multiprocessing

    path = tmp_path / "shared.state.sqlite"
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        outcomes = pool.map(_open_state, [str(path)] * 12)
    assert outcomes == ["ok"] * 12
    store = StateStore(path)
    assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
    store.close()


def _open_state(path: str) -> str:
    try:
        StateStore(Path(path)).close()
    except Exception as error:  # noqa: BLE001 - the test reports what went wrong in the child
        return f"{type(error).__name__}: {error}"
    return "ok"
