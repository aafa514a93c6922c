"""The console's preferences file: where it is, and how its keymap is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.preferences import Preferences, PreferencesError, parse_preferences, preferences_path, read_preferences


def test_the_file_follows_xdg_config_home_else_the_home_folder(tmp_path: Path) -> None:
    assert preferences_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "akadmin" / "ui.toml"
    assert preferences_path({"XDG_CONFIG_HOME": ""}) == Path.home() / ".config" / "akadmin" / "ui.toml"


def test_a_keymap_maps_binding_ids_to_keys_quoted_or_dotted() -> None:
    text = '[keymap]\nakadmin.save = "ctrl+w"\n"akadmin.help" = "f10, question_mark"\n'
    assert parse_preferences(text).keymap == {"akadmin.save": "ctrl+w", "akadmin.help": "f10,question_mark"}


def test_no_keymap_and_no_file_mean_the_default_keys(tmp_path: Path) -> None:
    assert parse_preferences("") == Preferences()
    assert read_preferences(tmp_path / "absent.toml") == Preferences()


@pytest.mark.parametrize(("text", "reason"), [
    ("[keymap", "is not valid TOML"),
    ('keymap = "ctrl+s"', "keymap must be a table"),
    ("[keymap]\n\"akadmin.save\" = 5", "'akadmin.save' must be keys separated by commas"),
    ("[keymap]\n\"akadmin.save\" = \"\"", "'akadmin.save' must be keys separated by commas"),
    ("[keymap]\n\"akadmin.save\" = \"ctrl+w,\"", "'akadmin.save' must be keys separated by commas"),
])
def test_an_invalid_file_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(PreferencesError, match=reason) as refused:
        parse_preferences(text, "/home/me/.config/akadmin/ui.toml")
    assert str(refused.value).startswith("/home/me/.config/akadmin/ui.toml")


def test_an_unreadable_file_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "ui.toml").mkdir()
    with pytest.raises(PreferencesError, match="cannot be read"):
        read_preferences(tmp_path / "ui.toml")
    (tmp_path / "latin1.toml").write_bytes(b'[keymap]\n"akadmin.save" = "\xe9"\n')
    with pytest.raises(PreferencesError, match="cannot be read"):
        read_preferences(tmp_path / "latin1.toml")
