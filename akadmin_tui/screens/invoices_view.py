"""Batches > Invoices (CHORUS PRO): filters, the virtual invoice table, and an invoice's status history beside it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Select, Static

from ..batches.invoices import NO_STATUS, HistoryRow, InvoiceDetail, InvoiceFilter, filter_choices, invoice, status_history
from ..batches.state import StateStore
from ..widgets.invoice_table import ALARMING, InvoiceTable
from .batch_data import local_time

NO_STATUS_CHOICE = "(no status yet)"  # Select values must not be empty; this stands for NO_STATUS
SEARCH_DELAY_S = 0.3


def history_content(detail: InvoiceDetail | None, history: list[HistoryRow]) -> Content:
    """The side panel: the invoice, then every CHORUS status it went through with its comment."""
    if detail is None:
        return Content("This invoice is no longer in the state database.")
    lines = [Content.assemble((f"{detail.number}", "bold"), f"  {detail.company}"),
             Content(f"{detail.customer}  {detail.amount} {detail.currency}"),
             Content(f"Transfer {detail.transfer_state}" + (f" · flow {detail.flow_number}" if detail.flow_number else "")
                     + (f" · CHORUS id {detail.chorus_id}" if detail.chorus_id else "")),
             Content.assemble("CHORUS status ", (detail.chorus_status or "—", "bold"),
                              (f"  since {local_time(detail.chorus_status_at)}" if detail.chorus_status_at else "", "dim")),
             Content(f"ERP status {detail.erp_status or '—'}")]
    if detail.last_error:
        lines.append(Content.assemble(("Last error: ", "bold $error"), (detail.last_error, "$error")))
    lines += [Content(""), Content.styled("CHORUS status history", "bold")]
    if not history:
        lines.append(Content.styled("No status received from CHORUS PRO yet.", "dim"))
    for entry in history:
        when = local_time(entry.status_at) if entry.status_at else local_time(entry.recorded_at)
        style = "bold $error" if entry.status in ALARMING else "bold"
        lines.append(Content.assemble((when, "dim"), "  ", (entry.status, style),
                                      (f"  → ERP {entry.erp_status}" if entry.erp_status else "", "dim")))
        if entry.comment:
            lines.append(Content.assemble("    ", (entry.comment, "$error" if entry.status in ALARMING else "")))
    lines += [Content(""), Content.styled("Escape closes this panel.", "dim")]
    return Content("\n").join(lines)


class InvoicesView(Vertical):
    """Every invoice the batches know, filtered by company, CHORUS status and text; Enter shows its history."""

    class ChoicesRead(Message):
        """The companies and statuses found among invoices."""

        def __init__(self, view: InvoicesView, companies: list[str], statuses: list[str]) -> None:
            super().__init__()
            self.view = view
            self.companies = companies
            self.statuses = statuses

        @property
        def control(self) -> InvoicesView:
            """The view that read them."""
            return self.view

    BINDINGS = [
        Binding("slash", "search", "Search", tooltip="Search a number or a customer", id="akadmin.search"),
        Binding("r", "reread", "Refresh", tooltip="Read the invoices again", id="akadmin.refresh"),
        Binding("escape", "back", "Back", show=False, id="akadmin.back"),
    ]

    def __init__(self, state: StateStore | None, *, id: str | None = None) -> None:
        super().__init__(classes="section-view invoices-view", id=id)
        self.state = state
        self._shown: int | None = None  # the invoice in the history panel
        self._search_timer = None

    def compose(self) -> ComposeResult:
        yield Static("Batches > Invoices (CHORUS PRO)", classes="section-title")
        with Horizontal(classes="invoice-filters"):
            yield Select([], prompt="All companies", id="inv-company", compact=True, classes="filter-select")
            yield Select([], prompt="All CHORUS statuses", id="inv-status", compact=True, classes="filter-select")
            yield Input(placeholder="number or customer  (/)", id="inv-search", compact=True, classes="inv-search")
        yield Static("", id="inv-count", classes="inv-count", markup=False)
        with Horizontal(classes="invoice-body"):
            if self.state is not None:
                yield InvoiceTable(self.state, id="invoice-table")
            with VerticalScroll(id="invoice-history", classes="invoice-history"):
                yield Static("", id="invoice-history-text")

    def on_mount(self) -> None:
        self.query_one("#invoice-history").display = False
        search = self.query_one("#inv-search", Input)
        search.cursor_blink = not self.app.is_headless
        if self.state is None:
            self.query_one("#inv-count", Static).update("No state database: there are no invoices to show.")
            return
        self._read_choices()
        self.apply_filter()

    @property
    def table(self) -> InvoiceTable:
        """The invoice table."""
        return self.query_one(InvoiceTable)

    # --- filters -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="invoice-choices", exit_on_error=False)
    def _read_choices(self) -> None:
        companies, statuses = filter_choices(self.state)
        self.post_message(self.ChoicesRead(self, companies, statuses))

    @on(ChoicesRead)
    def _choices_read(self, event: ChoicesRead) -> None:
        company = self.query_one("#inv-company", Select)
        status = self.query_one("#inv-status", Select)
        with self.prevent(Select.Changed):
            current_company, current_status = company.value, status.value
            company.set_options([(code, code) for code in event.companies])
            status.set_options([(s or NO_STATUS_CHOICE, s or NO_STATUS_CHOICE) for s in event.statuses])
            if current_company in event.companies:
                company.value = current_company
            if current_status is not Select.NULL:
                status.value = current_status

    def current_filter(self) -> InvoiceFilter:
        """The filter the widgets describe."""
        company = self.query_one("#inv-company", Select).value
        status = self.query_one("#inv-status", Select).value
        text = self.query_one("#inv-search", Input).value.strip()
        return InvoiceFilter(
            company=None if company is Select.NULL else str(company),
            status=None if status is Select.NULL else (NO_STATUS if status == NO_STATUS_CHOICE else str(status)),
            text=text or None)

    def apply_filter(self) -> None:
        """Show the invoices of the current filter from the top."""
        if self.state is None:
            return
        self.query_one("#inv-count", Static).update("Counting…")
        self.table.show(self.current_filter())

    @on(Select.Changed, ".filter-select")
    def _filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Changed, "#inv-search")
    def _search_typed(self) -> None:
        # Typing waits for a pause, so a count is not started for every key.
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY_S, self._search_settled)

    def _search_settled(self) -> None:
        if self.state is not None and self.current_filter() != self.table.filter:
            self.apply_filter()

    @on(Input.Submitted, "#inv-search")
    def _search_submitted(self) -> None:
        self._search_settled()
        self.table.focus()

    @on(InvoiceTable.Counted)
    def _counted(self, event: InvoiceTable.Counted) -> None:
        flt = self.table.filter
        what = "invoice" if event.count == 1 else "invoices"
        scope = " matching the filters" if (flt.company or flt.status is not None or flt.text) else ""
        count = f"{event.count:,}".replace(",", " ")
        self.query_one("#inv-count", Static).update(
            f"{count} {what}{scope}, newest first. ↑↓ PgUp PgDn Home End move; Enter shows the history.")

    # --- history -------------------------------------------------------------------------------

    @on(InvoiceTable.Selected)
    def _selected(self, event: InvoiceTable.Selected) -> None:
        self.show_history(event.row.id)

    @on(InvoiceTable.Highlighted)
    def _highlighted(self, event: InvoiceTable.Highlighted) -> None:
        # While the panel is open it follows the cursor.
        if self._shown is not None and event.row.id != self._shown:
            self.show_history(event.row.id)

    def show_history(self, invoice_id: int) -> None:
        """Open the side panel on one invoice's status history (one indexed read)."""
        self._shown = invoice_id
        panel = self.query_one("#invoice-history")
        self.query_one("#invoice-history-text", Static).update(
            history_content(invoice(self.state, invoice_id), status_history(self.state, invoice_id)))
        panel.display = True
        panel.scroll_home(animate=False)

    def close_history(self) -> bool:
        """Close the side panel; False when it was not open."""
        if self._shown is None:
            return False
        self._shown = None
        self.query_one("#invoice-history").display = False
        return True

    # --- actions -------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#inv-search", Input).focus()

    def action_reread(self) -> None:
        if self.state is not None:
            self._read_choices()
            self.table.reread()

    def action_back(self) -> None:
        if not self.close_history():
            self.screen.action_back()

    def focus_first_field(self) -> None:
        """Opening the view puts the focus on the table."""
        if not self.query("#inv-company"):  # opened from the palette before its children are mounted
            self.call_after_refresh(self.focus_first_field)
            return
        if self.state is not None:
            self.table.focus()
        else:
            self.query_one("#inv-company", Select).focus()

    def focus_field(self, key: str | None) -> None:
        """There are no fields here: the table takes the focus."""
        self.focus_first_field()
