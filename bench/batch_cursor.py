"""How long the Batches view takes to show the selected batch's form after a cursor move in its table.

Run: .venv/bin/python bench/batch_cursor.py [moves]
Headless (App.run_test, 120×40) on a fresh demo configuration, with the batches' clock fixed far from any schedule
so no batch fires. The cursor sweeps the table up and down (built-in tasks show a card, batches their form); a move
counts from the table's own cursor action (what ↑ ↓ call) until the new row's detail is on screen and painted.
Textual draws at most 60 frames a second, so up to about 16 ms of each figure is waiting for the next frame.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual.widgets import DataTable, Static

from akadmin_tui.app import AkadminApp
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE, build_demo_config
from akadmin_tui.screens.batches_view import BatchesView
from akadmin_tui.settings import schema
from akadmin_tui.settings.session import ConfigOpener

MOVES = 20
SIZE = (120, 40)
QUIET_CLOCK = dt.datetime(2031, 1, 5, 3, 0, tzinfo=dt.UTC)


def detail_shown(view: BatchesView, code: str) -> bool:
    """True once the detail of `code` is on screen: its form holding its values, or its built-in card."""
    spec = view._specs.get(code)
    if spec is None:
        return False
    if spec.builtin:
        card = view.query_one("#builtin-card", Static)
        return bool(card.display) and str(card.render()).startswith(code)
    form = view.form
    return (form is not None and form.is_mounted and form.record_key == code and bool(form.rows)
            and form.row("label").raw_text() == str(view.editor.values(schema.BATCHES, code).get("label") or ""))


async def painted(app: AkadminApp) -> None:
    """Wait until the screen has been refreshed once more."""
    done = asyncio.Event()
    app.screen.call_after_refresh(done.set)
    await done.wait()


async def measure(path: Path, moves: int) -> None:
    opener = ConfigOpener(path)
    app = AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="bench", batch_clock=lambda: QUIET_CLOCK)
    async with app.run_test(size=SIZE) as pilot:
        while not hasattr(app.screen, "open_section"):
            await asyncio.sleep(0.005)
        view = app.screen.open_section(schema.BATCHES.id)
        while not (view.is_mounted and view.form is not None and view.form.is_mounted):
            await asyncio.sleep(0.005)
        table = view.query_one("#batch-table", DataTable)
        table.focus()
        await pilot.pause()
        rows = table.row_count
        samples: list[tuple[str, bool, float]] = []
        step = 1
        for _ in range(moves):
            if not 0 <= table.cursor_row + step < rows:
                step = -step
            begin = time.perf_counter()
            (table.action_cursor_down if step > 0 else table.action_cursor_up)()
            code = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
            while not detail_shown(view, code):
                await asyncio.sleep(0.0005)
            await painted(app)
            samples.append((code, not view._specs[code].builtin, (time.perf_counter() - begin) * 1000))

    every = sorted(ms for _, _, ms in samples)
    forms = sorted(ms for _, is_form, ms in samples if is_form)
    print(f"cursor moves: {len(samples)} over {rows} rows ({len(forms)} onto a batch's form, the others onto a "
          "built-in task's card)")
    print(f"every move: median {statistics.median(every):.0f} ms, max {every[-1]:.0f} ms")
    if forms:
        print(f"onto a form: median {statistics.median(forms):.0f} ms, max {forms[-1]:.0f} ms")
    print("moves: " + ", ".join(f"{code} {ms:.0f}" for code, _, ms in samples))


def main() -> None:
    moves = int(sys.argv[1]) if len(sys.argv) > 1 else MOVES
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        # The admin's own keymap and state stay out of the figures.
        os.environ["XDG_CONFIG_HOME"] = str(home / "config")
        os.environ["XDG_STATE_HOME"] = str(home / "state")
        path = home / "demo" / "config.toml"
        path.parent.mkdir()
        build_demo_config(path, DEMO_PASSPHRASE)
        asyncio.run(measure(path, moves))


if __name__ == "__main__":
    main()
