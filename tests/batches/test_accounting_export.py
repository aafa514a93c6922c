"""AccountingExport against the Inqom sandbox: delivered once each, Duplicate reported, statuses followed."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from akadmin_tui.batches import ubl_formats
from akadmin_tui.batches.invoice_files import UBL_SYNTAX, read_invoice_bytes
from akadmin_tui.batches.invoices import import_invoice
from akadmin_tui.batches.runtime import BatchSpec, Outcome
from akadmin_tui.batches.state import StateStore, invoice_files_dir, state_path_for
from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.accounting import FIELDS
from akadmin_tui.settings.schedules import Schedule

from .conftest import import_samples, log_of, run

UPLOADS = "/api/accounting-documents/accounting-folders"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def export_spec(**params) -> BatchSpec:
    base = {"BATCH_USER": "TECH_AKUITEO", "BATCH_PWD": "batch-secret-pwd", "BATCH_MAIL": "support@acme.example",
            "LISTE_SOCIETES_A_TRAITER": "ACME"}
    return BatchSpec("EXPORT", "Accounting", "AccountingExport", Schedule(""), {**base, **params})


@pytest.fixture
def outbox(tmp_path):
    root = tmp_path / "accounting"
    (root / "ACME" / "purchases").mkdir(parents=True)
    (root / "ACME" / "expenses").mkdir(parents=True)
    (root / "ACME" / "purchases" / "SUP-77.pdf").write_bytes(sample_invoices.facturx_pdf("SUP-77"))
    (root / "ACME" / "expenses" / "Jeanne Martin").mkdir()
    (root / "ACME" / "expenses" / "Jeanne Martin" / "taxi-2026-11-03.pdf").write_bytes(sample_invoices.plain_pdf())
    return root


def uploads(sandbox) -> list:
    return [r for r in sandbox.inqom.calls if r.method == "POST" and "token" not in r.path]


async def test_each_document_is_delivered_once_with_its_kind(editor, state, sandbox, tmp_path, outbox) -> None:
    import_samples(state, tmp_path, ["F-A1", "F-A2"])
    summary = await run(export_spec(DOSSIER_PIECES_COMPTABLES=str(outbox)), editor, state)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    assert summary.counts["delivered"] == 4
    kinds = sorted(form["TypeScan"] for form in sandbox.inqom.forms.values() if "TypeScan" in form)
    assert kinds == ["Client", "Client", "Supplier"]
    assert len(uploads(sandbox)) == 4  # three documents and one expense bill
    assert [f["BeneficiaryFullName"] for f in sandbox.inqom.forms.values() if "BeneficiaryFullName" in f] == ["Jeanne Martin"]
    again = await run(export_spec(DOSSIER_PIECES_COMPTABLES=str(outbox)), editor, state)
    assert "delivered" not in again.counts and len(uploads(sandbox)) == 4


async def test_a_duplicate_is_reported_and_not_sent_again(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["F-D1"])
    first = await run(export_spec(), editor, state)
    assert first.counts["delivered"] == 1
    # The accounting firm deletes nothing, but our record of it is lost: the next delivery is a duplicate.
    state.execute("DELETE FROM accounting_deliveries")
    second = await run(export_spec(), editor, state)
    assert second.counts["duplicates"] == 1 and second.outcome is Outcome.OK
    third = await run(export_spec(), editor, state)
    assert "duplicates" not in third.counts and len(uploads(sandbox)) == 2


async def test_inqom_statuses_are_followed_with_their_reason(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["F-S1"])
    await run(export_spec(), editor, state)
    remote = state.query("SELECT remote_id FROM accounting_deliveries")[0][0]
    sandbox.inqom.advance(remote, "ManualProcessing", "exercice clôturé")
    summary = await run(export_spec(), editor, state)
    assert summary.counts["status changes"] == 1
    assert any("ManualProcessing" in text and level == "WARN" for level, text in log_of(state, summary.run_id))
    assert state.query("SELECT remote_status FROM accounting_deliveries")[0][0] == "ManualProcessing"


async def test_an_e_mail_cut_short_is_never_resent_on_its_own(editor, sandbox, tmp_path, akadmin) -> None:
    """No mailbox can be asked whether a message arrived: it stays in doubt for the admin."""
    editor.create(schema.ACCOUNTING, "MAILBOX", {"integration": "email", "recipient_email": "pieces@cabinet.example",
                                                "terms_accepted": True})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "MAILBOX"})
    state = StateStore(state_path_for(editor.config.path, editor.config.plain()))  # the one the command opens
    import_samples(state, tmp_path, ["F-K1"])
    invoice_id = state.query("SELECT id FROM invoices")[0][0]
    state.execute("INSERT INTO accounting_deliveries (company, configuration, kind, source_key, file_name, file_sha256, "
                  "state, created_at) VALUES ('ACME', 'MAILBOX', 'sales_invoice', ?, 'F-K1.xml', 'x', 'sending', "
                  "'2026-11-21T08:00:00+00:00')", (f"invoice:{invoice_id}",))
    summary = await run(export_spec(), editor, state)
    assert summary.counts["in doubt"] == 1 and sandbox.mailbox() == []
    code, out, _ = akadmin("accounting", "release", "MAILBOX", "--config", str(editor.config.path), "--passphrase-stdin",
                           stdin=DEMO_PASSPHRASE + "\n")
    assert code == 0 and out.startswith("1 delivery")
    again = await run(export_spec(), editor, state)
    assert again.counts["delivered"] == 1 and len(sandbox.mailbox()) == 1


async def test_failures_are_retried_then_left_for_the_next_run(editor, state, sandbox, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("akadmin_tui.batches.accounting_export.RETRY_DELAY_S", 0.01)
    import_samples(state, tmp_path, ["F-R1"])
    sandbox.inqom.set_fault("503")
    failed = await run(export_spec(), editor, state)
    sandbox.inqom.set_fault("none")
    assert failed.outcome is Outcome.ERRORS and failed.counts["failed"] == 1
    assert sum("attempt" in text for _, text in log_of(state, failed.run_id)) == 2
    later = await run(export_spec(), editor, state)
    assert later.counts["delivered"] == 1


async def test_no_delivery_until_the_terms_are_accepted(editor, state, sandbox, tmp_path) -> None:
    editor.apply(schema.ACCOUNTING, "INQOM", {"terms_accepted": False})
    import_samples(state, tmp_path, ["F-T1"])
    summary = await run(export_spec(), editor, state)
    assert summary.outcome is Outcome.ERRORS and uploads(sandbox) == []
    assert any("Terms of service" in text for _, text in log_of(state, summary.run_id))


async def test_a_package_without_api_is_said_plainly(editor, state, sandbox, tmp_path) -> None:
    editor.create(schema.ACCOUNTING, "ONEA", {"integration": "onea", "api_key": "onea-key-123", "terms_accepted": True})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "ONEA"})
    import_samples(state, tmp_path, ["F-O1"])
    summary = await run(export_spec(), editor, state)
    assert summary.counts["not deliverable"] == 1
    assert any("cannot deliver to it yet" in text for _, text in log_of(state, summary.run_id))


async def test_documents_go_by_e_mail_with_the_file_id_in_the_subject(editor, state, sandbox, tmp_path) -> None:
    editor.create(schema.ACCOUNTING, "MAILBOX", {"integration": "email", "recipient_email": "pieces@cabinet.example",
                                                "terms_accepted": True})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "MAILBOX"})
    import_samples(state, tmp_path, ["F-M1"])
    summary = await run(export_spec(), editor, state)
    assert summary.counts["delivered"] == 1, log_of(state, summary.run_id)
    message = sandbox.mailbox()[-1]
    assert message["To"] == "pieces@cabinet.example" and message["Subject"].startswith("ACME-2026 sales invoice F-M1")
    assert [part.get_filename() for part in message.iter_attachments()] == ["F-M1.xml"]


async def test_sftp_delivery_lands_in_the_company_folder_once(editor, state, sandbox, tmp_path) -> None:
    editor.apply(schema.ACCOUNTING, "SFTP", {"host_key": sandbox.sftp.host_key_fingerprint})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "SFTP"})
    import_samples(state, tmp_path, ["F-X1", "F-X2"])
    summary = await run(export_spec(), editor, state)
    assert summary.counts["delivered"] == 2, log_of(state, summary.run_id)
    landed = sorted(p.name for p in (sandbox.sftp_root / "Invoice_import" / "ACME-2026").iterdir())
    assert landed == ["F-X1.xml", "F-X2.xml"]
    again = await run(export_spec(), editor, state)
    assert "delivered" not in again.counts


async def test_an_unpinned_sftp_server_gets_nothing(editor, state, sandbox, tmp_path) -> None:
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "SFTP"})  # the demo leaves its key unpinned
    import_samples(state, tmp_path, ["F-U1"])
    summary = await run(export_spec(), editor, state)
    assert summary.counts["failed"] == 1 and not (sandbox.sftp_root / "Invoice_import").exists()
    assert any("host key" in text for _, text in log_of(state, summary.run_id))


def test_killed_mid_delivery_loses_and_duplicates_nothing(editor, sandbox, tmp_path) -> None:
    """A real SIGKILL after Inqom stored a document but before its Id was written; then a second run."""
    import signal
    import subprocess
    import sys
    import time

    from akadmin_tui.batches.state import StateStore, state_path_for
    from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE

    editor.create(schema.BATCHES, "EXPORT", {"label": "Export", "template": "AccountingExport", "BATCH_USER": "u",
                                             "BATCH_PWD": "batch-secret-pwd", "BATCH_MAIL": "support@acme.example",
                                             "LISTE_SOCIETES_A_TRAITER": "ACME"})
    state = StateStore(state_path_for(editor.config.path, editor.config.plain()))
    import_samples(state, tmp_path, ["F-KA1", "F-KA2", "F-KA3"])
    state.close()
    command = [sys.executable, "-m", "akadmin_tui.cli", "batch", "run", "EXPORT", "--json", "--config",
               str(editor.config.path), "--passphrase-stdin"]
    sandbox.inqom.upload_answer_delay_s = 30.0
    first = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             text=True)
    first.stdin.write(DEMO_PASSPHRASE + "\n")
    first.stdin.close()
    deadline = time.monotonic() + 30
    while not sandbox.inqom.forms and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.inqom.forms, "nothing reached Inqom"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    sandbox.inqom.upload_answer_delay_s = 0.0
    second = subprocess.run(command, input=DEMO_PASSPHRASE + "\n", capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stdout + second.stderr
    assert '"adopted": 1' in second.stdout and '"delivered": 2' in second.stdout
    sources = sorted(form["SourceId"] for form in sandbox.inqom.forms.values())
    assert len(sources) == 3 and len(set(sources)) == 3  # each invoice once, none lost
    assert all(d.get("Status") != "Duplicate" for d in sandbox.inqom.documents.values())


async def test_a_lost_inqom_answer_is_not_sent_again_in_the_run(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["F-L1"])
    sandbox.inqom.server_error = True  # a 500 on upload: Inqom may have stored it before failing
    lost = await run(export_spec(), editor, state)
    sandbox.inqom.server_error = False
    assert lost.counts["in doubt"] == 1 and "failed" not in lost.counts
    assert state.query("SELECT state FROM accounting_deliveries")[0][0] == "in doubt"
    later = await run(export_spec(), editor, state)  # Inqom does not list it: sent now, once
    assert later.counts["delivered"] == 1 and len(sandbox.inqom.forms) == 1


# --- The UBL format of SFTP (and Dropbox) configurations ---------------------------------------------------------


def _sftp(editor, sandbox, ubl_format: str | None = None) -> None:
    values = {"host_key": sandbox.sftp.host_key_fingerprint}
    if ubl_format is not None:
        values["ubl_format"] = ubl_format
    editor.apply(schema.ACCOUNTING, "SFTP", values)
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "SFTP"})


def _landed(sandbox) -> dict[str, bytes]:
    folder = sandbox.sftp_root / "Invoice_import" / "ACME-2026"
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}


def _import(state, tmp_path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    outcome = import_invoice(state, tmp_path / name, "ACME", data_dir=invoice_files_dir(state.path))
    assert outcome.status == "imported", outcome.message


async def test_ubl_2_1_delivers_ubl_as_it_is_and_converts_cii_and_factur_x(editor, state, sandbox, tmp_path,
                                                                           outbox) -> None:
    _sftp(editor, sandbox)  # UBL 2.1 is the default
    import_samples(state, tmp_path, ["F-U1"])
    _import(state, tmp_path, "F-C1.xml", sample_invoices.cii_invoice("F-C1", amount="2399.99"))
    (outbox / "ACME" / "purchases" / "scan.pdf").write_bytes(sample_invoices.plain_pdf())
    summary = await run(export_spec(DOSSIER_PIECES_COMPTABLES=str(outbox)), editor, state)
    log = log_of(state, summary.run_id)
    landed = _landed(sandbox)
    assert sorted(landed) == ["F-C1.xml", "F-U1.xml", "SUP-77.xml", "taxi-2026-11-03.pdf"], log
    assert landed["F-U1.xml"] == sample_invoices.ubl_invoice("F-U1")  # UBL goes as it is
    for name, number, amount in (("F-C1.xml", "F-C1", "2399.99"), ("SUP-77.xml", "SUP-77", "1200.00")):
        document = read_invoice_bytes(landed[name], name)  # a valid UBL 2.1 invoice of the same amounts
        assert (document.syntax, document.number, document.amount) == (UBL_SYNTAX, number, amount)
    embedded = etree.fromstring(landed["SUP-77.xml"]).find(f".//{{{CBC}}}EmbeddedDocumentBinaryObject")
    assert embedded.get("mimeCode") == "application/pdf" and embedded.get("filename") == "SUP-77.pdf"
    assert base64.b64decode(embedded.text) == (outbox / "ACME" / "purchases" / "SUP-77.pdf").read_bytes()
    # A scanned purchase invoice is no e-invoice: refused with the reason, not sent, looked at again next run.
    assert summary.outcome is Outcome.ERRORS and summary.counts["refused"] == 1 and summary.counts["delivered"] == 4
    assert any(level == "ERROR" and "purchase invoice scan.pdf is not delivered to SFTP, whose UBL format is UBL 2.1: "
               "it is not an invoice akadmin can deliver as UBL 2.1: scan.pdf is a plain PDF, not Factur-X" in text
               for level, text in log)
    assert state.query("SELECT COUNT(*) FROM accounting_deliveries WHERE file_name = 'scan.pdf'")[0][0] == 0
    again = await run(export_spec(DOSSIER_PIECES_COMPTABLES=str(outbox)), editor, state)
    assert again.counts == {"refused": 1}, log_of(state, again.run_id)


@pytest.mark.parametrize("flavour", ["Peppol BIS Billing 3.0", "e-FFF 3.0"])
async def test_peppol_and_e_fff_deliver_only_invoices_already_in_that_flavour(editor, state, sandbox, tmp_path,
                                                                              flavour: str) -> None:
    _sftp(editor, sandbox, flavour)
    declared = {"Peppol BIS Billing 3.0": ubl_formats.PEPPOL_BIS_3_ID, "e-FFF 3.0": ubl_formats.UBL_BE_ID}[flavour]
    ready = sample_invoices.ubl_invoice("F-OK").replace(b">urn:cen.eu:en16931:2017<", f">{declared}<".encode())
    if flavour == "e-FFF 3.0":  # e-FFF carries the PDF of the invoice
        pdf = base64.b64encode(sample_invoices.plain_pdf())
        ready = ready.replace(b"  <cac:AccountingSupplierParty>", b"  <cac:AdditionalDocumentReference><cbc:ID>F-OK"
                              b"</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode=\"application/pdf\" "
                              b"filename=\"F-OK.pdf\">" + pdf + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
                              b"</cac:AdditionalDocumentReference>\n  <cac:AccountingSupplierParty>")
    _import(state, tmp_path, "F-OK.xml", ready)
    import_samples(state, tmp_path, ["F-EN"])  # plain EN 16931 UBL
    _import(state, tmp_path, "F-PDF.pdf", sample_invoices.facturx_pdf("F-PDF"))
    summary = await run(export_spec(), editor, state)
    log = log_of(state, summary.run_id)
    assert _landed(sandbox) == {"F-OK.xml": ready}, log
    assert summary.counts == {"delivered": 1, "refused": 2} and summary.outcome is Outcome.ERRORS
    refusals = [text for level, text in log if level == "ERROR"]
    assert any(f"sales invoice F-EN.xml is not delivered to SFTP, whose UBL format is {flavour}: it is a UBL invoice "
               f"that declares 'urn:cen.eu:en16931:2017', not {flavour} ({declared})" in text for text in refusals)
    assert any(f"sales invoice F-PDF.pdf is not delivered to SFTP, whose UBL format is {flavour}: it is a CII invoice "
               f"(Factur-X PDF), and akadmin converts CII only to plain UBL 2.1" in text for text in refusals)


def test_e_fff_wants_the_pdf_embedded() -> None:
    ubl_be = sample_invoices.ubl_invoice().replace(b">urn:cen.eu:en16931:2017<", f">{ubl_formats.UBL_BE_ID}<".encode())
    with pytest.raises(ubl_formats.NotDeliverable, match="embeds no PDF of the invoice, which e-FFF requires"):
        ubl_formats.in_flavour("F-1.xml", ubl_be, "e-FFF 3.0")


MINIMUM_CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>M-1</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240315</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Akuiteo Conseil</ram:Name>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Mairie de Lyon</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">200.00</ram:TaxTotalAmount><ram:GrandTotalAmount>1200.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>1200.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


@pytest.mark.parametrize(("data", "profile"), [
    (MINIMUM_CII, "MINIMUM"),
    (sample_invoices.cii_invoice().replace(b">urn:cen.eu:en16931:2017<",
                                           b">urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended<"),
     "EXTENDED")])
def test_a_cii_of_a_profile_ubl_cannot_hold_is_not_converted(data: bytes, profile: str) -> None:
    read_invoice_bytes(data, "f.xml")  # a valid invoice of that profile
    with pytest.raises(ubl_formats.NotDeliverable, match=f"of the Factur-X {profile} profile: only BASIC and EN 16931 "
                                                         "convert to UBL 2.1 without loss"):
        ubl_formats.in_flavour("F-1.xml", data, "UBL 2.1")


def test_the_ubl_format_default_is_the_one_akadmin_can_always_honour() -> None:
    assert FIELDS["ubl_format"].default == ubl_formats.UBL_21
    assert set(FIELDS["ubl_format"].choices) == {ubl_formats.UBL_21, *ubl_formats.DECLARED_IDS}
