"""A virtual table of invoices: it renders only the visible lines and reads pages of 200 rows as the view moves."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..batches.invoices import InvoiceFilter, InvoiceRow, count_invoices, list_invoices
from ..batches.state import StateStore
from ..settings.chorus_statuses import INVOICE_STATUSES

PAGE_ROWS = 200
CACHED_PAGES = 16  # 3 200 rows: a few screens either side of the view, whatever the page size
MAX_PENDING = 4  # page reads in flight; more would only queue behind the database lock
ALARMING = {"REJETEE", "SUSPENDUE", "A_RECYCLER"}


def _updated(row: InvoiceRow) -> str:
    value = row.updated_at or row.chorus_status_at
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value[:16]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Column:
    """A column: its title, its width in cells, how a row fills it."""

    title: str
    width: int
    value: Callable[[InvoiceRow], str]
    right: bool = False


COLUMNS = (
    Column("Company", 8, lambda r: r.company),
    Column("Number", 16, lambda r: r.number),
    Column("Customer", 24, lambda r: r.customer),
    Column("Amount", 14, lambda r: f"{r.amount} {r.currency}".strip(), right=True),
    Column("Transfer", 10, lambda r: r.transfer_state),
    # As wide as the longest status CHORUS PRO has: the table scrolls sideways, a status is never cut.
    Column("CHORUS status", max(len(status) for status in INVOICE_STATUSES), lambda r: r.chorus_status or "—"),
    Column("ERP status", 24, lambda r: r.erp_status),
    Column("Updated", 16, _updated),
)
STATUS_COLUMN = 5
TABLE_WIDTH = sum(c.width + 1 for c in COLUMNS) + 1


def _fit(text: str, column: Column) -> str:
    if len(text) > column.width:
        text = text[: column.width - 1] + "…"
    return text.rjust(column.width) if column.right else text.ljust(column.width)


class InvoiceTable(ScrollView, can_focus=True):
    """Invoices selected by a filter, newest first, with a cursor row; 100 000 rows cost no more than 200."""

    COMPONENT_CLASSES = {"invoice-table--header", "invoice-table--cursor", "invoice-table--placeholder",
                         "invoice-table--alarm"}

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="akadmin.line-up"),
        Binding("down", "cursor(1)", "Down", show=False, id="akadmin.line-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="akadmin.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="akadmin.page-down"),
        Binding("home", "jump(0)", "First", show=False, id="akadmin.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="akadmin.last"),
        Binding("enter", "select", "History", tooltip="The invoice's CHORUS status history", id="akadmin.history"),
    ]

    class TableMessage(Message):
        """Something the table tells; the table is the message's control."""

        def __init__(self, table: InvoiceTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> InvoiceTable:
            """The table that sent the message."""
            return self.table

    class Selected(TableMessage):
        """Enter on an invoice."""

        def __init__(self, table: InvoiceTable, row: InvoiceRow) -> None:
            super().__init__(table)
            self.row = row

    class Highlighted(TableMessage):
        """The cursor moved onto a loaded invoice."""

        def __init__(self, table: InvoiceTable, row: InvoiceRow) -> None:
            super().__init__(table)
            self.row = row

    class Counted(TableMessage):
        """The filter's number of invoices is known."""

        def __init__(self, table: InvoiceTable, count: int) -> None:
            super().__init__(table)
            self.count = count

    class PageRead(TableMessage):
        """A page of rows was read in the background."""

        def __init__(self, table: InvoiceTable, generation: int, page: int, rows: list[InvoiceRow]) -> None:
            super().__init__(table)
            self.generation, self.page, self.rows = generation, page, rows

    class CountRead(TableMessage):
        """The filter's count was read in the background."""

        def __init__(self, table: InvoiceTable, generation: int, count: int) -> None:
            super().__init__(table)
            self.generation, self.count = generation, count

    def __init__(self, state: StateStore, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.state = state
        self.filter = InvoiceFilter()
        self.count: int | None = None
        self.cursor = 0
        self._generation = 0
        self._pages: OrderedDict[int, list[InvoiceRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._wanted: set[int] = set()
        self._styles: dict[str, Style] = {}

    # --- data ----------------------------------------------------------------------------------

    def show(self, flt: InvoiceFilter) -> None:
        """Show the invoices of `flt` from the top; older reads are ignored when they arrive."""
        self._generation += 1
        self.filter = flt
        self.count = None
        self.cursor = 0
        self._pages.clear()
        self._pending.clear()
        self._wanted.clear()
        self.virtual_size = Size(TABLE_WIDTH, 1)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._count_rows(self._generation, flt)
        self._request(0)
        self.refresh()

    def reread(self) -> None:
        """Read the same filter again (batches may have changed statuses meanwhile)."""
        self.show(self.filter)

    @work(thread=True, group="invoice-count", exclusive=True, exit_on_error=False)
    def _count_rows(self, generation: int, flt: InvoiceFilter) -> None:
        self.post_message(self.CountRead(self, generation, count_invoices(self.state, flt)))

    def _want(self, page: int) -> None:
        # Asked for after this render, not from inside it.
        if not self._wanted:
            self.call_later(self._request_wanted)
        self._wanted.add(page)

    def _prefetch(self, first: int, last: int) -> None:
        """Ask early for the page beyond either edge of the view, so paging rarely waits for the database."""
        for index in (first - PAGE_ROWS // 2, last + PAGE_ROWS // 2):
            page = index // PAGE_ROWS
            if 0 <= index < (self.count or 0) and page not in self._pages:
                self._want(page)

    def _request_wanted(self) -> None:
        wanted, self._wanted = self._wanted, set()
        for page in sorted(wanted):
            self._request(page)

    def _request(self, page: int) -> None:
        if page in self._pages or page in self._pending or len(self._pending) >= MAX_PENDING:
            return
        self._pending.add(page)
        self._read_page(self._generation, self.filter, page)

    @work(thread=True, group="invoice-pages", exit_on_error=False)
    def _read_page(self, generation: int, flt: InvoiceFilter, page: int) -> None:
        rows = list_invoices(self.state, flt, page * PAGE_ROWS, PAGE_ROWS)
        self.post_message(self.PageRead(self, generation, page, rows))

    @on(PageRead)
    def _page_read(self, message: PageRead) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._pending.discard(message.page)
        self._pages[message.page] = message.rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        if self.count is None and message.page == 0:
            self.virtual_size = Size(TABLE_WIDTH, len(message.rows) + 1)
        self.refresh()
        self._announce()

    @on(CountRead)
    def _count_read(self, message: CountRead) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self.count = message.count
        self.virtual_size = Size(TABLE_WIDTH, message.count + 1)
        self.post_message(self.Counted(self, message.count))
        self.refresh()

    def row_at(self, index: int) -> InvoiceRow | None:
        """The invoice at `index` when its page is read; otherwise None, and the page is asked for."""
        page, offset = divmod(index, PAGE_ROWS)
        rows = self._pages.get(page)
        if rows is None:
            self._want(page)
            return None
        self._pages.move_to_end(page)  # least recently shown pages go first
        return rows[offset] if offset < len(rows) else None

    @property
    def current(self) -> InvoiceRow | None:
        """The invoice under the cursor, if read."""
        return self.row_at(self.cursor) if self.count else None

    @property
    def loaded_pages(self) -> int:
        """How many pages are in memory (for tests and the benchmark)."""
        return len(self._pages)

    def visible_loaded(self) -> bool:
        """True when every row in view is read (the benchmark waits for it)."""
        if self.count is None:
            return False
        first = int(self.scroll_y)
        last = min(self.count, first + self._body_height())
        return all(index // PAGE_ROWS in self._pages for index in range(first, last))

    # --- cursor --------------------------------------------------------------------------------

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row `index` (clamped) and scroll just enough to show it."""
        if not self.count:
            return
        self.cursor = max(0, min(index, self.count - 1))
        body = self._body_height()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Highlighted(self, row))

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self._body_height())

    def action_jump(self, index: int) -> None:
        self.move_cursor(index if index >= 0 else (self.count or 0) - 1)

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(int(self.scroll_y) + event.y - 1)
            if event.chain >= 2:
                self.action_select()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- rendering -----------------------------------------------------------------------------

    def render_lines(self, crop):
        # Styles are looked up once per frame rather than once per line.
        base = self.rich_style
        self._styles = {name: base + self.get_component_rich_style(f"invoice-table--{name}")
                        for name in ("header", "cursor", "placeholder")}
        self._styles["base"] = base
        self._styles["alarm"] = self.get_component_rich_style("invoice-table--alarm", partial=True)
        first = int(self.scroll_y)
        self._prefetch(first, first + self._body_height())
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        styles = self._styles
        base = styles["base"]
        if y == 0:
            style = styles["header"]
            text = " " + " ".join(_fit(c.title, c) for c in COLUMNS) + " "
            return Strip([Segment(text, style)]).crop_extend(scroll_x, scroll_x + width, style)
        index = scroll_y + y - 1
        if self.count is not None and index >= self.count:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            if self.count is None and index > 0:
                return Strip.blank(width, base)
            style = styles["placeholder"]
            return Strip([Segment(" …", style)]).crop_extend(scroll_x, scroll_x + width, style)
        style = styles["cursor"] if index == self.cursor else base
        alarm = style + styles["alarm"]
        segments = [Segment(" ", style)]
        for number, column in enumerate(COLUMNS):
            cell = _fit(column.value(row), column)
            cell_style = alarm if number == STATUS_COLUMN and row.chorus_status in ALARMING else style
            segments += [Segment(cell, cell_style), Segment(" ", style)]
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
