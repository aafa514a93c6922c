"""Sample invoice files built in code: UBL 2.1, CII D16B and Factur-X, valid enough for akadmin and CHORUS PRO."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

BUYER_SIRET = "21690123100011"  # Luhn-valid, like every SIRET here
SELLER_SIRET = "73282932000074"


def ubl_invoice(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "2024-03-15",
                seller: str = "Akuiteo Conseil", seller_siret: str = SELLER_SIRET) -> bytes:
    """A UBL 2.1 Invoice with one line, payable `amount`."""
    buyer_id = f'<cbc:CompanyID schemeID="0009">{buyer_siret}</cbc:CompanyID>' if buyer_siret else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{escape(number)}</cbc:ID>
  <cbc:IssueDate>{issue_date}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>{escape(seller)}</cbc:Name></cac:PartyName>
    <cac:PartyLegalEntity><cbc:RegistrationName>{escape(seller)}</cbc:RegistrationName>
      <cbc:CompanyID>{seller_siret}</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>{escape(buyer)}</cbc:Name></cac:PartyName>
    <cac:PartyLegalEntity><cbc:RegistrationName>{escape(buyer)}</cbc:RegistrationName>{buyer_id}</cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>
    <cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Consulting</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="{currency}">{amount}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
""".encode()


def cii_invoice(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "20240315",
                seller: str = "Akuiteo Conseil", seller_siret: str = SELLER_SIRET) -> bytes:
    """A UN/CEFACT CII D16B invoice (the Factur-X EN 16931 profile), payable `amount`; dates are YYYYMMDD."""
    buyer_id = (f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{buyer_siret}</ram:ID>'
                "</ram:SpecifiedLegalOrganization>" if buyer_siret else "")
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
    <ram:IssueDateTime><udt:DateTimeString format="102">{issue_date}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>{escape(seller)}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{seller_siret}</ram:ID></ram:SpecifiedLegalOrganization>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{escape(buyer)}</ram:Name>{buyer_id}</ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{amount}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{amount}</ram:TaxBasisTotalAmount>
        <ram:GrandTotalAmount>{amount}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{amount}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def facturx_pdf(number: str = "F-2024-0001", *, amount: str = "1200.00", buyer: str = "Mairie de Lyon",
                buyer_siret: str = BUYER_SIRET, currency: str = "EUR", issue_date: str = "20240315",
                attachment: str = "factur-x.xml", xml: bytes | None = None) -> bytes:
    """A one-page PDF carrying `xml` (by default a CII invoice) as the attachment named `attachment`."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if xml is None:
        xml = cii_invoice(number, amount=amount, buyer=buyer, buyer_siret=buyer_siret, currency=currency,
                          issue_date=issue_date)
    if attachment:
        writer.add_attachment(attachment, xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    """A one-page PDF with no attachment: what an ERP prints, not Factur-X."""
    return facturx_pdf(attachment="")
