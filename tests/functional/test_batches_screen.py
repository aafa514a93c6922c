"""Batches: hints name keys that work where the focus is, a cron that never fires is refused, rows are readable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Input

from akadmin_tui.settings.schedules import ScheduleError, parse_schedule
from tests.waiting import burst, run_from_palette, settle, wait_for_focus, wait_until

from .conftest import SIZE
from .test_batches_console import (
    add_batch,
    console,
    no_mail,  # noqa: F401  (a fixture, used by name)
    open_batches,
    select_batch,
)


async def test_the_started_hint_names_a_key_that_works_from_the_form(demo_path: Path, notes, no_mail) -> None:  # noqa: F811
    add_batch(demo_path, "CHK1")
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        view.form.row("BATCH_MAIL").editor.focus()
        await wait_for_focus(pilot, "Input")
        await pilot.press("f5")
        await wait_until(pilot, lambda: any("CHK1 started" in note for note in notes), what="the started notice")
        started = next(note for note in notes if "CHK1 started" in note)
        # From a field, a bare letter types into it: the hint names Escape first (or no letter at all).
        assert "Escape, then h shows its log" in started or " h shows its log" not in started, started
        assert isinstance(app.focused, Input)


@pytest.mark.parametrize("cron", ["0 6 31 2 *", "0 0 30 2 *", "0 6 31 4,6,9,11 *"])
def test_a_cron_that_never_fires_is_refused(cron: str) -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        parse_schedule(cron, now=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))


def test_a_cron_of_29_february_still_fires() -> None:
    assert parse_schedule("0 6 29 2 *", now=dt.datetime(2026, 12, 4, tzinfo=dt.UTC)).cron == "0 6 29 2 *"


async def test_cells_cut_in_the_table_are_shown_whole_above_the_form(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1", label="Statuses of the invoices sent to CHORUS PRO for every company")
    app = console(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        await wait_until(pilot, lambda: "for every company" in str(view.summary("CHK1")), what="the full label")
        # What the table cuts, the line above the form shows whole.
        summary = str(view.summary("CHK1"))
        for cell in view._cells["CHK1"]:
            assert cell in summary or cell in ("CHK1",), cell


async def test_the_schedule_hint_follows_a_revert(demo_path: Path) -> None:
    add_batch(demo_path, "CHK1", schedule="every 6h")
    app = console(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHK1")
        form = view.form
        hint = form.query_one(".schedule-next")
        saved_hint = str(hint.render())
        assert "every 6 h" in saved_hint
        form.row("schedule").editor.focus()
        await wait_for_focus(pilot, "#input-schedule")
        await pilot.press("ctrl+u", *"every 2h")
        await wait_until(pilot, lambda: "every 2 h" in str(hint.render()), what="the hint of the typed schedule")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: form.row("schedule").editor.value == "every 6h", what="the schedule reverted")
        await wait_until(pilot, lambda: str(hint.render()) == saved_hint, what="the hint of the saved schedule again")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_focused_parameter_is_on_screen_with_room_to_type(demo_path: Path, size) -> None:
    app = console(demo_path)
    async with app.run_test(size=size) as pilot:
        view = await open_batches(app, pilot)
        await select_batch(view, pilot, "CHORUS_SEND")
        row = view.form.row("BATCH_MAIL_REPLY_TO")
        row.editor.focus()
        detail = view.query_one("#batch-detail")  # the part of the view the form scrolls in, above the help
        await wait_until(pilot, lambda: detail.region.contains_region(row.editor.region),
                         what="the focused parameter scrolled into view")
        assert row.editor.region.width >= 15, row.editor.region
        # Its description, one cut line while the focus is elsewhere, opens in full.
        description = row.query_one(".param-description")
        await wait_until(pilot, lambda: description.size.height * description.size.width >= len(row.field.help),
                         what="the focused parameter's description in full")


async def test_the_palette_puts_the_focus_on_the_batch_field_it_names(demo_path: Path) -> None:
    app = console(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_focus(pilot, "#menu")
        await run_from_palette(pilot, "BATCH_MAIL_REPLY_TO")
        field = await wait_for_focus(pilot, "#input-BATCH_MAIL_REPLY_TO")
        await settle(pilot)
        detail = app.screen.query_one("#batch-detail")  # above the help panel
        assert detail.region.contains_region(field.region), (field.region, detail.region)
        before = field.value
        burst(pilot, *"ops")  # letters the table would take as its keys (p pauses the batch)
        await wait_until(pilot, lambda: field.value == before + "ops", what="the letters in the field")
