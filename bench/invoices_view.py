"""How fluid the Invoices view stays with 100 000 invoices: time to first paint, then every page-down to the end.

Run: .venv/bin/python bench/invoices_view.py [rows]
Headless (App.run_test, 120×40). A "paint" is a frame in which every visible row is read and rendered, not "…".
Keys are sent as the table's own actions (what its bindings call): Pilot.press adds its own idle waits, which
would measure the test harness rather than the view. Textual draws at most 60 frames a second, so about 8 ms of
each figure is waiting for the next frame.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult

from akadmin_tui.batches.state import StateStore
from akadmin_tui.screens.invoices_view import InvoicesView
from akadmin_tui.widgets.invoice_table import InvoiceTable

ROWS = 100_000
SIZE = (120, 40)
STYLES = Path(__file__).resolve().parents[1] / "akadmin_tui" / "styles" / "app.tcss"


def fill(state: StateStore, rows: int) -> None:
    """`rows` invoices, spread over three companies and the usual CHORUS statuses."""
    stamp = "2026-11-20T10:00:00+00:00"
    statuses = ("", "DEPOSEE", "MISE_A_DISPOSITION", "REJETEE", "MISE_EN_PAIEMENT")
    with state.transaction() as db:
        db.executemany(
            "INSERT INTO invoices (company, number, issue_date, amount, customer, file_path, file_name, file_sha256, "
            "syntax, transfer_state, chorus_status, chorus_status_at, imported_at, updated_at) "
            "VALUES (?, ?, '2026-11-01', ?, ?, '', '', '', 'UBL', 'transferred', ?, ?, ?, ?)",
            ((("ACME", "BETA", "GAMMA")[i % 3], f"F-{i:07d}", f"{i % 9000 + 10}.00", f"Customer {i % 997}",
              statuses[i % 5], stamp, stamp, stamp) for i in range(1, rows + 1)))


class Painted:
    """Counts frames whose visible rows were all read, by wrapping the table's render_line."""

    def __init__(self) -> None:
        self.frames = 0
        original = InvoiceTable.render_line

        def render_line(table: InvoiceTable, y: int):
            strip = original(table, y)
            if y == table.size.height - 1 and table.visible_loaded():
                self.frames += 1
            return strip

        InvoiceTable.render_line = render_line


class Bench(App):
    """Only the view under test."""

    CSS_PATH = str(STYLES)

    def __init__(self, state: StateStore) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield from ()


async def wait_painted(pilot, painted: Painted, after: int) -> None:
    while painted.frames <= after:
        await asyncio.sleep(0.0005)


async def measure(state: StateStore, rows: int) -> None:
    painted = Painted()
    app = Bench(state)
    async with app.run_test(size=SIZE) as pilot:
        gc.freeze()  # as the console does once its main screen is up
        start = time.perf_counter()
        await app.screen.mount(InvoicesView(state))
        table = app.screen.query_one(InvoiceTable)
        table.focus()
        await wait_painted(pilot, painted, 0)
        first_paint = time.perf_counter() - start
        while table.count is None:
            await asyncio.sleep(0.001)
        counted = time.perf_counter() - start

        samples = []
        while table.cursor < (table.count or 0) - 1:
            frames = painted.frames
            begin = time.perf_counter()
            table.action_page(1)
            await wait_painted(pilot, painted, frames)
            samples.append((time.perf_counter() - begin) * 1000)

        frames = painted.frames
        begin = time.perf_counter()
        table.action_jump(0)
        await wait_painted(pilot, painted, frames)
        home_ms = (time.perf_counter() - begin) * 1000
        frames = painted.frames
        begin = time.perf_counter()
        table.action_jump(-1)
        await wait_painted(pilot, painted, frames)
        end_ms = (time.perf_counter() - begin) * 1000
        pages = table.loaded_pages

    samples.sort()
    print(f"invoices: {rows:,}".replace(",", " "))
    print(f"first paint (view mounted → visible rows drawn): {first_paint * 1000:.0f} ms; count known: "
          f"{counted * 1000:.0f} ms")
    print(f"page-down to the end: {len(samples)} presses, {sum(samples) / 1000:.1f} s in all; per press: median "
          f"{statistics.median(samples):.1f} ms, p95 {samples[int(len(samples) * 0.95)]:.1f} ms, "
          f"max {samples[-1]:.1f} ms")
    print(f"Home: {home_ms:.1f} ms; End: {end_ms:.1f} ms; pages in memory at the end: {pages}")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder) / "bench.state.sqlite")
        fill(state, rows)
        asyncio.run(measure(state, rows))
        state.close()


if __name__ == "__main__":
    main()
