"""Chorus transfer: deposit pending invoices as flows, then follow each flow until the invoice has its CHORUS id.

An invoice is never deposited twice. The deposit row is committed as 'sending' *before* the call; when the
answer never got written (the process was killed, the answer was lost), the next run looks the invoice up in
CHORUS PRO by its number and adopts what it finds instead of sending it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from ..connectors.chorus_api import ChorusError, ChorusSession, QuotaReached
from ..settings import schema
from .chorus_common import ERP_DENIED, ERP_TO_TRANSMIT, ERP_TRANSMITTED, AccountGroup, group_by_setup, selected_companies
from .invoices import scan_outbox
from .queries import deposits
from .runtime import RunContext
from .state import invoice_files_dir

MAX_FILE_NAME = 50


def invoice_data_dir(ctx: RunContext) -> Path:
    """Where imported invoice files are kept: <state>.invoices/ beside the state database."""
    return invoice_files_dir(ctx.state.path)


def _flow_file_name(number: str, original: str) -> str:
    """The deposit's nomFichier: the invoice number with the file's extension, within CHORUS PRO's 50 characters."""
    extension = Path(original).suffix.lower() or ".xml"
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", number)[: MAX_FILE_NAME - len(extension)]
    return stem + extension


def _stamp(ctx: RunContext) -> str:
    return ctx.now().isoformat(timespec="seconds")


async def run(ctx: RunContext) -> None:
    """Import the outbox, settle unanswered deposits, deposit pending invoices, follow the flows."""
    companies = selected_companies(ctx)
    outbox = ctx.params.get("DOSSIER_FACTURES_A_DEPOSER")
    if outbox:
        await _import_outbox(ctx, Path(str(outbox)).expanduser(), companies)
    groups, skipped = group_by_setup(ctx, companies)
    for company, reason in skipped:
        pending = deposits.pending_count(ctx.state, company)
        if pending:
            ctx.warn(f"Company {company}: {pending} invoice(s) not transferred: {reason}.")
            ctx.count("skipped", pending)
    for group in groups:
        ctx.check_cancelled()
        try:
            await _settle_unanswered(ctx, group)
            await _deposit_pending(ctx, group)
            await _follow_flows(ctx, group)
        except QuotaReached as error:
            ctx.error(str(error))
        except ChorusError as error:
            ctx.error(f"Setup {group.setup} ({', '.join(group.companies)}): {error}")


async def _import_outbox(ctx: RunContext, folder: Path, companies: list[str]) -> None:
    # Reading PDFs and copying files takes time: not on the event loop the console draws with.
    outcomes = await asyncio.to_thread(scan_outbox, ctx.state, folder, companies, data_dir=invoice_data_dir(ctx),
                                       now=ctx.now())
    for outcome in outcomes:
        if outcome.status == "refused":
            ctx.error(f"Outbox: {outcome.message}")
            ctx.count("refused")
        else:
            ctx.info(f"Outbox: {outcome.message}")
            ctx.count("imported" if outcome.status == "imported" else "already imported")


def _supplier_matches(ctx: RunContext, company: str, found: dict) -> bool:
    """True when a CHORUS PRO invoice is this company's (by SIRET), or when either side does not say."""
    siret = str(ctx.editor.values(schema.COMPANIES, company).get("siret") or "")
    supplier = str(found.get("codeFournisseur") or "")
    return not siret or not supplier or supplier == siret


async def _settle_unanswered(ctx: RunContext, group: AccountGroup) -> None:
    """Deposits left 'sending' (no answer was recorded): adopt what CHORUS PRO has, else keep them in doubt.

    An invoice in doubt is never sent again on a timer: CHORUS PRO may integrate a flow hours later, and a
    second deposit would be refused as a duplicate. The admin releases it (akadmin invoices release) once
    CHORUS PRO's portal shows it never arrived.
    """
    session = group.session
    assert session is not None
    rows = deposits.unanswered(ctx.state, group.companies)
    for row in rows:
        ctx.check_cancelled()
        found = [f async for f in session.search({"numeroFacture": row["number"]})
                 if _supplier_matches(ctx, row["company"], f)]
        if found:
            invoice = found[0]
            flow = str(invoice.get("numeroFluxDepot") or "")
            deposits.adopted(ctx.state, deposit_id=row["deposit_id"], invoice_id=row["id"], flow=flow,
                             message="found in CHORUS PRO after an unanswered deposit", at=_stamp(ctx))
            ctx.warn(f"Invoice {row['number']} ({row['company']}): its deposit got no recorded answer, but CHORUS PRO "
                     f"has it (flow {flow}): adopted, not sent again.")
            ctx.count("adopted")
        else:
            ctx.warn(f"Invoice {row['number']} ({row['company']}): a deposit of {row['started_at']} got no recorded "
                     "answer and CHORUS PRO does not list it (yet). It is not sent again: check the CHORUS PRO "
                     f"portal, then run 'akadmin invoices release {row['number']} --company {row['company']}' if "
                     "it never arrived.")
            ctx.count("in doubt")


async def _deposit_pending(ctx: RunContext, group: AccountGroup) -> None:
    session = group.session
    assert session is not None
    rows = deposits.pending(ctx.state, group.companies)
    total = len(rows)
    if total:
        ctx.info(f"Setup {group.setup}: {total} invoice(s) to deposit.")
    for index, row in enumerate(rows, start=1):
        ctx.check_cancelled()
        ctx.progress(index - 1, total)
        try:
            content = await asyncio.to_thread(Path(row["file_path"]).read_bytes)
        except OSError as error:
            _mark(ctx, row["id"], "error", f"its file {row['file_path']} cannot be read: {error.strerror or error}")
            ctx.error(f"Invoice {row['number']} ({row['company']}): its file cannot be read ({error.strerror or error}).")
            ctx.count("failed")
            continue
        name = _flow_file_name(row["number"], row["file_name"])
        # Claim it: another transfer batch serving the same company may have taken it since the list was read.
        deposit_id = deposits.claim(ctx.state, invoice_id=row["id"], file_name=name, erp_status=ERP_TO_TRANSMIT,
                                    run_id=ctx.run_id, at=_stamp(ctx))
        if deposit_id is None:
            ctx.debug(f"Invoice {row['number']}: taken by another run meanwhile.")
            continue
        try:
            answer = await session.deposit(name, content, row["syntax"])
        except QuotaReached:
            _release(ctx, deposit_id, row["id"], "not sent: the daily quota is reached")
            raise
        except ChorusError as error:
            if error.maybe_received:
                ctx.error(f"Invoice {row['number']} ({row['company']}): no answer to its deposit ({error}); the next "
                          "run checks CHORUS PRO before sending it again.")
                ctx.count("in doubt")
            elif error.retryable:
                _release(ctx, deposit_id, row["id"], str(error))
                ctx.error(f"Invoice {row['number']} ({row['company']}): not deposited ({error}); it stays pending.")
                ctx.count("failed")
            else:
                _refused(ctx, deposit_id, row["id"], str(error))
                ctx.error(f"Invoice {row['number']} ({row['company']}): deposit refused: {error}")
                ctx.count("refused")
            continue
        flow = str(answer.get("numeroFluxDepot") or "")
        deposits.deposited(ctx.state, deposit_id=deposit_id, invoice_id=row["id"], flow=flow,
                           message=str(answer.get("libelle") or ""), at=_stamp(ctx))
        ctx.info(f"Invoice {row['number']} ({row['company']}): deposited as flow {flow}.")
        ctx.count("deposited")
    if total:
        ctx.progress(total, total)


def _mark(ctx: RunContext, invoice_id: int, state: str, message: str) -> None:
    deposits.set_transfer_state(ctx.state, invoice_id=invoice_id, transfer_state=state, message=message,
                                at=_stamp(ctx))


def _release(ctx: RunContext, deposit_id: int, invoice_id: int, message: str) -> None:
    """A deposit CHORUS PRO certainly did not receive: the invoice goes back to pending."""
    deposits.not_sent(ctx.state, deposit_id=deposit_id, invoice_id=invoice_id, message=message, at=_stamp(ctx))


def _refused(ctx: RunContext, deposit_id: int, invoice_id: int, message: str) -> None:
    deposits.refused(ctx.state, deposit_id=deposit_id, invoice_id=invoice_id, erp_status=ERP_DENIED, message=message,
                     at=_stamp(ctx))


async def _follow_flows(ctx: RunContext, group: AccountGroup) -> None:
    """Deposited invoices: one paged search finds the integrated ones; only the others cost a flow report each."""
    session = group.session
    assert session is not None
    rows = deposits.in_deposited_flows(ctx.state, group.companies)
    if not rows:
        return
    since = min(dt.datetime.fromisoformat(row["since"]) for row in rows) - dt.timedelta(hours=1)
    wanted = {(row["flow_number"], row["number"]) for row in rows}
    found: dict[tuple[str, str], dict] = {}
    async for invoice in session.search({"periodeDateDepotDu": since.isoformat(timespec="seconds")}):
        key = (str(invoice.get("numeroFluxDepot") or ""), str(invoice.get("numeroFacture") or ""))
        if key in wanted:
            found[key] = invoice
    for row in rows:
        ctx.check_cancelled()
        integrated = found.get((row["flow_number"], row["number"]))
        if integrated is not None:
            _integrated(ctx, row["id"], integrated)
            deposits.set_flow_state(ctx.state, flow_number=row["flow_number"], flow_state="IN_INTEGRE")
            ctx.info(f"Invoice {row['number']} ({row['company']}): integrated, identifiantFactureCPP "
                     f"{integrated.get('identifiantFactureCPP')} (its status is read by CheckFacturesClientChorus).")
            ctx.count("integrated")
        else:
            await _flow_report(ctx, session, row)


async def _flow_report(ctx: RunContext, session: ChorusSession, row) -> None:
    """A deposited invoice CHORUS PRO does not list yet: its flow report says whether it was rejected."""
    report = await session.flow_report(row["flow_number"])
    state = str(report.get("etatCourantDepotFlux") or report.get("etatCourantFlux") or "")
    deposits.set_flow_state(ctx.state, flow_number=row["flow_number"], flow_state=state)
    if state == "IN_REJETE":
        errors = "; ".join(str(e.get("libelleErreurDP") or e) for e in report.get("listeErreurDP") or []) or \
            "; ".join(str(e.get("libelleErreur") or e) for e in report.get("listeErreurTechnique") or []) or "no reason given"
        deposits.flow_rejected(ctx.state, invoice_id=row["id"], erp_status=ERP_DENIED, errors=errors, at=_stamp(ctx))
        ctx.error(f"Invoice {row['number']} ({row['company']}): flow {row['flow_number']} rejected: {errors}; "
                  f"ERP status {ERP_DENIED}.")
        ctx.count("rejected")
    elif state in ("IN_INTEGRE", "IN_INTEGRE_PARTIEL"):
        ctx.warn(f"Invoice {row['number']}: flow {row['flow_number']} is {state} but the invoice is not listed yet; "
                 "the next run looks again.")
    else:
        ctx.debug(f"Invoice {row['number']}: flow {row['flow_number']} is {state or 'not yet processed'}.")


def _integrated(ctx: RunContext, invoice_id: int, invoice: dict) -> None:
    """The invoice has its identifiantFactureCPP; its CHORUS status, history and alerts are the status check's."""
    deposits.integrated(ctx.state, invoice_id=invoice_id, chorus_id=str(invoice.get("identifiantFactureCPP") or ""),
                        erp_before=ERP_TO_TRANSMIT, erp_after=ERP_TRANSMITTED, at=_stamp(ctx))
