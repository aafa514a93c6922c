"""The CHORUS PRO side of the PISTE emulator: deposited flows, the invoices they create, statuses and histories."""

from __future__ import annotations

import base64
import io
import itertools
import re
import tarfile
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from ..settings.chorus_statuses import INVOICE_STATUSES

PARIS = ZoneInfo("Europe/Paris")  # CHORUS PRO stamps its dates in French time
OK = "TRA_MSG_00.000"

# The syntaxeFlux values the emulator accepts (the swagger lists more), and how their file is read.
SYNTAXES = {"IN_DP_E1_UBL_INVOICE": "ubl", "IN_DP_E2_UBL_INVOICE_MIN": "ubl", "IN_DP_E1_CII_16B": "cii",
            "IN_DP_E2_CII_MIN_16B": "cii", "IN_DP_E2_CII_FACTURX": "facturx"}

STATUSES = INVOICE_STATUSES  # statutFacture, as the swagger enumerates it

NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
UBL_ROOTS = {"{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
             "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"}
CII_ROOT = f"{{{NS['rsm']}}}CrossIndustryInvoice"
DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class Unreadable(ValueError):
    """A deposited file CHORUS PRO cannot read; the reason ends up in the flow report."""


def now() -> datetime:
    """The current instant, time-zone aware."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A date-time as CHORUS PRO writes it: ISO 8601 in French time, with its offset."""
    return moment.astimezone(PARIS).isoformat(timespec="seconds")


@dataclass(slots=True)
class InvoiceContent:
    """What the emulator reads from one invoice document."""

    number: str
    gross: float | None  # TTC
    due: float | None  # to pay
    net: float | None = None  # HT, when the document gives it
    buyer: str = ""
    buyer_id: str = ""
    currency: str = "EUR"
    credit_note: bool = False


def _text(element: ElementTree.Element | None, path: str) -> str:
    found = element.find(path, NS) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _amount(element: ElementTree.Element | None, path: str) -> float | None:
    text = _text(element, path)
    try:
        return float(text) if text else None
    except ValueError:
        raise Unreadable(f"montant illisible « {text} »") from None


def _content(number: str, gross: float | None, due: float | None, **rest: Any) -> InvoiceContent:
    if not number:
        raise Unreadable("numéro de facture absent")
    if gross is None and due is None:
        raise Unreadable(f"montant total absent de la facture {number}")
    return InvoiceContent(number, gross, due, **rest)


def _read_ubl(root: ElementTree.Element) -> InvoiceContent:
    if root.tag not in UBL_ROOTS:
        raise Unreadable("le document n'est pas une facture UBL (Invoice ou CreditNote)")
    total = root.find("cac:LegalMonetaryTotal", NS)
    customer = root.find("cac:AccountingCustomerParty", NS)
    return _content(_text(root, "cbc:ID"), _amount(total, "cbc:TaxInclusiveAmount"),
                    _amount(total, "cbc:PayableAmount"), net=_amount(total, "cbc:TaxExclusiveAmount"),
                    buyer=_text(customer, ".//cbc:RegistrationName") or _text(customer, ".//cac:PartyName/cbc:Name"),
                    buyer_id=(_text(customer, ".//cac:PartyLegalEntity/cbc:CompanyID")
                              or _text(customer, ".//cbc:EndpointID")),
                    currency=_text(root, "cbc:DocumentCurrencyCode") or "EUR",
                    credit_note=root.tag.endswith("CreditNote"))


def _read_cii(root: ElementTree.Element) -> InvoiceContent:
    if root.tag != CII_ROOT:
        raise Unreadable("le document n'est pas une facture CII (CrossIndustryInvoice)")
    document = root.find("rsm:ExchangedDocument", NS)
    buyer = root.find(".//ram:BuyerTradeParty", NS)
    return _content(_text(document, "ram:ID"), _amount(root, ".//ram:GrandTotalAmount"),
                    _amount(root, ".//ram:DuePayableAmount"), net=_amount(root, ".//ram:TaxBasisTotalAmount"),
                    buyer=_text(buyer, "ram:Name"),
                    buyer_id=_text(buyer, "ram:SpecifiedLegalOrganization/ram:ID") or _text(buyer, "ram:GlobalID"),
                    currency=_text(root, ".//ram:InvoiceCurrencyCode") or "EUR",
                    credit_note=_text(document, "ram:TypeCode") == "381")


def _xml(data: bytes) -> ElementTree.Element:
    # A DTD is refused outright: it is how entity-expansion bombs get in, and invoices never need one.
    text = data.decode("utf-16", "replace").encode() if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data
    if DOCTYPE.search(text):
        raise Unreadable("document XML avec DOCTYPE refusé")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise Unreadable(f"XML mal formé ({error})") from None


def _facturx_xml(data: bytes) -> bytes:
    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
        found = next((attachments[name][0] for name in attachments if name.lower() == "factur-x.xml"), None)
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds of error on a damaged PDF; each means unreadable
        raise Unreadable(f"PDF illisible ({error})") from None
    if found is None:
        raise Unreadable("pièce jointe factur-x.xml absente du PDF")
    return found


def _read_document(data: bytes, kind: str) -> InvoiceContent:
    if kind == "facturx":
        data = _facturx_xml(data)
    return (_read_ubl if kind == "ubl" else _read_cii)(_xml(data))


def _archive_members(data: bytes) -> list[bytes]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            files = [archive.extractfile(m) for m in archive.getmembers() if m.isfile()]
            members = [f.read() for f in files if f is not None]
    except (tarfile.TarError, OSError, EOFError) as error:
        raise Unreadable(f"archive illisible ({error})") from None
    if not members:
        raise Unreadable("archive sans facture")
    return members


def read_flow(data: bytes, syntax: str) -> list[InvoiceContent]:
    """The invoices a deposited file holds: one document, or several in a tar(.gz) as Odoo sends them."""
    kind = SYNTAXES[syntax]
    if data[:2] == b"\x1f\x8b" or data[257:262] == b"ustar":
        return [_read_document(member, kind) for member in _archive_members(data)]
    return [_read_document(data, kind)]


@dataclass(slots=True)
class StatusChange:
    """One line of an invoice's status history."""

    id: int
    code: str
    at: datetime
    comment: str = ""


@dataclass(slots=True)
class Invoice:
    """An invoice CHORUS PRO created when its flow was integrated."""

    chorus_id: int
    login: str
    content: InvoiceContent
    flow_number: str
    deposited_at: datetime
    supplier_siret: str
    supplier_name: str
    history: list[StatusChange]

    @property
    def number(self) -> str:
        """numeroFacture."""
        return self.content.number

    @property
    def status(self) -> str:
        """The current status (the last of the history)."""
        return self.history[-1].code

    @property
    def status_at(self) -> datetime:
        """When the current status was reached."""
        return self.history[-1].at

    @property
    def comment(self) -> str:
        """The comment of the current status."""
        return self.history[-1].comment

    def search_row(self) -> dict[str, Any]:
        """One listeFactures entry of rechercherFactureParFournisseur (RetourRechercherFactureParFournisseur)."""
        content = self.content
        return {
            "identifiantFactureCPP": self.chorus_id, "typeDemandePaiement": "FACTURE",
            "codeFournisseur": self.supplier_siret, "typeIdentifiantFournisseur": "SIRET",
            "designationFournisseur": self.supplier_name, "codeDestinataire": content.buyer_id,
            "designationDestinataire": content.buyer, "typeFacture": "AVOIR" if content.credit_note else "FACTURE",
            "numeroFacture": content.number, "dateDepot": stamp(self.deposited_at),
            "montantHT": content.net, "montantTTC": content.gross if content.gross is not None else content.due,
            "montantAPayer": content.due if content.due is not None else content.gross, "devise": content.currency,
            "statut": self.status, "numeroFluxDepot": self.flow_number,
            "modeDepot": "EDI",  # the swagger's enum has no value for an API flow deposit; EDI is the flow channel
            "dateHeureEtatCourant": stamp(self.status_at), "commentaireEtatCourant": self.comment,
            "rejetTraite": False,
        }

    def history_answer(self, descending: bool) -> dict[str, Any]:
        """The body of consulterHistoriqueFacture (WsRetourConsulterHistoriqueFacture) for this invoice."""
        changes = list(reversed(self.history)) if descending else self.history
        rows = [{"histoStatutId": c.id, "histoStatutCode": c.code, "histoStatutDatePassage": stamp(c.at),
                 "histoStatutCommentaire": c.comment, "histoStatutUtilisateurPrenom": "",
                 "histoStatutUtilisateurNom": "", "histoStatutUtilisateurEmail": "",
                 "histoStatutUtilisateurTelephone": ""} for c in changes]
        return {"codeRetour": 0, "libelle": OK, "idFacture": self.chorus_id, "numeroFacture": self.number,
                "modeDepot": "EDI", "statutCourantCode": self.status,
                "historiquesDesStatuts": {"histoStatut": rows, "pageCouranteHistoStatut": 1, "pagesHistoStatut": 1,
                                          "nbResultatsParPageHistoStatut": len(rows), "totalHistoStatut": len(rows)}}


@dataclass
class Flow:
    """A deposited file (deposerFluxFacture) and what its processing gave."""

    number: str
    login: str
    file_name: str
    syntax: str
    deposited_at: datetime
    supplier_siret: str
    supplier_name: str
    contents: list[InvoiceContent]  # what the file holds (empty when unreadable)
    unreadable: str = ""  # why the file cannot be read: found at deposit, reported once processed
    user_id: int | None = None
    state: str = "IN_RECU"
    state_at: datetime | None = None
    errors: list[dict[str, str]] = field(default_factory=list)  # listeErreurDP

    @property
    def invoice_numbers(self) -> list[str]:
        """The invoice numbers read from the file."""
        return [c.number for c in self.contents]

    def report(self, detailed: bool) -> dict[str, Any]:
        """The body of consulterCRDetaille (detailed) or consulterCR."""
        common = {"codeRetour": 0, "libelle": OK, "numeroFluxDepot": self.number,
                  "dateDepotFlux": stamp(self.deposited_at),
                  "dateHeureEtatCourantFlux": stamp(self.state_at or self.deposited_at)}
        if detailed:
            return {**common, "etatCourantDepotFlux": self.state, "nomFichier": self.file_name,
                    "codeInterfaceDepotFlux": self.syntax,  # its real values are undocumented; the syntax stands in
                    "listeErreurDP": [dict(e) for e in self.errors],
                    "listeErreurTechnique": []}
        # The real fichierCR is a PDF; a plain-text report in base 64 stands for it.
        lines = [f"Flux {self.number} ({self.file_name}) : {self.state}"] + [e["libelleErreurDP"] for e in self.errors]
        return {**common, "etatCourantFlux": self.state, "nomFichierFlux": self.file_name,
                "fichierCR": base64.b64encode("\n".join(lines).encode()).decode()}


# How rows are ordered for the triColonne values the emulator sorts on (others keep identifiantFactureCPP order).
SORT_KEYS: dict[str, Callable[[Invoice], Any]] = {
    "NumeroFacture": lambda i: i.number, "DateDepot": lambda i: i.deposited_at, "Statut": lambda i: i.status,
    "NumeroFluxDepot": lambda i: i.flow_number, "TypeFacture": lambda i: i.content.credit_note,
    "CodeDestinataire": lambda i: i.content.buyer_id, "DesignationDestinataire": lambda i: i.content.buyer,
    "Devise": lambda i: i.content.currency, "CodeFournisseur": lambda i: i.supplier_siret,
    "MontantHT": lambda i: i.content.net or 0.0, "MontantTTC": lambda i: i.content.gross or 0.0,
    "MontantAPayer": lambda i: i.content.due or 0.0,
}


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


class ChorusLedger:
    """Every flow and invoice of the emulated CHORUS PRO, indexed per technical account; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.flows: dict[str, Flow] = {}
        self.invoices: dict[int, Invoice] = {}
        self._pending: dict[str, list[Flow]] = {}  # per account, in deposit order, not processed yet
        self._by_account: dict[str, list[Invoice]] = {}  # ascending identifiantFactureCPP
        self._by_number: dict[str, dict[str, Invoice]] = {}
        self._by_flow: dict[str, list[Invoice]] = {}
        self._flow_numbers = itertools.count(1)
        self._invoice_ids = itertools.count(4_300_001)  # CHORUS PRO ids are plain 7-digit-and-more integers
        self._change_ids = itertools.count(1)

    def deposit(self, login: str, siret: str, supplier: str, file_name: str, syntax: str, data: bytes,
                user_id: int | None = None) -> Flow:
        """Record a deposited file as a flow IN_RECU; reading it now keeps the answer to the caller cheap later."""
        try:
            contents, unreadable = read_flow(data, syntax), ""
        except Unreadable as error:
            contents, unreadable = [], str(error)
        with self.lock:
            flow = Flow(f"CPP{next(self._flow_numbers):022d}", login, file_name, syntax, now(), siret, supplier,
                        contents, unreadable, user_id)
            self.flows[flow.number] = flow
            self._pending.setdefault(login, []).append(flow)
        return flow

    def process_due(self, login: str | None, delay_s: float) -> None:
        """Process, in deposit order, the flows of an account (all accounts: None) deposited `delay_s` ago or more."""
        moment = now()
        with self.lock:
            for account in [login] if login is not None else list(self._pending):
                pending = self._pending.get(account, [])
                while pending and moment - pending[0].deposited_at >= timedelta(seconds=delay_s):
                    self._integrate(pending.pop(0), moment)

    def _integrate(self, flow: Flow, moment: datetime) -> None:
        def error(number: str, recipient: str, label: str) -> dict[str, str]:
            return {"numeroDP": number, "libelleErreurDP": label, "identifiantFournisseur": flow.supplier_siret,
                    "identifiantDestinataire": recipient}

        if flow.unreadable:
            flow.errors.append(error("", "", f"Fichier illisible : {flow.unreadable}"))
        created = 0
        known = self._by_number.setdefault(flow.login, {})
        for content in flow.contents:
            # CHORUS PRO refuses a number the supplier already used, including twice in one flow.
            if content.number in known:
                flow.errors.append(error(content.number, content.buyer_id,
                                         f"Doublon: la facture {content.number} existe déjà pour ce fournisseur"))
                continue
            self._add(flow, content, [StatusChange(next(self._change_ids), "DEPOSEE", moment)])
            created += 1
        flow.state = "IN_INTEGRE" if not flow.errors else "IN_INTEGRE_PARTIEL" if created else "IN_REJETE"
        flow.state_at = moment

    def _add(self, flow: Flow, content: InvoiceContent, history: list[StatusChange]) -> Invoice:
        invoice = Invoice(next(self._invoice_ids), flow.login, content, flow.number, flow.deposited_at,
                          flow.supplier_siret, flow.supplier_name, history)
        self.invoices[invoice.chorus_id] = invoice
        self._by_account.setdefault(flow.login, []).append(invoice)
        self._by_number.setdefault(flow.login, {})[content.number] = invoice
        self._by_flow.setdefault(flow.number, []).append(invoice)
        return invoice

    def report(self, login: str, number: str, detailed: bool) -> dict[str, Any] | None:
        """A flow's report, None when the flow is unknown or another account's."""
        with self.lock:
            flow = self.flows.get(number)
            return flow.report(detailed) if flow is not None and flow.login == login else None

    def search(self, login: str, *, flow_number: str | None = None, number: str | None = None,
               statuses: set[str] | None = None, status_range: tuple[datetime | None, datetime | None] = (None, None),
               deposit_range: tuple[datetime | None, datetime | None] = (None, None), sort: str | None = None,
               descending: bool = False, page: int = 1, size: int = 10) -> tuple[int, list[dict[str, Any]]]:
        """The account's invoices matching every filter given: the total and the rows of one page."""
        with self.lock:
            if number is not None:
                found = self._by_number.get(login, {}).get(number)
                candidates = [found] if found is not None else []
            elif flow_number is not None:
                candidates = self._by_flow.get(flow_number, [])
            else:
                candidates = self._by_account.get(login, [])
            matches = [i for i in candidates
                       if i.login == login and (flow_number is None or i.flow_number == flow_number)
                       and (not statuses or i.status in statuses) and _within(i.status_at, *status_range)
                       and _within(i.deposited_at, *deposit_range)]
            if sort in SORT_KEYS:
                matches.sort(key=SORT_KEYS[sort])  # stable: equal values keep identifiantFactureCPP order
            if descending:
                matches.reverse()
            return len(matches), [i.search_row() for i in matches[(page - 1) * size:page * size]]

    def history(self, login: str, chorus_id: int, descending: bool = False) -> dict[str, Any] | None:
        """An invoice's status history answer, None when unknown or another account's."""
        with self.lock:
            invoice = self.invoices.get(chorus_id)
            return invoice.history_answer(descending) if invoice is not None and invoice.login == login else None

    def set_status(self, chorus_id: int, status: str, comment: str = "") -> Invoice:
        """Move an invoice to a status, as the recipient's processing would (KeyError when unknown)."""
        if status not in STATUSES:
            raise ValueError(f"{status!r} is not a CHORUS PRO invoice status")
        with self.lock:
            invoice = self.invoices[chorus_id]
            invoice.history.append(StatusChange(next(self._change_ids), status, now(), comment))
            return invoice

    def invoice_by_number(self, login: str, number: str) -> Invoice | None:
        """The account's invoice with this number, if CHORUS PRO has it."""
        with self.lock:
            return self._by_number.get(login, {}).get(number)

    def seed_invoices(self, login: str, siret: str, supplier: str, count: int, status: str = "MISE_A_DISPOSITION",
                      prefix: str = "BENCH-") -> list[Invoice]:
        """Create `count` integrated invoices at once (one flow IN_INTEGRE), numbered prefix + 6 digits."""
        if status not in STATUSES:
            raise ValueError(f"{status!r} is not a CHORUS PRO invoice status")
        with self.lock:
            moment = now()
            flow = Flow(f"CPP{next(self._flow_numbers):022d}", login, f"{prefix}seed.xml", "IN_DP_E1_UBL_INVOICE",
                        moment, siret, supplier, [], state="IN_INTEGRE", state_at=moment)
            self.flows[flow.number] = flow
            known = self._by_number.setdefault(login, {})
            indexes = itertools.count(1)
            created = []
            for _ in range(count):
                number = next(n for n in (f"{prefix}{i:06d}" for i in indexes) if n not in known)
                net = float(100 + len(known) % 900)
                content = InvoiceContent(number, round(net * 1.2, 2), round(net * 1.2, 2), net, "SEED BUYER",
                                         "11000201100044")
                flow.contents.append(content)
                history = [StatusChange(next(self._change_ids), "DEPOSEE", moment)]
                if status != "DEPOSEE":
                    history.append(StatusChange(next(self._change_ids), status, moment))
                created.append(self._add(flow, content, history))
            return created

    def restore(self, login: str, siret: str, supplier: str, number: str, amount: float, buyer: str,
                status: str, chorus_id: int | None = None) -> Invoice:
        """Put back an invoice CHORUS PRO had before the emulator restarted (the demo's history), or create it."""
        with self.lock:
            known = self._by_number.setdefault(login, {})
            if number in known:
                return known[number]
            moment = now()
            flow = Flow(f"CPP{next(self._flow_numbers):022d}", login, f"{number}.xml", "IN_DP_E1_UBL_INVOICE",
                        moment, siret, supplier, [], state="IN_INTEGRE", state_at=moment)
            self.flows[flow.number] = flow
            content = InvoiceContent(number, amount, amount, round(amount / 1.2, 2), buyer, "11000201100044")
            flow.contents.append(content)
            history = [StatusChange(next(self._change_ids), "DEPOSEE", moment)]
            if status not in ("", "DEPOSEE"):
                history.append(StatusChange(next(self._change_ids), status, moment))
            invoice = self._add(flow, content, history)
            if chorus_id is not None:
                # Keep the id the state database knows; later ids stay clear of it.
                self._by_account[login].remove(invoice)
                del self.invoices[invoice.chorus_id]
                invoice.chorus_id = chorus_id
                self.invoices[chorus_id] = invoice
                self._by_account[login].append(invoice)
                self._by_account[login].sort(key=lambda i: i.chorus_id)
                self._invoice_ids = itertools.count(max(chorus_id + 1, next(self._invoice_ids)))
            return invoice

