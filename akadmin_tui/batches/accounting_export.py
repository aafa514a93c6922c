"""AccountingExport: each linked company's documents to its accounting package, once each, then their fate.

A delivery row is claimed ('sending') and committed before anything leaves; a row still 'sending' at the next
run means the process stopped mid-delivery: it is reported 'in doubt' and never sent again on its own.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from dataclasses import replace
from pathlib import Path

from ..connectors.accounting import connector_for
from ..connectors.accounting.base import (
    DUPLICATE,
    KIND_LABELS,
    AccountingConnector,
    Delivered,
    Delivery,
    DeliveryContext,
    DeliveryFailed,
    Document,
)
from ..settings import schema
from ..settings.accounting import BANK_STATEMENTS, FIELDS, INTEGRATIONS, Integration
from . import ubl_formats
from .chorus_common import selected_companies
from .queries import deliveries
from .runtime import RunContext

FOLDERS = {"purchase_invoice": "purchases", "expense_report": "expenses"}
ATTEMPTS_IN_A_RUN = 3
RETRY_DELAY_S = 5.0
INVOICE_KINDS = {"sales_invoice", "purchase_invoice"}  # what a configuration's UBL format applies to


def _stamp(ctx: RunContext) -> str:
    return ctx.now().isoformat(timespec="seconds")


async def run(ctx: RunContext) -> None:
    """Deliver new documents of each company that shares them, then follow the delivered ones."""
    companies = selected_companies(ctx)
    folder = ctx.params.get("DOSSIER_PIECES_COMPTABLES")
    for index, company in enumerate(companies):
        ctx.check_cancelled()
        ctx.progress(index, len(companies))
        link = ctx.editor.values(schema.COMPANIES, company)
        if link.get("share_documents") is not True:
            ctx.debug(f"Company {company}: documents are not shared with an accounting firm.")
            continue
        name = str(link.get("accounting_configuration") or "")
        if not ctx.editor.exists(schema.ACCOUNTING, name):
            ctx.error(f"Company {company}: its accounting configuration {name!r} does not exist.")
            continue
        config = ctx.editor.values(schema.ACCOUNTING, name)
        integration = INTEGRATIONS.get(str(config.get("integration")))
        if config.get("terms_accepted") is not True:
            ctx.error(f"Company {company}: configuration {name} cannot deliver until its Terms of service are accepted.")
            continue
        connector = connector_for(integration)
        if integration is None or connector is None or not connector.delivers:
            label = integration.label if integration else config.get("integration")
            ctx.warn(f"Company {company}: configuration {name} ({label}) — akadmin cannot deliver to it yet; nothing "
                     "was sent.")
            ctx.count("not deliverable")
            continue
        target = DeliveryContext(ctx.editor, config, ctx.client, str(link.get("accounting_file_id") or ""),
                                 str(link.get("name") or company), ctx.spec.code)
        if connector.finds_deliveries:
            await _reconcile(ctx, name, integration.label, connector, target)
        _report_interrupted(ctx, name)
        documents = await asyncio.to_thread(_collect, ctx, company, name, integration, config, folder)
        await _deliver(ctx, company, name, integration.label, connector, target, documents)
        if connector.follows_statuses:
            await _follow(ctx, name, integration.label, connector, target)
    ctx.progress(len(companies), len(companies))


async def _reconcile(ctx: RunContext, name: str, label: str, connector: AccountingConnector,
                     target: DeliveryContext) -> None:
    """Deliveries cut short that the package can look up by their source key: each is adopted or safely sent again."""
    for row in deliveries.cut_short(ctx.state, name):
        if row["kind"] not in connector.traced_kinds:
            continue
        try:
            found = await connector.find_delivered(target, row["source_key"])
        except DeliveryFailed as error:
            ctx.warn(f"{row['file_name']}: cannot ask {label} whether a cut-short delivery arrived ({error}).")
            continue
        if found is None:
            deliveries.mark_failed(ctx.state, row["id"], f"a previous run stopped before {label} received it")
            ctx.info(f"{row['file_name']}: a previous run stopped before {label} received it; it is sent now.")
        else:
            deliveries.mark_adopted(ctx.state, row["id"], found.remote_id, found.status, _stamp(ctx))
            ctx.warn(f"{row['file_name']}: a previous run stopped after {label} received it (document "
                     f"{found.remote_id}): adopted, not sent again.")
            ctx.count("adopted")


def _report_interrupted(ctx: RunContext, name: str) -> None:
    """Deliveries a stopped run left 'sending': maybe received, so never sent again without the admin."""
    for row in deliveries.interrupted(ctx.state, name):
        deliveries.mark_in_doubt(ctx.state, row["id"])
        ctx.warn(f"{row['file_name']}: a previous run stopped while delivering it to {name}; it may have arrived, so it "
                 "is not sent again. Check with the accounting firm.")
        ctx.count("in doubt")


def _collect(ctx: RunContext, company: str, name: str, integration: Integration, config: dict,
             folder: object) -> list[Document]:
    """The company's documents this configuration takes and has not had yet."""
    known = deliveries.taken_sources(ctx.state, name)
    documents: list[Document] = []
    if config.get("document_type") == BANK_STATEMENTS:
        documents += _statements(ctx, company)
    else:
        documents += _sales_invoices(ctx, company)
        if folder:
            documents += _folder_documents(ctx, Path(str(folder)).expanduser() / company)
    documents = [d for d in documents if d.source_key not in known]
    if "ubl_format" in integration.fields:
        flavour = str(config.get("ubl_format") or FIELDS["ubl_format"].default)
        documents = _in_ubl_format(ctx, company, name, flavour, documents)
    return documents


def _in_ubl_format(ctx: RunContext, company: str, name: str, flavour: str, documents: list[Document]) -> list[Document]:
    """The invoices as the configuration's UBL format asks; one that cannot be is refused (and looked at again on
    the next run, once its file or the format is changed). Expense reports and statements go as they are."""
    kept = []
    for document in documents:
        if document.kind not in INVOICE_KINDS:
            kept.append(document)
            continue
        try:
            file_name, content = ubl_formats.in_flavour(document.file_name, document.content, flavour)
        except ubl_formats.NotDeliverable as error:
            ctx.error(f"Company {company}: {KIND_LABELS[document.kind]} {document.file_name} is not delivered to "
                      f"{name}, whose UBL format is {flavour}: {error}.")
            ctx.count("refused")
            continue
        kept.append(replace(document, file_name=file_name, content=content))
    return kept


def _sales_invoices(ctx: RunContext, company: str) -> list[Document]:
    found = []
    for row in deliveries.sales_invoice_files(ctx.state, company):
        try:
            content = Path(row["file_path"]).read_bytes()
        except OSError as error:
            ctx.error(f"Sales invoice {row['number']}: its file cannot be read ({error.strerror or error}).")
            continue
        extension = Path(row["file_name"]).suffix or ".xml"
        found.append(Document("sales_invoice", f"invoice:{row['id']}", f"{row['number']}{extension}", content,
                              row["number"]))
    return found


def _folder_documents(ctx: RunContext, root: Path) -> list[Document]:
    """purchases/ and expenses/ of a company; an expense report in expenses/<Full Name>/ is that person's."""
    found = []
    for kind, sub in FOLDERS.items():
        folder = root / sub
        if not folder.is_dir():
            continue
        places = [(folder, "")]
        if kind == "expense_report":
            places += [(person, person.name) for person in sorted(folder.iterdir())
                       if person.is_dir() and not person.name.startswith(".")]
        for place, beneficiary in places:
            for path in sorted(p for p in place.iterdir() if p.is_file() and not p.name.startswith(".")):
                try:
                    content = path.read_bytes()
                except OSError as error:
                    ctx.error(f"{path}: cannot be read ({error.strerror or error}).")
                    continue
                digest = hashlib.sha256(content).hexdigest()
                found.append(Document(kind, f"file:{kind}:{digest}", path.name, content, path.stem, beneficiary))
    return found


def _statements(ctx: RunContext, company: str) -> list[Document]:
    found = []
    for statement in deliveries.statements_of(ctx.state, company):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["date", "label", "amount", "currency", "account", "iban"])
        for line in deliveries.statement_lines(ctx.state, statement["id"]):
            writer.writerow([line["date"], line["label"], line["amount"], line["currency"], statement["name"],
                             statement["iban"]])
        name = f"statement_{statement['account_id']}_{statement['period_start']}_{statement['period_end']}.csv"
        found.append(Document("bank_statement", f"statement:{statement['id']}", name, out.getvalue().encode(),
                              f"statement {statement['id']}"))
    return found


async def _deliver(ctx: RunContext, company: str, name: str, label: str, connector: AccountingConnector,
                   target: DeliveryContext, documents: list[Document]) -> None:
    if not documents:
        ctx.info(f"Company {company}: nothing new for {name}.")
        return
    ctx.info(f"Company {company}: {len(documents)} document(s) to deliver to {name}.")
    sender = _Sender(ctx, label, connector.open_delivery(target))
    for document in documents:
        ctx.check_cancelled()
        delivery = deliveries.claim(ctx.state, company=company, configuration=name, kind=document.kind,
                                    source_key=document.source_key, file_name=document.file_name,
                                    sha256=document.sha256, run_id=ctx.run_id, stamp=_stamp(ctx))
        if delivery is None:
            continue
        outcome = await sender.send(document)
        if outcome is None and sender.in_doubt:
            deliveries.mark_in_doubt(ctx.state, delivery, sender.last_error)
            ctx.count("in doubt")
            continue
        if outcome is None:
            deliveries.mark_failed(ctx.state, delivery, sender.last_error)
            ctx.count("failed")
            continue
        state = "duplicate" if outcome.status == DUPLICATE else "delivered"
        deliveries.mark_delivered(ctx.state, delivery, outcome=state, remote_id=outcome.remote_id,
                                  remote_status=outcome.status, remote_reason=outcome.reason, stamp=_stamp(ctx))
        if state == "duplicate":
            why = f": {outcome.reason}" if outcome.reason else ""
            ctx.warn(f"Company {company}: {document.label} — {name} already has it (Duplicate{why}); not sent again.")
            ctx.count("duplicates")
        else:
            where = f" ({outcome.remote_id})" if outcome.remote_id else ""
            ctx.info(f"Company {company}: {document.label} delivered to {name}{where}.")
            ctx.count("delivered")


class _Sender:
    """Delivers one document after the other, retrying what may work next time."""

    def __init__(self, ctx: RunContext, label: str, delivery: Delivery) -> None:
        self.ctx = ctx
        self.label = label  # the integration's
        self.delivery = delivery
        self.last_error = ""
        self.in_doubt = False  # the last send may have been received although no answer came

    async def send(self, document: Document) -> Delivered | None:
        """The package's answer, or None with last_error set when it failed for this run."""
        label = document.label
        self.in_doubt = False
        for attempt in range(1, ATTEMPTS_IN_A_RUN + 1):
            try:
                return await self.delivery.send(document)
            except DeliveryFailed as error:
                self.last_error = str(error)
                if error.maybe_received:
                    # The answer was lost, not the document: sending again could deliver it twice.
                    self.in_doubt = True
                    self.ctx.error(f"{label}: no answer ({self.last_error}); the next run asks {self.label} whether it "
                                   "arrived before sending it again.")
                    return None
                if error.retryable and attempt < ATTEMPTS_IN_A_RUN:
                    self.ctx.warn(f"{label}: {self.last_error} — attempt {attempt} of {ATTEMPTS_IN_A_RUN}, again in "
                                  f"{RETRY_DELAY_S:.0f} s.")
                    await asyncio.sleep(RETRY_DELAY_S)
                    continue
                self.ctx.error(f"{label}: not delivered: {self.last_error}" + ("; the next run tries again."
                                                                              if error.retryable else ""))
                return None
        return None


async def _follow(ctx: RunContext, name: str, label: str, connector: AccountingConnector,
                  target: DeliveryContext) -> None:
    """The package's status of each delivered document still being processed, with its reason."""
    for row in deliveries.being_processed(ctx.state, name, connector.open_statuses):
        ctx.check_cancelled()
        try:
            found = await connector.remote_status(target, row["remote_id"])
        except Exception as error:  # noqa: BLE001 - the connector's error carries its words
            ctx.warn(f"{row['file_name']}: its {label} status cannot be read ({error}); looked at again next run.")
            continue
        status, reason = found.status, found.reason
        if status and status != row["remote_status"]:
            state = "duplicate" if status == DUPLICATE else "delivered"
            deliveries.record_status(ctx.state, row["id"], outcome=state, remote_status=status, remote_reason=reason)
            level = ctx.warn if status in connector.alarming_statuses else ctx.info
            said = f" — {reason}" if reason else ""
            level(f"{row['file_name']}: {label} status {row['remote_status']} → {status}{said}")
            ctx.count("status changes")
