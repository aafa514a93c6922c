"""Invoices in the state database: importing files (one by one or from the outbox) and listing them for the console."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..settings.fields import Field, Kind
from ..settings.validate import FieldError, check_value
from .files import write_private
from .invoice_files import InvoiceFileError, load_invoice
from .state import StateStore

IMPORTED = "imported"
ALREADY_IMPORTED = "already imported"
REFUSED = "refused"
_COMPANY_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")  # as [companies] keys are validated
_NOT_A_CODE = "{!r} is not a company code: letters, digits, - or _ (at most 20)"
_MANAGER = Field("manager_email", "Manager e-mail", Kind.EMAIL)


@dataclass(frozen=True)
class ImportOutcome:
    """What became of one file: imported, already imported, or refused (the message says why)."""

    path: Path
    status: str
    message: str
    invoice_id: int | None = None


def _stamp(now: dt.datetime | None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _input_problem(company: str, manager_email: str) -> str:
    if not _COMPANY_CODE.fullmatch(company):
        return _NOT_A_CODE.format(company)
    try:
        check_value(_MANAGER, manager_email)
    except FieldError as error:
        return str(error).rstrip(".")
    return ""


def _write_copy(data: bytes, folder: Path, name: str) -> Path:
    """Write `data` to folder/name atomically (temp file + rename), readable by the owner only."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    return write_private(folder / name, data)


def import_invoice(state: StateStore, path: Path, company: str, *, manager_email: str = "", data_dir: Path,
                   now: dt.datetime | None = None) -> ImportOutcome:
    """Read the invoice at `path`, keep a copy under `data_dir/<company>/`, and record it as pending."""
    problem = _input_problem(company, manager_email)
    if problem:
        return ImportOutcome(path, REFUSED, f"{path.name} is refused: {problem}")
    try:
        document, data = load_invoice(path)
    except InvoiceFileError as error:
        return ImportOutcome(path, REFUSED, str(error))
    sha256 = hashlib.sha256(data).hexdigest()
    stamp = _stamp(now)
    try:
        # The check and the insert share one write transaction, so two imports of one number cannot both win.
        with state.transaction() as db:
            existing = db.execute("SELECT id, file_sha256, file_name FROM invoices WHERE company = ? AND number = ?",
                                  (company, document.number)).fetchone()
            if existing is not None:
                return _duplicate(path, company, document.number, existing, sha256)
            copy = _write_copy(data, data_dir / company, f"{sha256}.{document.extension}")
            cursor = db.execute(
                "INSERT INTO invoices (company, number, issue_date, amount, currency, customer, customer_siret, "
                "file_path, file_name, file_sha256, syntax, manager_email, transfer_state, erp_status, "
                "imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '', ?, ?)",
                (company, document.number, document.issue_date, document.amount, document.currency,
                 document.customer, document.customer_siret, str(copy), path.name, sha256, document.syntax,
                 manager_email, stamp, stamp))
    except OSError as error:
        return ImportOutcome(path, REFUSED, f"{path.name} is refused: akadmin cannot keep a copy in "
                                            f"{data_dir / company}: {error.strerror or error}")
    return ImportOutcome(path, IMPORTED, f"{path.name}: invoice {document.number} of {company} imported, "
                                         f"{document.amount} {document.currency}, pending transfer", cursor.lastrowid)


def _duplicate(path: Path, company: str, number: str, existing: tuple, sha256: str) -> ImportOutcome:
    invoice_id, known_sha256, known_name = existing
    if known_sha256 == sha256:
        return ImportOutcome(path, ALREADY_IMPORTED, f"{path.name}: invoice {number} of {company} is already "
                                                     f"imported (#{invoice_id}); nothing changed", invoice_id)
    return ImportOutcome(path, REFUSED, f"{path.name} is refused: invoice {number} of {company} was already "
                                        f"imported from {known_name} (#{invoice_id}) with different content; "
                                        "a corrected invoice needs a new number (or a credit note)", invoice_id)


def scan_outbox(state: StateStore, folder: Path, companies: list[str] | tuple[str, ...], *, data_dir: Path,
                now: dt.datetime | None = None) -> list[ImportOutcome]:
    """Import the files in each `folder/<company>/`, then move them to `imported/` or `refused/` beside."""
    try:
        os.listdir(folder)
    except OSError as error:
        return [ImportOutcome(folder, REFUSED, f"the outbox folder {folder} cannot be read: "
                                               f"{error.strerror or error}")]
    outcomes: list[ImportOutcome] = []
    for company in companies:
        if not _COMPANY_CODE.fullmatch(company):  # also keeps a code like '..' from leaving the outbox
            outcomes.append(ImportOutcome(folder, REFUSED, _NOT_A_CODE.format(company)))
            continue
        outcomes.extend(_scan_company(state, folder / company, company, data_dir, now))
    return outcomes


def _scan_company(state: StateStore, sub: Path, company: str, data_dir: Path,
                  now: dt.datetime | None) -> list[ImportOutcome]:
    try:
        with os.scandir(sub) as entries:
            # Dot-files are files still being written (the usual temp-then-rename convention).
            files = sorted(Path(e.path) for e in entries if e.is_file() and not e.name.startswith("."))
    except FileNotFoundError:
        return []  # a company with nothing to send need not have a folder
    except OSError as error:
        return [ImportOutcome(sub, REFUSED, f"the outbox folder {sub} cannot be read: {error.strerror or error}")]
    outcomes = []
    for path in files:
        outcome = import_invoice(state, path, company, data_dir=data_dir, now=now)
        outcomes.append(_file_away(outcome, sub))
    return outcomes


def _file_away(outcome: ImportOutcome, sub: Path) -> ImportOutcome:
    """Move the scanned file to imported/ or refused/ (with the reason beside it), never overwriting one."""
    refused = outcome.status == REFUSED
    target_dir = sub / ("refused" if refused else "imported")
    try:
        target_dir.mkdir(exist_ok=True)
        target = _free_name(target_dir, outcome.path.name)
        os.rename(outcome.path, target)
    except OSError as error:
        # The file stays in the outbox; the next scan finds it again.
        note = f"; it could not be moved to {target_dir.name}/: {error.strerror or error}"
        return replace(outcome, message=outcome.message + note)
    if refused:
        try:
            target.with_name(target.name + ".error.txt").write_text(outcome.message + "\n", encoding="utf-8")
        except OSError as error:
            return replace(outcome, message=f"{outcome.message}; the reason could not be written beside it in "
                                            f"refused/: {error.strerror or error}")
    return outcome


def _free_name(folder: Path, name: str) -> Path:
    target, stem, suffix, n = folder / name, Path(name).stem, Path(name).suffix, 1
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        n += 1
        target = folder / f"{stem} ({n}){suffix}"
    return target


# --- Listing for the console ---------------------------------------------------------------------------------------

NO_STATUS = ""  # the status filter value for invoices CHORUS PRO has not given a status yet
_ROW_COLUMNS = ("id, company, number, issue_date, amount, currency, customer, manager_email, transfer_state, "
                "flow_number, chorus_id, chorus_status, chorus_status_at, erp_status, last_error, updated_at")


@dataclass(frozen=True)
class InvoiceFilter:
    """What the invoice list shows; None means no restriction.

    `status` is compared with the CHORUS PRO status exactly; NO_STATUS ('') selects the invoices that have none
    yet (not transferred, or transferred and not yet answered). `text` is a case-insensitive substring of the
    invoice number or the customer's name.
    """

    company: str | None = None
    status: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class InvoiceRow:
    """One line of the invoice list."""

    id: int
    company: str
    number: str
    issue_date: str
    amount: str
    currency: str
    customer: str
    manager_email: str
    transfer_state: str
    flow_number: str | None
    chorus_id: str | None
    chorus_status: str
    chorus_status_at: str
    erp_status: str
    last_error: str
    updated_at: str


@dataclass(frozen=True)
class InvoiceDetail(InvoiceRow):
    """One invoice with everything recorded about it."""

    customer_siret: str = ""
    file_path: str = ""
    file_name: str = ""
    file_sha256: str = ""
    syntax: str = ""
    imported_at: str = ""


@dataclass(frozen=True)
class HistoryRow:
    """One CHORUS PRO status an invoice went through."""

    status: str
    status_at: str
    comment: str
    erp_status: str
    recorded_at: str


def _where(flt: InvoiceFilter, *, paging: bool = False) -> tuple[str, list[str]]:
    clauses, params = [], []
    if flt.company is not None:
        # Company and status together use the (company, chorus_status) index, whose rows come in id order. For a
        # page by company alone that index would sort every row of the company; '+' makes SQLite walk ids
        # backwards instead, which stops after one page (there is no (company, id) index).
        unindexed = paging and flt.status is None
        clauses.append("+company = ?" if unindexed else "company = ?")
        params.append(flt.company)
    if flt.status is not None:
        clauses.append("chorus_status = ?")
        params.append(flt.status)
    text = (flt.text or "").strip()
    if text:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
        clauses.append("(number LIKE ? ESCAPE '\\' OR customer LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_invoices(state: StateStore, flt: InvoiceFilter) -> int:
    """How many invoices the filter selects."""
    where, params = _where(flt)
    return state.query(f"SELECT count(*) FROM invoices{where}", tuple(params))[0][0]


def list_invoices(state: StateStore, flt: InvoiceFilter, offset: int = 0, limit: int = 100) -> list[InvoiceRow]:
    """One page of the invoices the filter selects, newest first."""
    where, params = _where(flt, paging=True)
    rows = state.query(f"SELECT {_ROW_COLUMNS} FROM invoices{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                       (*params, max(limit, 0), max(offset, 0)))
    return [InvoiceRow(*row) for row in rows]


def invoice(state: StateStore, invoice_id: int) -> InvoiceDetail | None:
    """The invoice with this id, or None."""
    rows = state.query(f"SELECT {_ROW_COLUMNS}, customer_siret, file_path, file_name, file_sha256, syntax, "
                       "imported_at FROM invoices WHERE id = ?", (invoice_id,))
    return InvoiceDetail(*rows[0]) if rows else None


def status_history(state: StateStore, invoice_id: int) -> list[HistoryRow]:
    """The CHORUS PRO statuses of an invoice, oldest first."""
    rows = state.query("SELECT status, status_at, comment, erp_status, recorded_at FROM invoice_status_history "
                       "WHERE invoice_id = ? ORDER BY id", (invoice_id,))
    return [HistoryRow(*row) for row in rows]


def filter_choices(state: StateStore) -> tuple[list[str], list[str]]:
    """The companies and the CHORUS PRO statuses found among invoices, sorted (NO_STATUS first when present)."""
    # One pass over the (company, chorus_status) index, which covers both columns.
    pairs = state.query("SELECT DISTINCT company, chorus_status FROM invoices")
    return sorted({row[0] for row in pairs}), sorted({row[1] for row in pairs})
