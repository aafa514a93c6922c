"""Dotted key paths."""

from __future__ import annotations

import pytest

from akadmin_tui.settings.keys import KeyPathError, format_key, parse_key


@pytest.mark.parametrize(
    "text, path",
    [
        ("interfaces.chorus.retry_count", ("interfaces", "chorus", "retry_count")),
        ('special_parameters.chorus."*****".piste_secret', ("special_parameters", "chorus", "*****", "piste_secret")),
        ("special_parameters.chorus.*****.id", ("special_parameters", "chorus", "*****", "id")),
        ('companies."A.B".name', ("companies", "A.B", "name")),
    ],
)
def test_parse(text: str, path: tuple[str, ...]) -> None:
    assert parse_key(text) == path


def test_format_round_trips_and_quotes_only_when_needed() -> None:
    path = ("special_parameters", "chorus", "*****", "piste_secret")
    assert format_key(path) == 'special_parameters.chorus."*****".piste_secret'
    assert parse_key(format_key(path)) == path
    assert format_key(("a", 'say "hi"')) == 'a."say \\"hi\\""'
    assert parse_key(format_key(("a", 'say "hi"'))) == ("a", 'say "hi"')


@pytest.mark.parametrize("bad", ["", "a..b", "a.", '"open', '"x"y'])
def test_bad_keys_are_refused(bad: str) -> None:
    with pytest.raises(KeyPathError):
        parse_key(bad)
