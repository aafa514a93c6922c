"""What the console advertises is what it does: no Save keys when read-only, no palette before unlocking, named losses."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from akadmin_tui.app import unsaved_question
from akadmin_tui.dialogs.confirm import ConfirmScreen
from akadmin_tui.screens.unlock import UnlockScreen
from akadmin_tui.settings import schema
from tests.waiting import settle, wait_for_focus, wait_for_screen, wait_until

from .conftest import SIZE, make_app

SAVE_KEYS = {"ctrl+s", "f2", "ctrl+r", "f3"}


def footer_keys(app) -> set[str]:
    """The keys the footer shows."""
    return {active.binding.key for active in app.screen.active_bindings.values() if active.enabled and active.binding.show}


async def test_a_read_only_console_offers_no_save_or_revert_keys(demo_path: Path) -> None:
    app = make_app(demo_path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        for section in (schema.MAIL, schema.COMPANIES, schema.CHORUS_SPECIAL):
            view = app.screen.open_section(section.id)
            await wait_until(pilot, lambda view=view: app.focused is not None and view in app.focused.ancestors,
                             what=f"the focus in {section.id}")
            assert not SAVE_KEYS & footer_keys(app), section.id
            await settle(pilot)
            shown = [button for button in view.query(".field-save") if button.visible and button.region.area]
            assert not shown, f"{section.id}: {len(shown)} Save button(s) on a read-only console"


async def test_a_writable_console_offers_them(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.open_section(schema.MAIL.id)
        await wait_until(pilot, lambda: app.focused is not None and view in app.focused.ancestors, what="the Mail form")
        assert footer_keys(app) >= {"ctrl+s", "f2"}  # the reverts work too, named in F1 to keep the footer short
        assert {"ctrl+r", "f3"} <= {key for key, active in app.screen.active_bindings.items() if active.enabled}


async def test_the_unlock_screen_offers_no_palette(demo_path: Path) -> None:
    app = make_app(demo_path, passphrase=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, UnlockScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        assert "ctrl+p" not in footer_keys(app)
        assert "palette" not in " ".join(str(s.render()) for s in app.screen.query("FooterKey, FooterLabel"))


async def test_the_quit_question_names_the_fields_it_would_lose(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.open_section(schema.MAIL.id)
        host = await wait_for_focus(pilot, "#input-smtp_host")
        assert isinstance(host, Input)
        await pilot.press("end", "x")
        await wait_until(pilot, lambda: view.pending_count() == 1, what="the field to count as modified")
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmScreen)
        assert "Mail server > SMTP server" in app.screen.question
        assert app.screen.question.startswith("1 field is modified but not saved")


def test_the_question_names_five_fields_then_counts_the_rest() -> None:
    question = unsaved_question([f"Banks > B{n} > Name" for n in range(7)])
    assert question.startswith("7 fields are modified") and "B4 > Name; and 2 more" in question and "B5" not in question
