"""Sample invoice files built in code, each valid against its official schema: a UBL 2.1 Invoice and a CII D16B
invoice (Factur-X EN 16931 profile), both with the EN 16931 core fields (20 % VAT, seller VAT number, addresses,
payment means and terms), and a Factur-X PDF/A-3 made by the factur-x library. One invalid sample of each format
shows the refusal at import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock
from xml.sax.saxutils import escape

BUYER_SIRET = "21690123100011"  # Luhn-valid, like every SIRET here
SELLER_SIRET = "73282932000074"
SELLER_ADDRESS = ("12 rue de la République", "Lyon", "69002")
SELLER_IBAN = "FR7630006000011234567890189"
VAT_RATE = Decimal("20")
FACTURX_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
ZUGFERD_2P0 = "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#"
FACTURX_1P0 = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]{1,2})?")
_facturx_lock = threading.Lock()


def _vat_number(siret: str) -> str:
    """The French VAT number of the company a SIRET belongs to ('' when it is not a SIRET)."""
    digits = re.sub(r"\s", "", siret)
    if not re.fullmatch(r"[0-9]{14}", digits):
        return ""
    siren = int(digits[:9])
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{digits[:9]}"


def _amounts(amount: str) -> tuple[str, str]:
    """(net, VAT) of a payable `amount` at 20 % VAT, so that net + round(net × 20 %) = amount when a net allows it.
    An amount that is not a plain decimal is written as given everywhere: tests build refused files that way."""
    if not _PLAIN_DECIMAL.fullmatch(amount):
        return amount, amount
    total = Decimal(amount)
    net = (total * 100 / (100 + VAT_RATE)).quantize(_CENT, ROUND_HALF_UP)
    for candidate in (net, net - _CENT, net + _CENT):
        if candidate + (candidate * VAT_RATE / 100).quantize(_CENT, ROUND_HALF_UP) == total:
            net = candidate
            break
    return f"{net:.2f}", f"{total - net:.2f}"


def ubl_invoice(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "2024-03-15",
                seller: str = "Akuiteo Conseil", seller_siret: str = SELLER_SIRET) -> bytes:
    """A UBL 2.1 Invoice (EN 16931) with one line at 20 % VAT, payable `amount`."""
    net, vat = _amounts(amount)
    buyer_id = f'<cbc:CompanyID schemeID="0009">{escape(buyer_siret)}</cbc:CompanyID>' if buyer_siret else ""
    vat_number = _vat_number(seller_siret)
    seller_vat = (f"<cac:PartyTaxScheme><cbc:CompanyID>{vat_number}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
                  "</cac:TaxScheme></cac:PartyTaxScheme>" if vat_number else "")
    street, city, postcode = SELLER_ADDRESS
    category = ("<cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{escape(number)}</cbc:ID>
  <cbc:IssueDate>{escape(issue_date)}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>{escape(seller)}</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cbc:StreetName>{street}</cbc:StreetName><cbc:CityName>{city}</cbc:CityName>
      <cbc:PostalZone>{postcode}</cbc:PostalZone><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
    </cac:PostalAddress>
    {seller_vat}
    <cac:PartyLegalEntity><cbc:RegistrationName>{escape(seller)}</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0009">{escape(seller_siret)}</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>{escape(buyer)}</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>{escape(buyer)}</cbc:RegistrationName>{buyer_id}</cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>{SELLER_IBAN}</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>Paiement à 30 jours</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="{currency}">{vat}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="{currency}">{net}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="{currency}">{vat}</cbc:TaxAmount>
      <cac:TaxCategory>{category}</cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{currency}">{net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="{currency}">{net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="{currency}">{amount}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="{currency}">{net}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Consulting</cbc:Name><cac:ClassifiedTaxCategory>{category}</cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="{currency}">{net}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
""".encode()


def cii_invoice(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "20240315",
                seller: str = "Akuiteo Conseil", seller_siret: str = SELLER_SIRET) -> bytes:
    """A UN/CEFACT CII D16B invoice of the Factur-X EN 16931 profile, one line at 20 % VAT, payable `amount`;
    dates are YYYYMMDD."""
    net, vat = _amounts(amount)
    buyer_id = (f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{escape(buyer_siret)}</ram:ID>'
                "</ram:SpecifiedLegalOrganization>" if buyer_siret else "")
    vat_number = _vat_number(seller_siret)
    seller_vat = (f'<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{vat_number}</ram:ID>'
                  "</ram:SpecifiedTaxRegistration>" if vat_number else "")
    street, city, postcode = SELLER_ADDRESS
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{escape(number)}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{escape(issue_date)}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Consulting</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{net}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{net}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>{escape(seller)}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{escape(seller_siret)}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:PostcodeCode>{postcode}</ram:PostcodeCode><ram:LineOne>{street}</ram:LineOne>
          <ram:CityName>{city}</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        {seller_vat}
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{escape(buyer)}</ram:Name>{buyer_id}
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{SELLER_IBAN}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{vat}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{net}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:Description>Paiement à 30 jours</ram:Description></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{net}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{currency}">{vat}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{amount}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{amount}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


# --- PDF ------------------------------------------------------------------------------------------------------


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def srgb_icc_profile() -> bytes:
    """A small ICC v2 display profile with the sRGB primaries (D50-adapted) and a 2.2 gamma: the output intent
    PDF/A asks for when a page paints in DeviceRGB."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + _s15f16(x) + _s15f16(y) + _s15f16(z)

    def description(text: str) -> bytes:
        ascii_text = text.encode("ascii") + b"\0"
        return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8
                + b"\0\0\0" + b"\0" * 67)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233)  # gamma 2.2, in u8Fixed8
    tags = [(b"desc", description("sRGB (akadmin sample)")), (b"cprt", b"text\0\0\0\0Public domain\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4360, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data, placed = b"", b"", {}
    for signature, body in tags:
        if body not in placed:  # the three curves share one element, as profiles usually do
            placed[body] = offset + len(data)
            data += body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", placed[body], len(body))
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + xyz(0.9642, 1.0, 0.8249)[8:] + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + data


def _base_pdf(seed: bytes) -> bytes:
    """A one-page A4 PDF written by hand: a frame drawn in DeviceRGB, the sRGB output intent, and a trailer /ID
    derived from `seed` (so the same invoice always gives the same bytes). No text: PDF/A would need embedded fonts."""
    icc = srgb_icc_profile()
    content = b"0.18 0.33 0.59 RG 2 w 40 40 515 762 re S 0.18 0.33 0.59 rg 40 760 515 42 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 "
        b"/OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB) /DestOutputProfile 5 0 R >>] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /N 3 /Length %d >>\nstream\n%s\nendstream" % (len(icc), icc),
    ]
    out = bytearray(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    identifier = hashlib.md5(seed).hexdigest().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, identifier, identifier, xref)
    return bytes(out)


@contextmanager
def _frozen_clock(moment: dt.datetime) -> Iterator[None]:
    """The factur-x library stamps the XMP, the info dictionary and the attachment with the current time; a sample
    must give the same bytes every time, so its clock reads `moment` while it builds one."""
    import facturx.facturx as library

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Frozen:  # type: ignore[override]
            return cls.fromtimestamp(moment.timestamp(), tz) if tz else cls.fromtimestamp(moment.timestamp())

    with _facturx_lock, mock.patch.object(library, "datetime", Frozen):
        yield


def _stamp(issue_date: str) -> dt.datetime:
    try:
        day = dt.datetime.strptime(issue_date, "%Y%m%d")
    except ValueError:
        day = dt.datetime(2024, 1, 1)
    return day.replace(hour=9, tzinfo=dt.UTC)


def _facturx(base: bytes, xml: bytes, level: str, title: str, moment: dt.datetime) -> bytes:
    from facturx import generate_from_binary

    metadata = {"author": "Akuiteo Conseil", "keywords": "Factur-X, Invoice", "title": title,
                "subject": f"Factur-X invoice {title}"}
    with _frozen_clock(moment):
        # check_xsd is off so the invalid samples can be built too; the importer checks every file it reads.
        return generate_from_binary(base, xml, flavor="factur-x", level=level, check_xsd=False,
                                    pdf_metadata=metadata, lang="fr-FR", xmp_compression=False)


def _renamed(pdf: bytes, name: str) -> bytes:
    """The Factur-X PDF with its XML attached as `name` (ZUGFeRD 2.0's zugferd-invoice.xml, XRechnung's
    xrechnung.xml), the XMP saying so too."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    root = writer.root_object
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    names[0] = TextStringObject(name)
    filespec = names[1].get_object()
    filespec[NameObject("/F")] = TextStringObject(name)
    filespec[NameObject("/UF")] = TextStringObject(name)
    metadata = root["/Metadata"].get_object()
    xmp = metadata.get_data().replace(b"factur-x.xml", name.encode())
    if name.lower() == "zugferd-invoice.xml":
        xmp = xmp.replace(FACTURX_1P0.encode(), ZUGFERD_2P0.encode())
    metadata.set_data(xmp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def facturx_pdf(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "20240315",
                attachment: str = "factur-x.xml", xml: bytes | None = None) -> bytes:
    """A Factur-X PDF/A-3 (EN 16931 profile) carrying `xml`, by default a CII invoice, made by the factur-x library:
    XMP metadata with the Factur-X extension schema, the XML as an associated file (/AF), the sRGB output intent.

    `attachment` names the XML: one of FACTURX_NAMES gives a Factur-X PDF; any other name gives a plain PDF with
    that attachment, and '' a plain PDF."""
    if xml is None:
        xml = cii_invoice(number, amount=amount, buyer=buyer, buyer_siret=buyer_siret, currency=currency,
                          issue_date=issue_date)
    base = _base_pdf(xml)
    if attachment.lower() not in FACTURX_NAMES:
        return _plain(base, attachment, xml)
    pdf = _facturx(base, xml, "en16931", number, _stamp(issue_date))
    return pdf if attachment == "factur-x.xml" else _renamed(pdf, attachment)


def _plain(base: bytes, attachment: str, data: bytes) -> bytes:
    if not attachment:
        return base
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.add_attachment(attachment, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    """A one-page PDF with no attachment: what an ERP prints, not Factur-X."""
    return facturx_pdf(attachment="")


def bare_facturx_pdf(number: str = "F-2024-0001") -> bytes:
    """A PDF carrying a valid factur-x.xml but none of the rest of Factur-X (no XMP, no /AF): what attaching the
    XML with a plain PDF tool gives, and what CHORUS PRO refuses as not PDF/A-3."""
    xml = cii_invoice(number)
    return _plain(_base_pdf(xml), "factur-x.xml", xml)


# --- Invalid samples: well-formed, readable, and refused by their schema --------------------------------------


def invalid_ubl_invoice(number: str = "F-2024-0001") -> bytes:
    """A UBL invoice whose VAT total comes after the monetary total, where the UBL 2.1 XSD does not take it."""
    data = ubl_invoice(number)
    start, end = data.index(b"  <cac:TaxTotal>"), data.index(b"  <cac:LegalMonetaryTotal>")
    tax = data[start:end]
    data = data[:start] + data[end:]
    line = data.index(b"  <cac:InvoiceLine>")
    return data[:line] + tax + data[line:]


def invalid_cii_invoice(number: str = "F-2024-0001") -> bytes:
    """A CII invoice without any line (what akadmin's samples were before): the Factur-X EN 16931 XSD wants
    ram:IncludedSupplyChainTradeLineItem before ram:ApplicableHeaderTradeAgreement."""
    data = cii_invoice(number)
    start = data.index(b"    <ram:IncludedSupplyChainTradeLineItem>")
    end = data.index(b"</ram:IncludedSupplyChainTradeLineItem>\n") + len(b"</ram:IncludedSupplyChainTradeLineItem>\n")
    return data[:start] + data[end:]


def invalid_facturx_pdf(number: str = "F-2024-0001") -> bytes:
    """A Factur-X PDF/A-3 whose factur-x.xml is invalid_cii_invoice()."""
    return facturx_pdf(number, xml=invalid_cii_invoice(number))
