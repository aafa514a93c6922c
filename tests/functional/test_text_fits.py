"""Text on screen reads whole at 80×24 and 120×40: it wraps in its column, scrolls, or opens in full; never cut or doubled."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets._select import SelectOverlay

from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.dialogs.accounting import NewConfigurationScreen
from akadmin_tui.dialogs.help import KEYS, HelpScreen
from akadmin_tui.dialogs.new_record import ImportCertificateScreen
from akadmin_tui.screens.invoices_view import InvoicesView
from akadmin_tui.screens.runs_view import RunsView
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.widgets.invoice_table import InvoiceTable
from akadmin_tui.widgets.run_log import RunLog
from tests.waiting import settle, wait_for_focus, wait_for_screen, wait_until

from .conftest import make_app, reload

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def text_lines(widget: Widget) -> list[str]:
    """What a widget renders inside its border and padding, line by line, as plain text."""
    width, height = widget.outer_size
    gutter = widget.styles.gutter
    strips = widget.render_lines(Region(0, 0, width, height))
    return [strip.text[gutter.left:width - gutter.right] for strip in strips[gutter.top:height - gutter.bottom]]


def screen_lines(app) -> list[str]:
    """The whole screen as plain text, one string a row (what the terminal would show)."""
    # The compositor is the only place that holds what every widget painted, overlays and dialogs included.
    return [strip.text for strip in app.screen._compositor.render_strips()]


def words(text: str) -> list[str]:
    return text.split()


async def read_scrolled(pilot, box: Widget) -> list[str]:
    """Every line of a scrolling container, read a screenful at a time from what the screen shows."""
    rows: dict[int, str] = {}
    target = 0
    while True:
        box.scroll_to(y=target, animate=False, immediate=True)
        await settle(pilot)
        region = box.scrollable_content_region
        shown = screen_lines(pilot.app)[region.y:region.bottom]
        for offset, line in enumerate(shown):
            rows[int(box.scroll_y) + offset] = line[region.x:region.right]
        if box.scroll_y >= box.max_scroll_y:
            return [rows[y] for y in sorted(rows)]
        target += region.height


# --- 1. the Microsoft Graph guide -----------------------------------------------------------------------


# Tall enough for the whole guide to show at once: how it wraps depends on the width alone.
@pytest.mark.parametrize("size", [(80, 70), (120, 70)], ids=["80", "120"])
async def test_the_graph_guide_reflows_to_the_width(demo_path: Path, size) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section(schema.EXCHANGE.id, focus=False)
        await wait_until(pilot, lambda: view.query_one(".section-guide").size.width > 0, what="the guide")
        guide = view.query_one(".section-guide")
        guide.scroll_visible(animate=False, immediate=True)
        await settle(pilot)
        region = guide.content_region
        lines = [line[region.x:region.right].rstrip() for line in screen_lines(app)[region.y:region.bottom]]
        width = region.width
        # A paragraph is the heading or one numbered step; its lines break only where the width makes them.
        paragraphs: list[list[str]] = []
        for line in lines:
            if not paragraphs or re.match(r"\d\. ", line):
                paragraphs.append([])
            paragraphs[-1].append(line)
        assert len(paragraphs) == 5, lines
        for shown in paragraphs:
            indent = 3 if re.match(r"\d\. ", shown[0]) else 0  # a step's text hangs under its first word
            for line, next_line in itertools.pairwise(shown):
                assert len(next_line) - len(next_line.lstrip()) == indent, f"not under the step's text:\n{next_line!r}"
                assert len(line) + 1 + len(words(next_line)[0]) > width, (
                    f"the guide breaks a line short of the width {width}:\n{line!r}\n{next_line!r}")
            assert " ".join(words(" ".join(shown))) in " ".join(words(schema.GRAPH_GUIDE))
        assert size[0] > 80 or any(len(shown) > 1 for shown in paragraphs)  # long steps do wrap at 80 columns


# --- 2. the F1 help -------------------------------------------------------------------------------------


@SIZES
async def test_the_help_wraps_each_description_in_its_column(demo_path: Path, size) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        lines = await read_scrolled(pilot, app.screen.query_one("#help-box"))
        at = 0
        wrapped = 0
        for group, keys in KEYS:
            at = next(i for i in range(at, len(lines)) if lines[i].strip() == group)
            for key, what in keys:
                at = next(i for i in range(at + 1, len(lines)) if lines[i].lstrip().startswith(key + " "))
                column = lines[at].index(what.split()[0], lines[at].index(key) + len(key))
                shown = [lines[at][column:]]
                while at + 1 < len(lines) and lines[at + 1].strip() and not lines[at + 1][:column].strip():
                    at += 1
                    shown.append(lines[at][column:])
                wrapped += len(shown) > 1
                assert words(" ".join(shown)) == words(what), (
                    f"{key}: its description does not read whole in its column:\n" + "\n".join(lines[at - 3:at + 2]))
        assert wrapped > 0 if size[0] == 80 else True  # long descriptions do wrap at 80 columns


# --- 3. an invalid certificate --------------------------------------------------------------------------


@SIZES
async def test_an_invalid_certificate_says_why_once(demo_path: Path, tmp_path: Path, size) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section(schema.CERTIFICATES.id, focus=False)
        await wait_until(pilot, lambda: view.query_one("#records").is_mounted, what="the certificates view")
        view.query_one("#records").focus()
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, ImportCertificateScreen)
        dialog = app.screen

        def shown() -> str:
            return "\n".join(str(static.render()) for static in dialog.query(Static) if static.display)

        dialog.query_one("#cert-file", Input).insert_text_at_cursor(str(bad))  # as a paste: one change, one preview
        await wait_until(pilot, lambda: "not an X.509 certificate" in shown(), what="the preview's verdict")
        for key in ("ctrl+s", "enter"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ImportCertificateScreen)
            assert shown().count("not an X.509 certificate") == 1, shown()
            box = dialog.query_one(".dialog").content_region
            rows = [line[box.x:box.right] for line in screen_lines(app)[box.y:box.bottom]]
            assert " ".join(" ".join(rows).split()).count("not an X.509 certificate") == 1, "\n".join(rows)


# --- 4. the New accounting package drop-downs -----------------------------------------------------------


@SIZES
async def test_the_new_configuration_drop_downs_stay_inside_the_dialog(demo_path: Path, size) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        app.screen.open_section(schema.ACCOUNTING.id)
        await wait_for_focus(pilot, "#section-accounting *")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, NewConfigurationScreen)
        dialog = app.screen.query_one(".dialog")
        for select_id in ("#new-integration", "#new-document-type"):
            select = app.screen.query_one(select_id, Select)
            select.focus()
            await wait_for_focus(pilot, select_id)
            await pilot.press("enter")
            overlay = select.query_one(SelectOverlay)
            await wait_until(pilot, lambda overlay=overlay: overlay.display and overlay.region.height > 0,
                             what=f"the {select_id} drop-down open")
            await settle(pilot)
            inside = dialog.region.shrink(dialog.styles.border.spacing)
            assert inside.contains_region(overlay.region), f"{select_id}: {overlay.region} spills out of {inside}"
            await pilot.press("escape")
            await wait_until(pilot, lambda select=select: not select.expanded, what="the drop-down closed")


# --- 5. the companies' codes ------------------------------------------------------------------------------


@SIZES
async def test_the_companies_names_line_up_whatever_the_code_length(demo_path: Path, size) -> None:
    SettingsEditor(reload(demo_path)).create(schema.COMPANIES, "Z9", {"name": "Zed Services"})
    SettingsEditor(reload(demo_path)).create(schema.COMPANIES, "GAMMA_WEST", {"name": "Gamma Ouest"})
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section(schema.COMPANIES.id, focus=False)
        await wait_until(pilot, lambda: view.query_one("#records", OptionList).option_count == 4, what="four companies")
        await settle(pilot)
        records = view.query_one("#records", OptionList)
        lines = [strip.text for strip in records.render_lines(records.scrollable_content_region.reset_offset)]
        names = {"ACME Ingénierie", "Beta Conseil", "Zed Services", "Gamma Ouest"}
        columns = {line.index(name) for line in lines for name in names if name in line}
        assert len(columns) == 1, "\n".join(lines)


# --- 6. cut text: run log lines, CHORUS statuses ------------------------------------------------------------

LONG_LOG = ("Invoice FA-2026-0102 (ACME): deposit refused: the recipient's SIRET 73282932000074 has no active "
            "service code in CHORUS PRO; ask the customer for its service code and send it again "
            "/var/lib/akadmin/outbox/ACME/FA-2026-0102-facturx-en16931.pdf")


def insert_run_with_a_long_line(path: Path) -> None:
    state = StateStore(state_path_for(path))
    with state.transaction() as db:
        run = db.execute("INSERT INTO batch_runs (batch_code, template, trigger, started_at, ended_at, outcome, counts) "
                         "VALUES ('CHORUS_SEND', 'TransfertFacturesChorus', 'manual', '2026-11-20T10:00:00+00:00', "
                         "'2026-11-20T10:00:05+00:00', 'failed', '{}')").lastrowid
        db.executemany("INSERT INTO run_log (run_id, seq, at, level, text) VALUES (?, ?, ?, ?, ?)",
                       [(run, 1, "2026-11-20T10:00:01+00:00", "LOG", "Transfer started."),
                        (run, 2, "2026-11-20T10:00:02+00:00", "ERROR", LONG_LOG),
                        (run, 3, "2026-11-20T10:00:05+00:00", "LOG", "Ended failed.")])
    state.close()


@SIZES
async def test_a_long_log_line_wraps_under_its_text_column(demo_path: Path, size) -> None:
    insert_run_with_a_long_line(demo_path)
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        app.screen.open_runs(None)
        await wait_until(pilot, lambda: app.screen.query_one(RunsView).query_one(RunLog).shown_lines, what="the log")
        log = app.screen.query_one(RunLog)
        await settle(pilot)
        rows = await read_scrolled(pilot, log)  # what the terminal shows, a screenful at a time
        lines = [row.rstrip() for row in rows if row.strip()]
        assert log.max_scroll_x == 0  # nothing hides to the right
        start = next(i for i, line in enumerate(lines) if "ERROR" in line)
        column = lines[start].index("Invoice")
        shown = [lines[start][column:]] + [line[column:] for line in lines[start + 1:] if not line[:column].strip()]
        assert "".join("".join(shown).split()) .startswith("".join(LONG_LOG.split())), "\n".join(lines)
        assert len(shown) > 1


def insert_invoice_with_a_long_status(path: Path) -> None:
    state = StateStore(state_path_for(path))
    stamp = "2026-11-20T10:00:00+00:00"
    with state.transaction() as db:
        db.execute("INSERT INTO invoices (company, number, issue_date, amount, customer, file_path, file_name, "
                   "file_sha256, syntax, transfer_state, chorus_status, chorus_status_at, erp_status, imported_at, "
                   "updated_at) VALUES ('ACME', 'FA-2026-0999', '2026-11-01', '100.00', ?, '/data/x.pdf', 'x.pdf', ?, "
                   "'UBL', 'integrated', 'EN_ATTENTE_RECYCLAGE_FOURNISSEUR', ?, '2 - Transmitted', ?, ?)",
                   ("Centre hospitalier universitaire de Nîmes", "0" * 64, stamp, stamp, stamp))
    state.close()


@SIZES
async def test_a_long_chorus_status_reads_whole_in_the_table_and_on_enter(demo_path: Path, size) -> None:
    insert_invoice_with_a_long_status(demo_path)
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_focus(pilot, "#menu")
        app.screen.open_section("invoices")
        await wait_for_focus(pilot, "#invoice-table")
        view = app.screen.query_one(InvoicesView)
        table = view.query_one(InvoiceTable)
        await wait_until(pilot, lambda: table.count == 1 and table.visible_loaded(), what="the invoice shown")
        # The table scrolls sideways (→): put the pieces of each line back together.
        full: dict[int, list[str]] = {}
        while True:
            await settle(pilot)
            x = int(table.scroll_x)
            for y, strip in enumerate(table.render_lines(table.scrollable_content_region.reset_offset)[:2]):
                line = full.setdefault(y, [" "] * table.virtual_size.width)
                line[x:x + len(strip.text)] = strip.text[:table.virtual_size.width - x]
            if table.scroll_x >= table.max_scroll_x:
                break
            table.scroll_to(x=min(table.max_scroll_x, x + table.scrollable_content_region.width // 2), animate=False,
                            immediate=True)
        row = "".join(full[1])
        assert "EN_ATTENTE_RECYCLAGE_FOURNISSEUR" in row, row
        await pilot.press("enter")
        panel = view.query_one("#invoice-history-text", Static)
        await wait_until(pilot, lambda: view.query_one("#invoice-history").display and panel.size.width > 0,
                         what="the invoice's panel")
        await settle(pilot)
        shown = "".join("".join(text_lines(panel)).split())
        for whole in ("EN_ATTENTE_RECYCLAGE_FOURNISSEUR", "Centre hospitalier universitaire de Nîmes", "2 - Transmitted"):
            assert "".join(whole.split()) in shown, shown
