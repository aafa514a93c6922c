"""What an invoice file is: a Factur-X PDF, a UBL 2.1 or a CII D16B XML, read into the few fields akadmin keeps.

Each file is also checked against its official schema (invoice_schemas: the UBL 2.1 XSD, the Factur-X XSD of the
profile a CII file declares) and a PDF against what makes it Factur-X (the XMP metadata declaring the profile, the
XML as an associated file): a file CHORUS PRO would refuse days later is refused at import, with the first error
and its line.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.parsers import expat

from lxml import etree

from . import invoice_schemas as schemas

MAX_BYTES = 10 * 1024 * 1024  # CHORUS PRO refuses attachments over 10 MiB
UBL_SYNTAX = "IN_DP_E1_UBL_INVOICE"
CII_SYNTAX = "IN_DP_E1_CII_16B"
FACTURX_SYNTAX = "IN_DP_E2_CII_FACTURX"
FACTURX_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
EXPECTED = "expected a Factur-X PDF (a PDF carrying factur-x.xml), a UBL 2.1 Invoice or a CII D16B XML file"

_UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
}
_CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# xs:decimal as UBL and CII write amounts: no exponent, no thousands separator.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOCTYPE = "<!DOCTYPE"

# pypdf warns about every repaired PDF through logging; without a handler Python prints that over the console.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


class InvoiceFileError(ValueError):
    """A file akadmin cannot transfer; the text names the file and says what is expected."""


@dataclass(frozen=True)
class InvoiceDocument:
    """The fields of an invoice that akadmin keeps and shows."""

    number: str
    issue_date: str  # YYYY-MM-DD, or '' when the file gives none
    amount: str  # the payable total as written, e.g. '1200.00'
    currency: str
    customer: str
    customer_siret: str
    seller_siret: str
    syntax: str  # CHORUS PRO's syntaxeFlux
    media_type: str

    @property
    def extension(self) -> str:
        """The file extension a copy of this invoice gets."""
        return "pdf" if self.media_type == "application/pdf" else "xml"


def read_invoice(path: Path) -> InvoiceDocument:
    """Read the invoice file at `path`, or raise InvoiceFileError."""
    return load_invoice(path)[0]


def load_invoice(path: Path) -> tuple[InvoiceDocument, bytes]:
    """Read the invoice at `path` and return it with the bytes it was read from (read once, so they agree)."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)  # one byte more is enough to know it is too large
    except OSError as error:
        raise InvoiceFileError(f"{path.name} cannot be read: {error.strerror or error}") from None
    return read_invoice_bytes(data, path.name), data


def read_invoice_bytes(data: bytes, name: str) -> InvoiceDocument:
    """Read an invoice from its bytes; `name` is only used in messages."""
    if not data:
        raise InvoiceFileError(f"{name} is empty: {EXPECTED}")
    if len(data) > MAX_BYTES:
        raise InvoiceFileError(f"{name} is over 10 MiB, the largest file CHORUS PRO accepts; "
                               "send a lighter PDF (compress its images) or split the invoice's attachments")
    # A PDF header may follow up to 1 KiB of junk, which readers tolerate.
    if b"%PDF-" in data[:1024]:
        return _read_facturx(data, name)
    if _looks_like_xml(data):
        return _read_xml(data, name, name)[0]
    raise InvoiceFileError(f"{name} is not an invoice akadmin can transfer: {EXPECTED}")


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64]
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        return True
    return head.lstrip().startswith(b"<")


@dataclass(frozen=True)
class _PdfParts:
    attachments: list[str]
    wanted: str | None  # the Factur-X attachment's name
    xml: bytes
    xmp: bytes | None
    associated: list[str]  # the names of the catalog's associated files (/AF)


def _pdf_parts(data: bytes, name: str) -> _PdfParts:
    from pypdf import PdfReader  # imported here: only PDFs need it

    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        found = list(attachments)
        wanted = next((key for key in found if key.lower() in FACTURX_NAMES), None)
        xml = attachments[wanted][0] if wanted is not None else b""
        catalog = reader.root_object
        metadata = catalog.get("/Metadata")
        xmp = metadata.get_object().get_data() if metadata is not None else None
        associated = [_file_name(spec.get_object()) for spec in (catalog.get("/AF") or [])]
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds of errors on damaged or encrypted files
        raise InvoiceFileError(f"{name} is a PDF akadmin cannot read ({error or type(error).__name__}): "
                               f"{EXPECTED}") from None
    return _PdfParts(found, wanted, xml, xmp, associated)


def invoice_xml(data: bytes, name: str) -> bytes:
    """The invoice XML of a file read_invoice_bytes accepts: the file itself, or a Factur-X PDF's attachment."""
    return _pdf_parts(data, name).xml if b"%PDF-" in data[:1024] else data


def _read_facturx(data: bytes, name: str) -> InvoiceDocument:
    parts = _pdf_parts(data, name)
    if parts.wanted is None:
        carried = f" (it carries {', '.join(sorted(parts.attachments))})" if parts.attachments else ""
        raise InvoiceFileError(f"{name} is a plain PDF, not Factur-X: it has no factur-x.xml attachment{carried}; "
                               f"{EXPECTED}")
    where = f"{parts.wanted} in {name}"
    if not parts.xml:
        raise InvoiceFileError(f"{where} is empty: a Factur-X PDF must carry its CII invoice XML")
    document, profile = _read_xml(parts.xml, where, name, embedded=True)
    _check_facturx_pdf(name, parts.wanted, parts.xmp, parts.associated, profile)
    return replace(document, syntax=FACTURX_SYNTAX, media_type="application/pdf")


def _file_name(spec: Any) -> str:
    """The name a file specification of /AF gives its file."""
    return str(spec.get("/UF") or spec.get("/F") or "") if hasattr(spec, "get") else ""


_MAKE_FACTURX = ("make the PDF with a Factur-X tool (a PDF/A-3 with the XML as an associated file and the Factur-X "
                 "XMP metadata), not by attaching the XML to a PDF")


def _check_facturx_pdf(name: str, wanted: str, xmp: bytes | None, associated: list[str],
                       profile: schemas.CiiProfile) -> None:
    """What makes the PDF Factur-X beyond its attachment: XMP metadata declaring PDF/A-3 and the profile of the
    XML, and the XML listed among the associated files. Not a full PDF/A-3 validation (fonts, colours, ...)."""
    if not xmp:
        raise InvoiceFileError(f"{name} is not a Factur-X PDF: it carries {wanted} but has no XMP metadata declaring "
                               f"the Factur-X profile (PDF/A-3 requires it); {_MAKE_FACTURX}")
    if _has_doctype(xmp):
        raise InvoiceFileError(f"the XMP metadata of {name} declares a DOCTYPE, which akadmin refuses")
    declared = schemas.facturx_metadata(_parsed(xmp, f"the XMP metadata of {name}"))
    if declared.pdfa_part != "3":
        part = f"PDF/A-{declared.pdfa_part}" if declared.pdfa_part else "no PDF/A part"
        raise InvoiceFileError(f"{name} is not a PDF/A-3: its XMP metadata declares {part} (pdfaid:part), and "
                               f"Factur-X is PDF/A-3; {_MAKE_FACTURX}")
    level = schemas.XMP_LEVELS.get(declared.level.upper())
    if level is None:
        what = f"the unknown profile {declared.level!r}" if declared.level else "no Factur-X profile"
        raise InvoiceFileError(f"{name} is not a Factur-X PDF: its XMP metadata declares {what} "
                               "(fx:ConformanceLevel: MINIMUM, BASIC WL, BASIC, EN 16931 or EXTENDED); "
                               f"{_MAKE_FACTURX}")
    if level != profile.family or not profile.declared:
        xml_says = (f"declares {schemas.PROFILE_LABELS[profile.key]} ({profile.guideline})" if profile.declared
                    else f"declares no Factur-X profile ({profile.guideline or 'no guideline ID'})")
        raise InvoiceFileError(f"{name} declares the Factur-X profile {declared.level} in its XMP metadata but "
                               f"{wanted} {xml_says}: the two must agree (GuidelineSpecifiedDocumentContextParameter "
                               "and fx:ConformanceLevel)")
    if declared.file_name and declared.file_name.lower() != wanted.lower():
        raise InvoiceFileError(f"{name} names {declared.file_name} as its invoice XML in its XMP metadata "
                               f"(fx:DocumentFileName), but the attachment is {wanted}; {_MAKE_FACTURX}")
    if wanted.lower() not in (file.lower() for file in associated):
        raise InvoiceFileError(f"{name} does not list {wanted} among its associated files (/AF), as PDF/A-3 requires "
                               f"of the invoice XML; {_MAKE_FACTURX}")


def _read_xml(data: bytes, where: str, name: str, *,
              embedded: bool = False) -> tuple[InvoiceDocument, schemas.CiiProfile]:
    """The document's fields, checked, then its schema; the CII profile it was checked against (UBL: none)."""
    if _has_doctype(data):
        raise InvoiceFileError(f"{where} declares a DOCTYPE, which akadmin refuses: entity declarations are "
                               "not accepted in invoice XML (UBL and CII never need one)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        line, column = error.position
        raise InvoiceFileError(f"{where} is not well-formed XML: {expat.ErrorString(error.code)} at line {line}, "
                               f"column {column + 1}") from None
    if root.tag == _CII_ROOT:
        document = _read_cii(root, where)
        return document, _check_cii_schema(data, where)
    if root.tag in _UBL_ROOTS and not embedded:
        document = _read_ubl(root, where)
        key = "ubl-invoice" if root.tag.endswith("}Invoice") else "ubl-creditnote"
        _check_schema(_parsed(data, where), key, where, schemas.SCHEMAS[key].label)
        return document, schemas.NO_PROFILE
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    found = f"<{local}>" + (f" in namespace {namespace}" if namespace else " without a namespace")
    if embedded:
        raise InvoiceFileError(f"{where} is not a CII D16B invoice (its root element is {found}): "
                               "a Factur-X PDF must carry a rsm:CrossIndustryInvoice")
    raise InvoiceFileError(f"{where} is XML but neither a UBL 2.1 Invoice nor a CII D16B invoice: its root element "
                           f"is {found}; {EXPECTED}")


def _parsed(data: bytes, where: str) -> Any:
    """The document parsed again, by lxml, which validates (an lxml element: lxml has no type stubs); the safe
    parser resolves no entity, reads no DTD and fetches nothing."""
    try:
        return schemas.parse(data)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise InvoiceFileError(f"{where} is not well-formed XML ({error})") from None


def _check_cii_schema(data: bytes, where: str) -> schemas.CiiProfile:
    root = _parsed(data, where)
    profile = schemas.cii_profile(schemas.guideline(root))
    label = schemas.SCHEMAS[profile.key].label
    if profile.declared:
        label += f", the profile its GuidelineSpecifiedDocumentContextParameter declares ({profile.guideline})"
    else:
        declared = f"declares {profile.guideline!r}" if profile.guideline else "declares no guideline ID"
        label += (f" (the file {declared}, no Factur-X or EN 16931 profile; no full CII D16B XSD is available, so "
                  "the widest CII schema akadmin has is used)")
    _check_schema(root, profile.key, where, label)
    return profile


def _check_schema(root: object, key: str, where: str, label: str) -> None:
    try:
        schemas.validate(root, key)
    except schemas.SchemaError as error:
        raise InvoiceFileError(f"{where} does not follow the {label}: line {error.line}: {error.text}. Correct the "
                               "file at that line (or the export that wrote it) and import it again: CHORUS PRO "
                               "refuses a file its schema refuses") from None


def _has_doctype(data: bytes) -> bool:
    """Whether the XML declares a DOCTYPE, in any encoding expat would read it in."""
    if _DOCTYPE in data.decode("latin-1").upper():
        return True
    # UTF-16 and UTF-32 hide the declaration from a byte search; decode them too.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            if _DOCTYPE in data.decode(codec, errors="ignore").upper():
                return True
    return False


def _text(node: ET.Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _first(root: ET.Element, *paths: str) -> ET.Element | None:
    for path in paths:
        node = root.find(path, _NS)
        if node is not None and _text(node):
            return node
    return None


def _required(root: ET.Element, where: str, what: str, *paths: str) -> str:
    node = _first(root, *paths)
    if node is None:
        raise InvoiceFileError(f"{where} has no {what} ({paths[0]})")
    return _text(node)


def _amount(root: ET.Element, where: str, *paths: str) -> ET.Element:
    node = _first(root, *paths)
    if node is None:
        raise InvoiceFileError(f"{where} has no payable amount ({paths[0]})")
    if not _DECIMAL.fullmatch(_text(node)):
        raise InvoiceFileError(f"{where} has a payable amount {_text(node)!r} that is not a decimal number "
                               "(expected digits with a dot, e.g. 1200.00)")
    return node


def _digits(text: str) -> str:
    return re.sub(r"\s", "", text)


def _iso_date(text: str, where: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat() if text else ""
    except ValueError:
        raise InvoiceFileError(f"{where} has an issue date {text!r} that is not a date (expected YYYY-MM-DD)") from None


def _read_ubl(root: ET.Element, where: str) -> InvoiceDocument:
    number = _required(root, where, "invoice number", "cbc:ID")
    payable = _amount(root, where, "cac:LegalMonetaryTotal/cbc:PayableAmount")
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    return InvoiceDocument(
        number=number,
        issue_date=_iso_date(_text(root.find("cbc:IssueDate", _NS)), where),
        amount=_text(payable),
        currency=_text(root.find("cbc:DocumentCurrencyCode", _NS)) or payable.get("currencyID", "EUR"),
        customer=_text(_first(root, buyer + "cac:PartyLegalEntity/cbc:RegistrationName",
                              buyer + "cac:PartyName/cbc:Name")),
        customer_siret=_ubl_siret(root.find(buyer + "cac:PartyLegalEntity/cbc:CompanyID", _NS)),
        seller_siret=_ubl_siret(root.find(
            "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", _NS)),
        syntax=UBL_SYNTAX,
        media_type="application/xml",
    )


def _ubl_siret(node: ET.Element | None) -> str:
    # CompanyID may be a SIREN, a VAT number or a foreign ID; only a SIRET (scheme 0009) is kept.
    value = _digits(_text(node))
    if node is not None and (node.get("schemeID") == "0009" or re.fullmatch(r"[0-9]{14}", value)):
        return value
    return ""


def _read_cii(root: ET.Element, where: str) -> InvoiceDocument:
    number = _required(root, where, "invoice number", "rsm:ExchangedDocument/ram:ID")
    summation = ".//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    payable = _amount(root, where, summation + "ram:DuePayableAmount", summation + "ram:GrandTotalAmount")
    buyer = ".//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/"
    seller = ".//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/"
    siret = "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"
    return InvoiceDocument(
        number=number,
        issue_date=_cii_date(root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", _NS), where),
        amount=_text(payable),
        currency=(_text(root.find(".//ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode", _NS))
                  or payable.get("currencyID", "EUR")),
        customer=_text(root.find(buyer + "ram:Name", _NS)),
        customer_siret=_digits(_text(root.find(buyer + siret, _NS))),
        seller_siret=_digits(_text(root.find(seller + siret, _NS))),
        syntax=CII_SYNTAX,
        media_type="application/xml",
    )


def _cii_date(node: ET.Element | None, where: str) -> str:
    text = _text(node)
    if not text:
        return ""
    assert node is not None  # it has a text
    # Format 102 is CCYYMMDD, the only one EN 16931 allows for an issue date.
    date_format = node.get("format", "102")
    if date_format != "102" or not re.fullmatch(r"[0-9]{8}", text):
        raise InvoiceFileError(f"{where} has an issue date {text!r} (format {date_format}) that is "
                               "not a date in format 102 (expected YYYYMMDD)")
    return _iso_date(f"{text[:4]}-{text[4:6]}-{text[6:]}", where)
