"""On terminals without box-drawing glyphs (TERM=linux, vt100) the console draws with ASCII only."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color

from akadmin_tui import cli
from akadmin_tui.app import AkadminApp
from akadmin_tui.ascii_mode import terminal_needs_ascii, to_ascii
from akadmin_tui.settings import schema
from akadmin_tui.settings.session import ConfigOpener
from tests.waiting import run_from_palette, wait_for_focus, wait_until

from .conftest import DEMO_PASSPHRASE, QUIET_CLOCK


def screen_text(app: AkadminApp) -> list[str]:
    """The lines the console writes to the terminal, after its output filters."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        segments = list(strip)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, Color(0, 0, 0))
        lines.append("".join(segment.text for segment in segments))
    return lines


def test_legacy_terminals_and_non_utf8_output_need_ascii() -> None:
    for term in ("linux", "vt100", "vt220", "dumb", "vt100-am"):
        assert terminal_needs_ascii({"TERM": term}, "utf-8"), term
    assert not terminal_needs_ascii({"TERM": "xterm-256color"}, "utf-8")
    assert not terminal_needs_ascii({"TERM": "tmux-256color"}, "UTF-8")
    assert terminal_needs_ascii({"TERM": "xterm"}, "ANSI_X3.4-1968")
    assert terminal_needs_ascii({"TERM": "xterm", "AKADMIN_ASCII": "1"}, "utf-8")


def test_glyphs_become_ascii_of_the_same_width_and_letters_stay() -> None:
    assert to_ascii("├ ▼ Akuiteo Connect ▕") == "+ v Akuiteo Connect |"
    assert to_ascii("🔎") == "? "  # two cells wide, as the emoji was
    assert to_ascii("Société générale ●") == "Société générale *"


def test_the_ascii_option_is_on_the_command_line_before_and_after_demo() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["--ascii", "demo"]).ascii is True
    assert parser.parse_args(["demo", "--ascii"]).ascii is True
    assert parser.parse_args(["demo"]).ascii is False


async def test_an_ascii_console_writes_only_ascii(demo_path: Path) -> None:
    opener = ConfigOpener(demo_path)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="test-host", batch_clock=lambda: QUIET_CLOCK,
                     ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_focus(pilot, "#menu")
        lines = screen_text(app)
        assert all(line.isascii() for line in lines), "\n".join(line for line in lines if not line.isascii())
        assert any(line.startswith("v Third-party interfaces") for line in lines)
        app.screen.open_section(schema.MAIL.id)
        await wait_for_focus(pilot, "#input-smtp_host")
        assert all(line.isascii() for line in screen_text(app))
        await run_from_palette(pilot, "Chorus > BETA")
        await wait_until(pilot, lambda: all(line.isascii() for line in screen_text(app)), what="only ASCII on the Chorus tabs")
