"""Reading invoice files: the three formats CHORUS PRO takes, and a clear refusal for anything else."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from pypdf import PdfWriter

from akadmin_tui.batches.invoice_files import (
    CII_SYNTAX, EXPECTED, FACTURX_SYNTAX, MAX_BYTES, UBL_SYNTAX, InvoiceFileError, load_invoice, read_invoice,
    read_invoice_bytes)

from akadmin_tui.sandbox.sample_invoices import BUYER_SIRET, SELLER_SIRET, cii_invoice, facturx_pdf, plain_pdf, ubl_invoice


def _refusal(data: bytes, name: str = "F-1.xml") -> str:
    with pytest.raises(InvoiceFileError) as caught:
        read_invoice_bytes(data, name)
    return str(caught.value)


def _credit_note(data: bytes) -> bytes:
    return (data.replace(b"Invoice-2", b"CreditNote-2").replace(b"<Invoice ", b"<CreditNote ")
            .replace(b"</Invoice>", b"</CreditNote>"))


def test_a_ubl_invoice_gives_its_fields() -> None:
    document = read_invoice_bytes(ubl_invoice("F-2024-0042", amount="1234.50", buyer="Mairie de Lyon"), "f.xml")
    assert (document.number, document.issue_date, document.amount, document.currency) == (
        "F-2024-0042", "2024-03-15", "1234.50", "EUR")
    assert (document.customer, document.customer_siret, document.seller_siret) == (
        "Mairie de Lyon", BUYER_SIRET, SELLER_SIRET)
    assert (document.syntax, document.media_type, document.extension) == (UBL_SYNTAX, "application/xml", "xml")


def test_a_ubl_credit_note_is_ubl_too() -> None:
    document = read_invoice_bytes(_credit_note(ubl_invoice("AV-7", amount="-50.00")), "av.xml")
    assert (document.number, document.amount, document.syntax) == ("AV-7", "-50.00", UBL_SYNTAX)


def test_ubl_buyer_name_falls_back_to_the_party_name() -> None:
    data = ubl_invoice(buyer="CHU de Nantes").replace(
        b"<cbc:RegistrationName>CHU de Nantes</cbc:RegistrationName>", b"")
    assert read_invoice_bytes(data, "f.xml").customer == "CHU de Nantes"


def test_ubl_siret_is_kept_only_when_it_is_one() -> None:
    tagged = ubl_invoice(buyer_siret="216 901 231 00011")
    assert read_invoice_bytes(tagged, "f.xml").customer_siret == BUYER_SIRET  # scheme 0009, spaces dropped
    untagged = tagged.replace(b' schemeID="0009"', b"")
    assert read_invoice_bytes(untagged, "f.xml").customer_siret == BUYER_SIRET  # 14 digits
    siren = ubl_invoice(buyer_siret="216901231").replace(b' schemeID="0009"', b"")
    assert read_invoice_bytes(siren, "f.xml").customer_siret == ""
    assert read_invoice_bytes(ubl_invoice(buyer_siret=""), "f.xml").customer_siret == ""


def test_ubl_currency_defaults_to_the_amount_currency() -> None:
    data = ubl_invoice(currency="CHF").replace(b"<cbc:DocumentCurrencyCode>CHF</cbc:DocumentCurrencyCode>", b"")
    assert read_invoice_bytes(data, "f.xml").currency == "CHF"


def test_a_cii_invoice_gives_its_fields() -> None:
    document = read_invoice_bytes(cii_invoice("F-9", amount="99.90", buyer="Région Bretagne",
                                              issue_date="20241231", currency="USD"), "f.xml")
    assert (document.number, document.issue_date, document.amount, document.currency) == (
        "F-9", "2024-12-31", "99.90", "USD")
    assert (document.customer, document.customer_siret, document.seller_siret) == (
        "Région Bretagne", BUYER_SIRET, SELLER_SIRET)
    assert (document.syntax, document.media_type) == (CII_SYNTAX, "application/xml")


def test_cii_amount_falls_back_to_the_grand_total() -> None:
    data = cii_invoice(amount="10.00").replace(b"<ram:DuePayableAmount>10.00</ram:DuePayableAmount>", b"")
    assert read_invoice_bytes(data.replace(b"<ram:GrandTotalAmount>10.00", b"<ram:GrandTotalAmount>12.00"),
                              "f.xml").amount == "12.00"


def test_cii_without_a_buyer_siret_gives_none() -> None:
    assert read_invoice_bytes(cii_invoice(buyer_siret=""), "f.xml").customer_siret == ""


def test_a_cii_date_not_in_format_102_is_refused() -> None:
    data = cii_invoice(issue_date="202412").replace(b'format="102"', b'format="610"')
    assert "format 610" in _refusal(data) and "YYYYMMDD" in _refusal(data)
    assert "not a date" in _refusal(cii_invoice(issue_date="20241340"))


def test_a_ubl_date_that_is_not_a_date_is_refused() -> None:
    assert "'15/03/2024' that is not a date (expected YYYY-MM-DD)" in _refusal(ubl_invoice(issue_date="15/03/2024"))


def test_a_facturx_pdf_gives_the_embedded_cii_fields() -> None:
    document = read_invoice_bytes(facturx_pdf("F-3", amount="300.00"), "F-3.pdf")
    assert (document.number, document.amount, document.customer, document.issue_date) == (
        "F-3", "300.00", "Mairie de Lyon", "2024-03-15")
    assert (document.syntax, document.media_type, document.extension) == (FACTURX_SYNTAX, "application/pdf", "pdf")


@pytest.mark.parametrize("name", ["zugferd-invoice.xml", "xrechnung.xml", "Factur-X.xml"])
def test_zugferd_and_xrechnung_attachment_names_are_accepted(name: str) -> None:
    assert read_invoice_bytes(facturx_pdf("Z-1", attachment=name), "z.pdf").syntax == FACTURX_SYNTAX


def test_read_invoice_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "F-1.pdf"
    path.write_bytes(facturx_pdf("F-1"))
    assert read_invoice(path).number == "F-1"
    document, data = load_invoice(path)
    assert data == path.read_bytes() and document.number == "F-1"


def test_a_missing_file_is_refused_with_the_os_reason(tmp_path: Path) -> None:
    with pytest.raises(InvoiceFileError, match=r"^nowhere\.pdf cannot be read: No such file"):
        read_invoice(tmp_path / "nowhere.pdf")


# --- Refusals -------------------------------------------------------------------------------------------------


def test_anything_else_says_what_is_expected() -> None:
    assert _refusal(b"PK\x03\x04 a word document", "F-1.docx") == (
        "F-1.docx is not an invoice akadmin can transfer: expected a Factur-X PDF (a PDF carrying factur-x.xml), "
        "a UBL 2.1 Invoice or a CII D16B XML file")


def test_an_empty_file_is_refused() -> None:
    assert _refusal(b"", "F-1.pdf") == f"F-1.pdf is empty: {EXPECTED}"


def test_a_file_over_10_mib_is_refused() -> None:
    message = _refusal(b"%PDF-1.7\n" + b"0" * MAX_BYTES, "big.pdf")
    assert message.startswith("big.pdf is over 10 MiB") and "CHORUS PRO" in message


def test_a_file_of_exactly_10_mib_is_read() -> None:
    data = ubl_invoice("F-1")
    padded = data + b" " * (MAX_BYTES - len(data))  # trailing whitespace is still well-formed XML
    assert read_invoice_bytes(padded, "f.xml").number == "F-1"


def test_a_plain_pdf_is_not_facturx() -> None:
    assert _refusal(plain_pdf(), "F-1.pdf").startswith(
        "F-1.pdf is a plain PDF, not Factur-X: it has no factur-x.xml attachment; expected")


def test_a_pdf_with_other_attachments_names_them() -> None:
    message = _refusal(facturx_pdf(attachment="timesheet.csv", xml=b"a;b"), "F-1.pdf")
    assert "plain PDF, not Factur-X" in message and "(it carries timesheet.csv)" in message


def test_a_pdf_carrying_ubl_is_not_facturx() -> None:
    message = _refusal(facturx_pdf(xml=ubl_invoice()), "F-1.pdf")
    assert message.startswith("factur-x.xml in F-1.pdf is not a CII D16B invoice (its root element is <Invoice>")


def test_a_pdf_carrying_broken_xml_names_the_attachment() -> None:
    assert _refusal(facturx_pdf(xml=b"<a><b></a>"), "F-1.pdf").startswith(
        "factur-x.xml in F-1.pdf is not well-formed XML: mismatched tag at line 1, column")


def test_a_damaged_pdf_is_refused() -> None:
    assert _refusal(b"%PDF-1.7\ngarbage", "F-1.pdf").startswith("F-1.pdf is a PDF akadmin cannot read (")


def test_an_encrypted_pdf_is_refused_or_read_never_a_traceback() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("factur-x.xml", cii_invoice("E-1"))
    writer.encrypt("owner-only-password", "x")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(InvoiceFileError, match="is a PDF akadmin cannot read"):
        read_invoice_bytes(out.getvalue(), "E-1.pdf")


def test_other_xml_names_its_root_element() -> None:
    message = _refusal(b'<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>')
    assert message.startswith("F-1.xml is XML but neither a UBL 2.1 Invoice nor a CII D16B invoice: its root "
                              "element is <Order> in namespace urn:oasis:names:specification:ubl:schema:xsd:Order-2")
    assert "<facture> without a namespace" in _refusal(b"<facture/>")


def test_malformed_xml_gives_line_and_column() -> None:
    assert _refusal(b"<?xml version='1.0'?>\n<Invoice>\n  <ID>1</Id>\n</Invoice>") == (
        "F-1.xml is not well-formed XML: mismatched tag at line 3, column 10")  # where </Id> starts, counted from 1


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<Invoice>&lol;</Invoice>',
    b'<!DOCTYPE Invoice SYSTEM "file:///etc/passwd"><Invoice/>',
    b"<!doctype Invoice><Invoice/>",
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode("utf-16"),
])
def test_a_doctype_is_refused_before_parsing(data: bytes) -> None:
    assert _refusal(data) == ("F-1.xml declares a DOCTYPE, which akadmin refuses: entity declarations are not "
                              "accepted in invoice XML (UBL and CII never need one)")


def test_a_doctype_inside_facturx_is_refused() -> None:
    assert "factur-x.xml in F.pdf declares a DOCTYPE" in _refusal(facturx_pdf(xml=b"<!DOCTYPE a><a/>"), "F.pdf")


def test_a_missing_number_is_refused() -> None:
    assert _refusal(ubl_invoice(number="")) == "F-1.xml has no invoice number (cbc:ID)"
    assert _refusal(cii_invoice(number=" ")) == "F-1.xml has no invoice number (rsm:ExchangedDocument/ram:ID)"


def test_a_missing_amount_is_refused() -> None:
    data = ubl_invoice(amount="5.00").replace(b'<cbc:PayableAmount currencyID="EUR">5.00</cbc:PayableAmount>', b"")
    assert _refusal(data) == "F-1.xml has no payable amount (cac:LegalMonetaryTotal/cbc:PayableAmount)"
    cii = cii_invoice(amount="5.00").replace(b"<ram:DuePayableAmount>5.00</ram:DuePayableAmount>", b"")
    cii = cii.replace(b"<ram:GrandTotalAmount>5.00</ram:GrandTotalAmount>", b"")
    assert _refusal(cii).startswith("F-1.xml has no payable amount (")


@pytest.mark.parametrize("amount", ["1 200,00", "12e3", "EUR 10", "1.200.00"])
def test_an_amount_that_is_not_a_decimal_is_refused(amount: str) -> None:
    assert _refusal(ubl_invoice(amount=amount)) == (
        f"F-1.xml has a payable amount {amount!r} that is not a decimal number (expected digits with a dot, "
        "e.g. 1200.00)")


def test_damaged_files_are_refused_never_a_traceback() -> None:
    rng = random.Random(7)
    for source in (facturx_pdf("R-1"), ubl_invoice("R-1"), cii_invoice("R-1")):
        for _ in range(40):
            data = bytearray(source)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cut = bytes(data[: rng.randrange(1, len(data) + 1)])
            try:
                read_invoice_bytes(cut, "r")
            except InvoiceFileError:
                pass
