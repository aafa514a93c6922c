"""AccountingExport: each linked company's documents to its accounting package, once each, then their fate.

A delivery row is claimed ('sending') and committed before anything leaves; a row still 'sending' at the next
run means the process stopped mid-delivery: it is reported 'in doubt' and never sent again on its own.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

from ..settings import schema
from ..settings.accounting import BANK_STATEMENTS, DEFAULT_UPLOAD_PATH, FIELDS, INTEGRATIONS
from . import ubl_formats
from .chorus_common import selected_companies
from .runtime import RunContext

# Inqom's TypeScan of each kind of document (seed 004); expense reports go to expense-bills instead.
TYPE_SCAN = {"sales_invoice": "Client", "purchase_invoice": "Supplier", "bank_statement": "Others"}
KIND_LABELS = {"sales_invoice": "sales invoice", "purchase_invoice": "purchase invoice",
               "expense_report": "expense report", "bank_statement": "bank statement"}
FOLDERS = {"purchase_invoice": "purchases", "expense_report": "expenses"}
OPEN_STATUSES = {"Received", "ToReview", "Processing"}
ATTEMPTS_IN_A_RUN = 3
RETRY_DELAY_S = 5.0
DELIVERED_BY = {"inqom", "sftp", "email", "octopus"}  # Octopus takes documents at its dossier's mailbox
INVOICE_KINDS = {"sales_invoice", "purchase_invoice"}  # what a configuration's UBL format applies to


@dataclass(frozen=True)
class Document:
    """One document to deliver: what it is, a key that never changes for it, and its bytes."""

    kind: str
    source_key: str
    file_name: str
    content: bytes
    reference: str
    beneficiary: str = ""  # expense reports: who spent the money

    @property
    def sha256(self) -> str:
        """The content's hash, kept with the delivery."""
        return hashlib.sha256(self.content).hexdigest()


def _stamp(ctx: RunContext) -> str:
    return ctx.now().isoformat(timespec="seconds")


def expand(text: str, file_id: str) -> str:
    """Replace the [accounting_file_id] variable of upload paths and e-mail subjects."""
    return text.replace("[accounting_file_id]", file_id)


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
        if integration is None or integration.name not in DELIVERED_BY:
            label = integration.label if integration else config.get("integration")
            ctx.warn(f"Company {company}: configuration {name} ({label}) — akadmin cannot deliver to it yet; nothing "
                     "was sent.")
            ctx.count("not deliverable")
            continue
        if integration.name == "inqom":
            await _reconcile_inqom(ctx, name, config)
        _report_interrupted(ctx, name)
        documents = await asyncio.to_thread(_collect, ctx, company, name, config, folder)
        await _deliver(ctx, company, name, config, str(link.get("accounting_file_id") or ""), documents)
        if integration.name == "inqom":
            await _follow_inqom(ctx, name, config)
    ctx.progress(len(companies), len(companies))


async def _reconcile_inqom(ctx: RunContext, name: str, config: dict) -> None:
    """Inqom deliveries cut short: Inqom lists what it received by SourceId, so each is adopted or safely sent again."""
    from ..connectors import inqom
    from ..connectors.inqom_documents import InqomError

    rows = ctx.state.query("SELECT id, file_name, source_key FROM accounting_deliveries WHERE configuration = ? AND "
                           "kind != 'expense_report' AND state IN ('sending', 'in doubt') AND (run_id IS NULL OR run_id "
                           "NOT IN (SELECT id FROM batch_runs WHERE outcome = 'running'))", (name,))
    if not rows:
        return
    session = inqom.InqomSession(inqom.account_from(config), ctx.client)
    for row in rows:
        try:
            found = await session.find_by_source(row["source_key"])
        except InqomError as error:
            ctx.warn(f"{row['file_name']}: cannot ask Inqom whether a cut-short delivery arrived ({error}).")
            continue
        if found is None:
            ctx.state.execute("UPDATE accounting_deliveries SET state = 'failed', last_error = ? WHERE id = ?",
                              ("a previous run stopped before Inqom received it", row["id"]))
            ctx.info(f"{row['file_name']}: a previous run stopped before Inqom received it; it is sent now.")
        else:
            ctx.state.execute("UPDATE accounting_deliveries SET state = 'delivered', remote_id = ?, remote_status = ?, "
                              "delivered_at = ? WHERE id = ?",
                              (str(found.get("Id") or ""), str(found.get("Status") or ""), _stamp(ctx), row["id"]))
            ctx.warn(f"{row['file_name']}: a previous run stopped after Inqom received it (document {found.get('Id')}): "
                     "adopted, not sent again.")
            ctx.count("adopted")


def _report_interrupted(ctx: RunContext, name: str) -> None:
    """Deliveries a stopped run left 'sending': maybe received, so never sent again without the admin."""
    rows = ctx.state.query("SELECT id, file_name FROM accounting_deliveries WHERE configuration = ? AND state = 'sending' "
                           "AND (run_id IS NULL OR run_id NOT IN (SELECT id FROM batch_runs WHERE outcome = 'running'))",
                           (name,))
    for row in rows:
        ctx.state.execute("UPDATE accounting_deliveries SET state = 'in doubt' WHERE id = ?", (row["id"],))
        ctx.warn(f"{row['file_name']}: a previous run stopped while delivering it to {name}; it may have arrived, so it "
                 "is not sent again. Check with the accounting firm.")
        ctx.count("in doubt")


def _collect(ctx: RunContext, company: str, name: str, config: dict, folder) -> list[Document]:
    """The company's documents this configuration takes and has not had yet."""
    known = {row[0] for row in ctx.state.query("SELECT source_key FROM accounting_deliveries WHERE configuration = ? "
                                               "AND state != 'failed'", (name,))}
    documents: list[Document] = []
    if config.get("document_type") == BANK_STATEMENTS:
        documents += _statements(ctx, company)
    else:
        documents += _sales_invoices(ctx, company)
        if folder:
            documents += _folder_documents(ctx, Path(str(folder)).expanduser() / company)
    documents = [d for d in documents if d.source_key not in known]
    integration = INTEGRATIONS.get(str(config.get("integration")))
    if integration is not None and "ubl_format" in integration.fields:
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
    for row in ctx.state.query("SELECT id, number, file_path, file_name FROM invoices WHERE company = ? ORDER BY id",
                               (company,)):
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
    for statement in ctx.state.query("SELECT s.id, s.account_id, s.period_start, s.period_end, a.name, a.iban, a.currency "
                                     "FROM statements s JOIN bank_accounts a ON a.id = s.account_id WHERE s.company = ? "
                                     "ORDER BY s.id", (company,)):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["date", "label", "amount", "currency", "account", "iban"])
        for line in ctx.state.query("SELECT date, label, amount, currency FROM bank_transactions WHERE statement_id = ? "
                                    "ORDER BY date, id", (statement["id"],)):
            writer.writerow([line["date"], line["label"], line["amount"], line["currency"], statement["name"],
                             statement["iban"]])
        name = f"statement_{statement['account_id']}_{statement['period_start']}_{statement['period_end']}.csv"
        found.append(Document("bank_statement", f"statement:{statement['id']}", name, out.getvalue().encode(),
                              f"statement {statement['id']}"))
    return found


def _claim(ctx: RunContext, company: str, name: str, document: Document) -> int | None:
    """Record the delivery as 'sending' before anything leaves; None when another run has it."""
    with ctx.state.transaction() as db:
        row = db.execute("SELECT id, state FROM accounting_deliveries WHERE configuration = ? AND source_key = ?",
                         (name, document.source_key)).fetchone()
        if row is not None and row[1] != "failed":
            return None
        if row is None:
            return int(db.execute(
                "INSERT INTO accounting_deliveries (company, configuration, kind, source_key, file_name, file_sha256, "
                "state, attempts, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?)",
                (company, name, document.kind, document.source_key, document.file_name, document.sha256, ctx.run_id,
                 _stamp(ctx))).lastrowid)
        db.execute("UPDATE accounting_deliveries SET state = 'sending', attempts = attempts + 1, run_id = ? WHERE id = ?",
                   (ctx.run_id, row[0]))
        return int(row[0])


async def _deliver(ctx: RunContext, company: str, name: str, config: dict, file_id: str,
                   documents: list[Document]) -> None:
    if not documents:
        ctx.info(f"Company {company}: nothing new for {name}.")
        return
    ctx.info(f"Company {company}: {len(documents)} document(s) to deliver to {name}.")
    sender = _Sender(ctx, config, file_id, str(ctx.editor.values(schema.COMPANIES, company).get("name") or company))
    for document in documents:
        ctx.check_cancelled()
        delivery = _claim(ctx, company, name, document)
        if delivery is None:
            continue
        label = f"{KIND_LABELS[document.kind]} {document.file_name}"
        outcome = await sender.send(document, label)
        if outcome is None and sender.in_doubt:
            ctx.state.execute("UPDATE accounting_deliveries SET state = 'in doubt', last_error = ? WHERE id = ?",
                              (sender.last_error, delivery))
            ctx.count("in doubt")
            continue
        if outcome is None:
            ctx.state.execute("UPDATE accounting_deliveries SET state = 'failed', last_error = ? WHERE id = ?",
                              (sender.last_error, delivery))
            ctx.count("failed")
            continue
        remote_id, status, reason = outcome
        state = "duplicate" if status == "Duplicate" else "delivered"
        ctx.state.execute("UPDATE accounting_deliveries SET state = ?, remote_id = ?, remote_status = ?, remote_reason = ?, "
                          "delivered_at = ?, last_error = '' WHERE id = ?",
                          (state, remote_id, status, reason, _stamp(ctx), delivery))
        if state == "duplicate":
            ctx.warn(f"Company {company}: {label} — {name} already has it (Duplicate{': ' + reason if reason else ''}); "
                     "not sent again.")
            ctx.count("duplicates")
        else:
            ctx.info(f"Company {company}: {label} delivered to {name}" + (f" ({remote_id})" if remote_id else "") + ".")
            ctx.count("delivered")


def _delivery_errors() -> tuple[type[Exception], ...]:
    """The errors a delivery reports in words (each connector has its own)."""
    from ..connectors.inqom_documents import InqomError
    from ..connectors.mail import MailError
    from ..connectors.sftp import SftpError

    return (InqomError, MailError, SftpError)


class _Sender:
    """Delivers one document through the configuration's integration, retrying what may work next time."""

    def __init__(self, ctx: RunContext, config: dict, file_id: str, company_name: str) -> None:
        self.ctx = ctx
        self.config = config
        self.file_id = file_id
        self.company_name = company_name
        self.last_error = ""
        self.in_doubt = False  # the last send may have been received although no answer came
        self._inqom = None

    async def send(self, document: Document, label: str) -> tuple[str, str, str] | None:
        """(remote id, remote status, reason), or None with last_error set when it failed for this run."""
        self.in_doubt = False
        for attempt in range(1, ATTEMPTS_IN_A_RUN + 1):
            try:
                return await self._send_once(document)
            except _delivery_errors() as error:
                retryable = getattr(error, "retryable", False)
                self.last_error = str(error)
                if getattr(error, "maybe_received", False):
                    # The answer was lost, not the document: sending again could deliver it twice.
                    self.in_doubt = True
                    self.ctx.error(f"{label}: no answer ({self.last_error}); the next run asks Inqom whether it "
                                   "arrived before sending it again.")
                    return None
                if retryable and attempt < ATTEMPTS_IN_A_RUN:
                    self.ctx.warn(f"{label}: {self.last_error} — attempt {attempt} of {ATTEMPTS_IN_A_RUN}, again in "
                                  f"{RETRY_DELAY_S:.0f} s.")
                    await asyncio.sleep(RETRY_DELAY_S)
                    continue
                self.ctx.error(f"{label}: not delivered: {self.last_error}" + ("; the next run tries again." if retryable
                                                                              else ""))
                return None
        return None

    async def _send_once(self, document: Document) -> tuple[str, str, str]:
        integration = self.config.get("integration")
        if integration == "inqom":
            return await self._inqom_send(document)
        if integration == "sftp":
            from ..connectors import sftp

            folder = expand(str(self.config.get("upload_path") or DEFAULT_UPLOAD_PATH), self.file_id)
            paths = await sftp.upload(self.config, [(document.file_name, document.content)], remote_dir=folder)
            return paths[0], "", ""
        if integration in ("email", "octopus"):
            return await self._mail(document, str(self.config.get("recipient_email") or self.config.get("mailbox_email")))
        raise RuntimeError(f"no delivery for {integration}")

    async def _mail(self, document: Document, recipient: str) -> tuple[str, str, str]:
        from ..connectors.mail import OutgoingMail, send_mail

        subject = f"[accounting_file_id] {KIND_LABELS[document.kind]} {document.reference}".strip()
        where = await send_mail(self.ctx.editor, OutgoingMail(
            to=(recipient,), subject=expand(subject, self.file_id).strip(),
            body=f"{KIND_LABELS[document.kind].capitalize()} {document.reference}, sent by akadmin "
                 f"(batch {self.ctx.spec.code}).\n", attachments=((document.file_name, document.content),)))
        return f"e-mail to {recipient} via {where}", "", ""

    async def _inqom_send(self, document: Document) -> tuple[str, str, str]:
        from ..connectors import inqom

        if self._inqom is None:
            self._inqom = inqom.InqomSession(inqom.account_from(self.config), self.ctx.client)
        if document.kind == "expense_report":
            created = await self._inqom.upload_expense_bill(
                document.file_name, document.content, beneficiary=document.beneficiary or self.company_name,
                reference=document.reference)
        else:
            created = await self._inqom.upload_document(document.file_name, document.content,
                                                        type_scan=TYPE_SCAN[document.kind], doc_ref=document.reference,
                                                        source_id=document.source_key)
        return (str(created.get("Id") or created.get("DocumentId") or ""), str(created.get("Status") or ""),
                str(created.get("StatusReason") or ""))


async def _follow_inqom(ctx: RunContext, name: str, config: dict) -> None:
    """Inqom's status of each delivered document still being processed, with its reason."""
    from ..connectors import inqom, inqom_documents

    rows = ctx.state.query("SELECT id, file_name, remote_id, remote_status FROM accounting_deliveries WHERE "
                           "configuration = ? AND state = 'delivered' AND remote_id != '' AND remote_status IN "
                           f"({', '.join('?' * len(OPEN_STATUSES))})", (name, *sorted(OPEN_STATUSES)))
    if not rows:
        return
    session = inqom.InqomSession(inqom.account_from(config), ctx.client)
    for row in rows:
        ctx.check_cancelled()
        try:
            found = await session.document(row["remote_id"])
        except Exception as error:  # noqa: BLE001 - InqomError carries its words
            ctx.warn(f"{row['file_name']}: its Inqom status cannot be read ({error}); looked at again next run.")
            continue
        status = str(found.get("Status") or "")
        reason = inqom_documents.describe_status(found) if status else ""
        if status and status != row["remote_status"]:
            state = "duplicate" if status == "Duplicate" else "delivered"
            ctx.state.execute("UPDATE accounting_deliveries SET remote_status = ?, remote_reason = ?, state = ? WHERE id = ?",
                              (status, reason, state, row["id"]))
            level = ctx.warn if status in ("Duplicate", "Deleted", "ManualProcessing") else ctx.info
            level(f"{row['file_name']}: Inqom status {row['remote_status']} → {status}" + (f" — {reason}" if reason else ""))
            ctx.count("status changes")
