"""An invoice in the UBL flavour an accounting configuration asks for (interfaces.accounting.*.ubl_format).

- UBL 2.1: a UBL invoice goes as it is (the import checked it against the UBL 2.1 XSD); a CII or Factur-X invoice of
  the BASIC or EN 16931 profile is converted to a UBL 2.1 EN 16931 invoice by the factur-x library, a Factur-X PDF
  embedded in it (AdditionalDocumentReference), and the result is checked against the UBL 2.1 XSD.
- Peppol BIS Billing 3.0 and e-FFF 3.0: only a UBL invoice that already declares that flavour goes, as it is.
  akadmin cannot check the Peppol rules nor the Belgian ones, so it never labels an invoice with either.
Anything else is refused with the reason: nothing is delivered in a flavour it is not in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..settings.accounting import UBL_FORMATS
from . import invoice_schemas as schemas
from .invoice_files import UBL_SYNTAX, InvoiceFileError, invoice_xml, read_invoice_bytes

EFFF_3, UBL_21, PEPPOL_BIS_3 = UBL_FORMATS
# BT-24 of each flavour: Peppol BIS Billing 3.0, and UBL.BE, the Belgian CIUS e-FFF 3.0 invoices are written in.
PEPPOL_BIS_3_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
UBL_BE_ID = "urn:cen.eu:en16931:2017#conformant#urn:UBL.BE:1.0.0.20180214"
DECLARED_IDS = {PEPPOL_BIS_3: PEPPOL_BIS_3_ID, EFFF_3: UBL_BE_ID}
CONVERTIBLE = ("basic", "en16931")  # CII profiles whose every field UBL 2.1 EN 16931 has
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


class NotDeliverable(ValueError):
    """An invoice that cannot be delivered in the flavour asked for; the text says why and what to do."""


def in_flavour(file_name: str, content: bytes, flavour: str) -> tuple[str, bytes]:
    """The file name and bytes to deliver for the invoice file `file_name` in `flavour`, or NotDeliverable."""
    try:
        document = read_invoice_bytes(content, file_name)
    except InvoiceFileError as error:
        raise NotDeliverable(f"it is not an invoice akadmin can deliver as {flavour}: {error}") from None
    root = schemas.parse(invoice_xml(content, file_name))
    if document.syntax == UBL_SYNTAX:
        _check_declared(root, flavour)
        return file_name, content
    if flavour != UBL_21:
        raise NotDeliverable(f"it is a CII invoice{' (Factur-X PDF)' if document.extension == 'pdf' else ''}, and "
                             f"akadmin converts CII only to plain UBL 2.1 (EN 16931), not to {flavour}, whose own "
                             f"rules it cannot check; choose UBL format {UBL_21}, or have the invoice exported as "
                             f"{flavour}")
    pdf = (file_name, content) if document.extension == "pdf" else None
    return f"{Path(file_name).stem}.xml", _converted(root, document.number, pdf)


def _check_declared(root: Any, flavour: str) -> None:
    if flavour == UBL_21:
        return
    node = root.find(f"{{{_CBC}}}CustomizationID")
    declared = (node.text or "").strip() if node is not None else ""
    if declared != DECLARED_IDS[flavour]:
        said = f"declares {declared!r}" if declared else "declares no CustomizationID"
        raise NotDeliverable(f"it is a UBL invoice that {said}, not {flavour} ({DECLARED_IDS[flavour]}); akadmin "
                             f"cannot check {flavour}'s rules, so it does not relabel an invoice: have it exported as "
                             f"{flavour}, or choose UBL format {UBL_21}")
    if flavour == EFFF_3 and not _embeds_pdf(root):
        raise NotDeliverable("it declares UBL.BE but embeds no PDF of the invoice, which e-FFF requires "
                             "(cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject, "
                             "mimeCode application/pdf)")


def _embeds_pdf(root: Any) -> bool:
    path = f"{{{_CAC}}}AdditionalDocumentReference/{{{_CAC}}}Attachment/{{{_CBC}}}EmbeddedDocumentBinaryObject"
    return any(node.get("mimeCode") == "application/pdf" and (node.text or "").strip() for node in root.findall(path))


def _converted(root: Any, number: str, pdf: tuple[str, bytes] | None) -> bytes:
    """The CII invoice `root` as a UBL 2.1 EN 16931 invoice, the PDF (name, bytes) embedded when there is one."""
    from facturx import generate_ubl_xml, parse_ubl_cii_xml  # imported here: slow to import, and rarely needed

    profile = schemas.cii_profile(schemas.guideline(root))
    if profile.key not in CONVERTIBLE or not profile.declared:
        what = (f"of the Factur-X {schemas.PROFILE_LABELS[profile.key]} profile" if profile.declared
                else f"of no Factur-X or EN 16931 profile ({profile.guideline or 'no guideline ID'})")
        raise NotDeliverable(f"its CII invoice is {what}: only BASIC and EN 16931 convert to UBL 2.1 without loss "
                             "(MINIMUM and BASIC WL are not complete invoices, EXTENDED carries fields UBL 2.1 EN "
                             "16931 has not); have it exported as UBL 2.1")
    try:
        data = parse_ubl_cii_xml(root, flavor="factur-x", level=profile.key, check_xsd=False)
        if pdf is not None:
            data["BG-24"] = [*(data.get("BG-24") or []), {
                "BT-122": number, "BT-123": "Factur-X invoice", "BT-125": pdf[1], "BT-125-1": "application/pdf",
                "BT-125-2": pdf[0]}]
        # The XSD is checked below with akadmin's parsed-once schema; the schematron needs a Saxon server.
        xml = generate_ubl_xml(data, level="en16931", check_xsd=False, check_schematron=False)
    except Exception as error:  # noqa: BLE001 - the library raises ValueError, KeyError, ... on data it cannot map
        raise NotDeliverable(f"the factur-x library cannot convert it to UBL 2.1 ({error or type(error).__name__})"
                             ) from None
    converted = schemas.parse(xml)
    key = "ubl-creditnote" if converted.tag.endswith("}CreditNote") else "ubl-invoice"
    try:
        schemas.validate(converted, key)
    except schemas.SchemaError as error:
        raise NotDeliverable(f"its conversion to UBL 2.1 does not follow the {schemas.SCHEMAS[key].label} ({error})"
                             ) from None
    return bytes(xml)
