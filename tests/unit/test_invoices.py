"""Importing invoices into the state database, the outbox scan, and the console's list queries."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from pathlib import Path

import pytest

from akadmin_tui.batches.invoice_files import CII_SYNTAX, FACTURX_SYNTAX, UBL_SYNTAX
from akadmin_tui.batches.invoices import (
    ALREADY_IMPORTED,
    IMPORTED,
    NO_STATUS,
    REFUSED,
    HistoryRow,
    InvoiceFilter,
    count_invoices,
    filter_choices,
    import_invoice,
    invoice,
    list_invoices,
    scan_outbox,
    status_history,
)
from akadmin_tui.batches.state import StateStore
from akadmin_tui.sandbox.sample_invoices import cii_invoice, facturx_pdf, ubl_invoice

NOW = dt.datetime(2024, 3, 20, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "invoices"


def _file(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _rows(state: StateStore) -> list:
    return state.query("SELECT * FROM invoices ORDER BY id")


# --- import_invoice -------------------------------------------------------------------------------------------


def test_importing_records_a_pending_invoice(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    path = _file(tmp_path / "in", "F-1.pdf", facturx_pdf("F-1", amount="1200.00"))
    outcome = import_invoice(state, path, "ACME", manager_email="compta@acme.fr", data_dir=data_dir, now=NOW)
    assert (outcome.status, outcome.path, outcome.invoice_id) == (IMPORTED, path, 1)
    assert outcome.message == "F-1.pdf: invoice F-1 of ACME imported, 1200.00 EUR, pending transfer"
    [row] = _rows(state)
    assert (row["company"], row["number"], row["issue_date"], row["amount"], row["currency"]) == (
        "ACME", "F-1", "2024-03-15", "1200.00", "EUR")
    assert (row["customer"], row["customer_siret"], row["syntax"], row["manager_email"]) == (
        "Mairie de Lyon", "21690123100011", FACTURX_SYNTAX, "compta@acme.fr")
    assert (row["transfer_state"], row["erp_status"], row["chorus_status"], row["flow_number"]) == (
        "pending", "", "", None)
    assert row["imported_at"] == row["updated_at"] == "2024-03-20T09:30:15+00:00"
    assert row["file_name"] == "F-1.pdf"


def test_the_copy_is_private_complete_and_independent(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    data = ubl_invoice("F-2")
    path = _file(tmp_path / "in", "F-2.xml", data)
    import_invoice(state, path, "ACME", data_dir=data_dir, now=NOW)
    path.unlink()  # later deposits must not need the original
    [row] = _rows(state)
    sha256 = hashlib.sha256(data).hexdigest()
    copy = Path(row["file_path"])
    assert copy == data_dir / "ACME" / f"{sha256}.xml" and row["file_sha256"] == sha256
    assert copy.read_bytes() == data
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert oct(copy.parent.stat().st_mode & 0o777) == oct(data_dir.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # no temp file left behind


def test_each_format_is_imported_with_its_syntax(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    files = {"a.xml": ubl_invoice("A"), "b.xml": cii_invoice("B"), "c.pdf": facturx_pdf("C")}
    for name, data in files.items():
        assert import_invoice(state, _file(tmp_path, name, data), "ACME", data_dir=data_dir).status == IMPORTED
    assert [(r["number"], r["syntax"], Path(r["file_path"]).suffix) for r in _rows(state)] == [
        ("A", UBL_SYNTAX, ".xml"), ("B", CII_SYNTAX, ".xml"), ("C", FACTURX_SYNTAX, ".pdf")]


def test_the_same_file_again_is_already_imported(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    first = import_invoice(state, _file(tmp_path, "F-1.pdf", facturx_pdf("F-1")), "ACME", data_dir=data_dir, now=NOW)
    again = import_invoice(state, _file(tmp_path / "later", "copy.pdf", facturx_pdf("F-1")), "ACME",
                           data_dir=data_dir, now=NOW + dt.timedelta(days=1))
    assert (again.status, again.invoice_id) == (ALREADY_IMPORTED, first.invoice_id)
    assert again.message == "copy.pdf: invoice F-1 of ACME is already imported (#1); nothing changed"
    [row] = _rows(state)
    assert (row["file_name"], row["updated_at"]) == ("F-1.pdf", "2024-03-20T09:30:15+00:00")


def test_a_different_file_with_a_known_number_is_refused(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    import_invoice(state, _file(tmp_path, "F-1.pdf", facturx_pdf("F-1", amount="10.00")), "ACME", data_dir=data_dir)
    outcome = import_invoice(state, _file(tmp_path, "F-1-v2.pdf", facturx_pdf("F-1", amount="12.00")), "ACME",
                             data_dir=data_dir)
    assert outcome.status == REFUSED
    assert outcome.message.startswith("F-1-v2.pdf is refused: invoice F-1 of ACME was already imported from "
                                      "F-1.pdf (#1) with different content")
    assert [r["amount"] for r in _rows(state)] == ["10.00"]
    assert len(list((data_dir / "ACME").iterdir())) == 1  # the refused file is not kept


def test_the_same_number_in_another_company_is_another_invoice(state: StateStore, tmp_path: Path,
                                                              data_dir: Path) -> None:
    path = _file(tmp_path, "F-1.pdf", facturx_pdf("F-1"))
    assert import_invoice(state, path, "ACME", data_dir=data_dir).status == IMPORTED
    assert import_invoice(state, path, "BETA", data_dir=data_dir).status == IMPORTED
    assert [r["company"] for r in _rows(state)] == ["ACME", "BETA"]


@pytest.mark.parametrize(("company", "email", "reason"), [
    ("AC ME", "", "'AC ME' is not a company code: letters, digits, - or _ (at most 20)"),
    ("../etc", "", "'../etc' is not a company code"),
    ("", "", "'' is not a company code"),
    ("ACME", "not-an-email", "'Manager e-mail' must be"),
])
def test_a_bad_company_code_or_email_is_refused(state: StateStore, tmp_path: Path, data_dir: Path,
                                                company: str, email: str, reason: str) -> None:
    outcome = import_invoice(state, _file(tmp_path, "F-1.pdf", facturx_pdf()), company, manager_email=email,
                             data_dir=data_dir)
    assert outcome.status == REFUSED and outcome.message.startswith(f"F-1.pdf is refused: {reason}")
    assert _rows(state) == [] and not data_dir.exists()


def test_a_file_that_is_not_an_invoice_is_refused(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outcome = import_invoice(state, _file(tmp_path, "F-1.docx", b"PK\x03\x04"), "ACME", data_dir=data_dir)
    assert (outcome.status, outcome.invoice_id) == (REFUSED, None)
    assert outcome.message.startswith("F-1.docx is not an invoice akadmin can transfer: expected")
    assert _rows(state) == [] and not data_dir.exists()


def test_when_the_copy_cannot_be_written_nothing_is_recorded(state: StateStore, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    outcome = import_invoice(state, _file(tmp_path, "F-1.pdf", facturx_pdf()), "ACME", data_dir=blocker)
    assert outcome.status == REFUSED
    assert outcome.message.startswith(f"F-1.pdf is refused: akadmin cannot keep a copy in {blocker / 'ACME'}: ")
    assert _rows(state) == []


# --- scan_outbox ----------------------------------------------------------------------------------------------


def test_the_outbox_scan_imports_and_files_away(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outbox = tmp_path / "outbox"
    acme = outbox / "ACME"
    _file(acme, "F-1.pdf", facturx_pdf("F-1"))
    _file(acme, "F-2.xml", ubl_invoice("F-2"))
    _file(acme, "notes.txt", b"call the customer")
    _file(acme, ".F-3.pdf.part", b"%PDF-1.7 still being written")
    _file(acme / "archive", "old.pdf", facturx_pdf("OLD"))
    outcomes = scan_outbox(state, outbox, ["ACME", "BETA"], data_dir=data_dir, now=NOW)  # BETA has no folder
    assert [(o.path.name, o.status) for o in outcomes] == [
        ("F-1.pdf", IMPORTED), ("F-2.xml", IMPORTED), ("notes.txt", REFUSED)]
    assert sorted(p.name for p in (acme / "imported").iterdir()) == ["F-1.pdf", "F-2.xml"]
    assert sorted(p.name for p in (acme / "refused").iterdir()) == ["notes.txt", "notes.txt.error.txt"]
    assert (acme / "refused" / "notes.txt.error.txt").read_text() == outcomes[2].message + "\n"
    assert "notes.txt is not an invoice akadmin can transfer" in outcomes[2].message
    assert sorted(p.name for p in acme.iterdir()) == [".F-3.pdf.part", "archive", "imported", "refused"]
    assert (acme / "archive" / "old.pdf").exists()  # sub-folders are not scanned
    assert [r["number"] for r in _rows(state)] == ["F-1", "F-2"]
    assert scan_outbox(state, outbox, ["ACME"], data_dir=data_dir) == []


def test_a_file_dropped_twice_is_filed_beside_the_first(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outbox = tmp_path / "outbox"
    for _ in range(2):
        _file(outbox / "ACME", "F-1.pdf", facturx_pdf("F-1"))
        _file(outbox / "ACME", "bad.pdf", b"%PDF-1.7 broken")
        outcomes = scan_outbox(state, outbox, ["ACME"], data_dir=data_dir)
    assert [o.status for o in outcomes] == [ALREADY_IMPORTED, REFUSED]  # by name: 'F' < 'b'
    assert sorted(p.name for p in (outbox / "ACME" / "imported").iterdir()) == ["F-1 (2).pdf", "F-1.pdf"]
    assert sorted(p.name for p in (outbox / "ACME" / "refused").iterdir()) == [
        "bad (2).pdf", "bad (2).pdf.error.txt", "bad.pdf", "bad.pdf.error.txt"]


def test_a_conflicting_file_is_refused_into_refused(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outbox = tmp_path / "outbox"
    _file(outbox / "ACME", "F-1.pdf", facturx_pdf("F-1", amount="1.00"))
    scan_outbox(state, outbox, ["ACME"], data_dir=data_dir)
    _file(outbox / "ACME", "F-1 corrected.pdf", facturx_pdf("F-1", amount="2.00"))
    [outcome] = scan_outbox(state, outbox, ["ACME"], data_dir=data_dir)
    assert outcome.status == REFUSED
    assert "already imported from F-1.pdf" in (outbox / "ACME" / "refused" / "F-1 corrected.pdf.error.txt").read_text()


def test_a_missing_outbox_is_one_refused_outcome(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    [outcome] = scan_outbox(state, tmp_path / "nowhere", ["ACME"], data_dir=data_dir)
    assert outcome.status == REFUSED
    assert outcome.message == f"the outbox folder {tmp_path / 'nowhere'} cannot be read: No such file or directory"


def test_an_unreadable_company_folder_is_one_refused_outcome(state: StateStore, tmp_path: Path, data_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = tmp_path / "outbox"
    _file(outbox / "ACME", "F-1.pdf", facturx_pdf("F-1"))
    real_scandir = os.scandir

    def scandir(path):  # what a folder without read permission does, even for root
        if Path(path) == outbox / "ACME":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    [outcome] = scan_outbox(state, outbox, ["ACME"], data_dir=data_dir)
    assert (outcome.status, outcome.path) == (REFUSED, outbox / "ACME")
    assert outcome.message == f"the outbox folder {outbox / 'ACME'} cannot be read: Permission denied"
    assert (outbox / "ACME" / "F-1.pdf").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_one_refused_outcome(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outbox = tmp_path / "outbox"
    _file(outbox / "ACME", "F-1.pdf", facturx_pdf("F-1"))
    (outbox / "ACME").chmod(0)
    try:
        [outcome] = scan_outbox(state, outbox, ["ACME"], data_dir=data_dir)
    finally:
        (outbox / "ACME").chmod(0o700)
    assert outcome.status == REFUSED and outcome.message.endswith("cannot be read: Permission denied")


def test_a_bad_company_code_never_leaves_the_outbox(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    _file(tmp_path / "secret", "F-1.pdf", facturx_pdf("F-1"))
    (tmp_path / "outbox").mkdir()
    [outcome] = scan_outbox(state, tmp_path / "outbox", ["../secret"], data_dir=data_dir)
    assert outcome.status == REFUSED and "is not a company code" in outcome.message
    assert (tmp_path / "secret" / "F-1.pdf").exists() and _rows(state) == []


# --- Listing --------------------------------------------------------------------------------------------------

COLUMNS = ("company, number, issue_date, amount, currency, customer, file_path, file_name, file_sha256, syntax, "
           "chorus_status, imported_at, updated_at")


def _insert(state: StateStore, rows: list[tuple[str, str, str, str]]) -> None:
    """Insert (company, number, customer, chorus_status) rows the fast way."""
    with state.transaction() as db:
        db.executemany(
            f"INSERT INTO invoices ({COLUMNS}) VALUES (?, ?, '2024-01-01', '10.00', 'EUR', ?, '/x', 'x.pdf', "
            "'0', 'S', ?, 't', 't')", rows)


@pytest.fixture
def listed(state: StateStore) -> StateStore:
    _insert(state, [
        ("ACME", "F-1", "Mairie de Lyon", ""),
        ("ACME", "F-2", "CHU de Nantes", "DEPOSEE"),
        ("BETA", "F-3", "Mairie de Paris", "REJETEE"),
        ("ACME", "F-4", "100%_Sport", "REJETEE"),
        ("BETA", "F-5", "Mairie de Lyon", ""),
    ])
    return state


def _numbers(state: StateStore, flt: InvoiceFilter, offset: int = 0, limit: int = 100) -> list[str]:
    return [row.number for row in list_invoices(state, flt, offset, limit)]


@pytest.mark.parametrize(("flt", "numbers"), [
    (InvoiceFilter(), ["F-5", "F-4", "F-3", "F-2", "F-1"]),
    (InvoiceFilter(company="ACME"), ["F-4", "F-2", "F-1"]),
    (InvoiceFilter(status="REJETEE"), ["F-4", "F-3"]),
    (InvoiceFilter(status=NO_STATUS), ["F-5", "F-1"]),
    (InvoiceFilter(company="BETA", status=NO_STATUS), ["F-5"]),
    (InvoiceFilter(text="mairie"), ["F-5", "F-3", "F-1"]),
    (InvoiceFilter(text=" f-2 "), ["F-2"]),
    (InvoiceFilter(text="100%"), ["F-4"]),  # % and _ are literal, not wildcards
    (InvoiceFilter(text="0%_s"), ["F-4"]),
    (InvoiceFilter(text="1_"), []),
    (InvoiceFilter(company="ACME", status="REJETEE", text="sport"), ["F-4"]),
    (InvoiceFilter(company="GAMMA"), []),
])
def test_filters_select_and_count(listed: StateStore, flt: InvoiceFilter, numbers: list[str]) -> None:
    assert _numbers(listed, flt) == numbers
    assert count_invoices(listed, flt) == len(numbers)


def test_pages_are_newest_first(listed: StateStore) -> None:
    assert _numbers(listed, InvoiceFilter(), 0, 2) == ["F-5", "F-4"]
    assert _numbers(listed, InvoiceFilter(), 2, 2) == ["F-3", "F-2"]
    assert _numbers(listed, InvoiceFilter(), 4, 2) == ["F-1"]
    assert _numbers(listed, InvoiceFilter(company="ACME"), 1, 1) == ["F-2"]


def test_a_row_carries_what_the_list_shows(listed: StateStore) -> None:
    [row] = list_invoices(listed, InvoiceFilter(text="F-2"), 0, 10)
    assert (row.id, row.company, row.number, row.amount, row.currency, row.customer, row.chorus_status) == (
        2, "ACME", "F-2", "10.00", "EUR", "CHU de Nantes", "DEPOSEE")
    assert (row.transfer_state, row.flow_number, row.chorus_id, row.last_error) == ("pending", None, None, "")


def test_one_invoice_in_detail(state: StateStore, tmp_path: Path, data_dir: Path) -> None:
    outcome = import_invoice(state, _file(tmp_path, "F-1.xml", ubl_invoice("F-1")), "ACME", data_dir=data_dir,
                             now=NOW)
    detail = invoice(state, outcome.invoice_id)
    assert (detail.number, detail.file_name, detail.syntax, detail.customer_siret) == (
        "F-1", "F-1.xml", UBL_SYNTAX, "21690123100011")
    assert detail.imported_at == "2024-03-20T09:30:15+00:00" and Path(detail.file_path).exists()
    assert invoice(state, 999) is None


def test_status_history_is_oldest_first(listed: StateStore) -> None:
    with listed.transaction() as db:
        db.executemany("INSERT INTO invoice_status_history (invoice_id, status, status_at, comment, erp_status, "
                       "recorded_at) VALUES (?, ?, ?, ?, ?, ?)", [
                           (2, "DEPOSEE", "2024-01-02", "", "", "r1"),
                           (3, "DEPOSEE", "2024-01-02", "", "", "r2"),
                           (2, "REJETEE", "2024-01-05", "SIRET inconnu", "REJ", "r3")])
    assert status_history(listed, 2) == [HistoryRow("DEPOSEE", "2024-01-02", "", "", "r1"),
                                         HistoryRow("REJETEE", "2024-01-05", "SIRET inconnu", "REJ", "r3")]
    assert status_history(listed, 1) == []


def test_filter_choices_list_companies_and_statuses(listed: StateStore, state: StateStore) -> None:
    assert filter_choices(listed) == (["ACME", "BETA"], [NO_STATUS, "DEPOSEE", "REJETEE"])


def test_filter_choices_of_an_empty_database(state: StateStore) -> None:
    assert filter_choices(state) == ([], [])


def test_listing_stays_fast_with_100_000_invoices(state: StateStore) -> None:
    statuses = ["", "DEPOSEE", "MISE_A_DISPOSITION", "REJETEE", "MANDATEE", "MISE_EN_PAIEMENT"]
    _insert(state, [("ACME" if i % 10 else "BETA", f"F-{i:06d}", f"Customer {i % 997}",
                     "SUSPENDUE" if i % 5000 == 0 else statuses[i % 6]) for i in range(100_000)])
    filters = [InvoiceFilter(), InvoiceFilter(company="ACME"), InvoiceFilter(company="BETA", status="REJETEE"),
               InvoiceFilter(status="SUSPENDUE"), InvoiceFilter(status=NO_STATUS), InvoiceFilter(text="F-0999"),
               InvoiceFilter(company="ACME", text="customer 99")]
    slowest = 0.0
    for flt in filters:
        for offset in (0, 5_000):
            started = time.perf_counter()
            list_invoices(state, flt, offset, 100)
            count_invoices(state, flt)
            slowest = max(slowest, time.perf_counter() - started)
    started = time.perf_counter()
    companies, statuses_found = filter_choices(state)
    slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 0.5  # typically under 20 ms; the margin is for slow CI machines
    assert companies == ["ACME", "BETA"] and "SUSPENDUE" in statuses_found
    assert count_invoices(state, InvoiceFilter(status="SUSPENDUE")) == 20
    assert _numbers(state, InvoiceFilter(company="BETA"), 0, 2) == ["F-099990", "F-099980"]
