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
from .queries import invoices as invoice_table
from .queries.invoices import (
    NO_STATUS,
    HistoryRow,
    InvoiceDetail,
    InvoiceFilter,
    InvoiceRow,
    KnownFile,
    count_invoices,
    filter_choices,
    invoice,
    list_invoices,
    status_history,
)
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
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")


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
            existing = invoice_table.find_by_number(db, company=company, number=document.number)
            if existing is not None:
                return _duplicate(path, company, document.number, existing, sha256)
            copy = _write_copy(data, data_dir / company, f"{sha256}.{document.extension}")
            invoice_id = invoice_table.insert_pending(
                db, company=company, number=document.number, issue_date=document.issue_date, amount=document.amount,
                currency=document.currency, customer=document.customer, customer_siret=document.customer_siret,
                file_path=str(copy), file_name=path.name, file_sha256=sha256, syntax=document.syntax,
                manager_email=manager_email, at=stamp)
    except OSError as error:
        return ImportOutcome(path, REFUSED, f"{path.name} is refused: akadmin cannot keep a copy in "
                                            f"{data_dir / company}: {error.strerror or error}")
    return ImportOutcome(path, IMPORTED, f"{path.name}: invoice {document.number} of {company} imported, "
                                         f"{document.amount} {document.currency}, pending transfer", invoice_id)


def _duplicate(path: Path, company: str, number: str, existing: KnownFile, sha256: str) -> ImportOutcome:
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


# The console and the command line list invoices through this module.
__all__ = ["ALREADY_IMPORTED", "IMPORTED", "NO_STATUS", "REFUSED", "HistoryRow", "ImportOutcome", "InvoiceDetail",
           "InvoiceFilter", "InvoiceRow", "count_invoices", "filter_choices", "import_invoice", "invoice",
           "list_invoices", "scan_outbox", "status_history"]
