"""CheckFacturesClientChorus (seed 002): bring the CHORUS status of transferred invoices up to date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..connectors.chorus_api import ChorusError, ChorusSession, QuotaReached
from ..connectors.mail import MailError, OutgoingMail
from ..settings import schema
from ..settings.batch_params import split_list
from ..settings.chorus_statuses import FINAL_STATUSES
from .chorus_common import ERP_DENIED, AccountGroup, group_by_setup, selected_companies
from .queries import chorus, invoice_status
from .runtime import RunContext

# Statuses are asked for "changed since the last check", reaching this far back to absorb clock drift.
WATERMARK_OVERLAP = dt.timedelta(hours=1)
REJECTED = "REJETEE"
# Transfer states of an invoice whose deposit CHORUS PRO turned down (flow IN_REJETE, or the deposit refused).
FLOW_NOT_INTEGRATED = ("rejected", "refused")


@dataclass
class InFlight:
    """An invoice whose CHORUS status may still change."""

    id: int
    company: str
    number: str
    chorus_id: str | None
    status: str
    manager_email: str
    customer: str
    amount: str
    currency: str


def _in_flight(ctx: RunContext, companies: list[str]) -> list[InFlight]:
    managers = {code: str(ctx.editor.values(schema.COMPANIES, code).get("invoice_manager_email") or "")
                for code in companies}
    # A flow CHORUS PRO rejected created no invoice there: without an identifiantFactureCPP there is nothing to follow.
    rows = invoice_status.in_flight(ctx.state, companies=companies, turned_down=FLOW_NOT_INTEGRATED,
                                    final=FINAL_STATUSES)
    return [InFlight(r["id"], r["company"], r["number"], r["chorus_id"], r["chorus_status"],
                     r["manager_email"] or managers.get(r["company"], ""), r["customer"], r["amount"], r["currency"])
            for r in rows]


def _leave_rejected_flows(ctx: RunContext, companies: list[str]) -> None:
    """Say once, in this run's log, which invoices leave the check because their flow was rejected."""
    rows = invoice_status.turned_down_flows(ctx.state, companies=companies, turned_down=FLOW_NOT_INTEGRATED)
    for row in rows:
        # Claimed first: two runs at once say it once between them.
        if not invoice_status.claim_leaving(ctx.state, invoice_id=row["id"], at=ctx.now().isoformat(timespec="seconds")):
            continue
        ctx.warn(f"Invoice {row['number']} ({row['company']}): CHORUS PRO rejected its flow {row['flow_number']}"
                 + (f" ({row['last_error']})" if row["last_error"] else "")
                 + ", so it has no CHORUS identifier to follow; the status check leaves it (correct it and transfer "
                 "it again).")
        ctx.count("left")


def _watermark_key(ctx: RunContext, group: AccountGroup) -> str:
    """One watermark per PISTE application, setup (technical account) and batch: each sees its own invoices."""
    assert group.session is not None
    return f"{group.session.key}|{group.setup}|{ctx.spec.code}"


def _history_entries(answer: dict) -> list[dict]:
    history = answer.get("historiquesDesStatuts") or {}
    entries = history.get("histoStatut") if isinstance(history, dict) else history
    return [e for e in entries or [] if isinstance(e, dict) and e.get("histoStatutCode")]


def _new_entries(entries: list[dict], known_status: str, current: str) -> list[dict]:
    """The history entries after the last status this invoice was known to have (oldest first)."""
    ordered = sorted(entries, key=lambda e: str(e.get("histoStatutDatePassage") or ""))
    codes = [e["histoStatutCode"] for e in ordered]
    if known_status and known_status in codes:
        start = len(codes) - 1 - codes[::-1].index(known_status) + 1
        fresh = ordered[start:]
    else:
        fresh = ordered
    if not fresh or fresh[-1]["histoStatutCode"] != current:
        fresh.append({"histoStatutCode": current, "histoStatutDatePassage": "", "histoStatutCommentaire": ""})
    return fresh


async def run(ctx: RunContext) -> None:
    """Poll CHORUS PRO for the invoices with an empty or non-final status; alert managers; deny rejected ones."""
    companies = selected_companies(ctx)
    alert = ctx.params.get("ALERTER_RESPONSABLE_FACTURE") is True
    alerted = {s.upper() for s in split_list(ctx.params.get("LISTE_ETATS_CHORUS_A_ALERTER"))}
    if alert and not alerted:
        ctx.warn("ALERTER_RESPONSABLE_FACTURE is on but LISTE_ETATS_CHORUS_A_ALERTER is empty: nobody is alerted.")
    groups, skipped = group_by_setup(ctx, companies)
    _leave_rejected_flows(ctx, companies)
    if alert:
        await _resend_pending_alerts(ctx, companies, alerted)
    for company, reason in skipped:
        waiting = len(_in_flight(ctx, [company]))
        if waiting:
            ctx.count("skipped", waiting)
            ctx.warn(f"Company {company}: {waiting} invoice(s) skipped: {reason}.")
        else:
            ctx.info(f"Company {company}: no CHORUS PRO setup ({reason}).")
    work = [(group, _in_flight(ctx, group.companies)) for group in groups]
    total = sum(len(invoices) for _, invoices in work)
    ctx.info(f"{total} invoice(s) with an empty or non-final CHORUS status to check.")
    done = 0
    ctx.progress(0, total)
    for group, invoices in work:
        ctx.check_cancelled()
        if not invoices:
            continue
        try:
            await _check_group(ctx, group, invoices, alert, alerted)
        except QuotaReached as error:
            ctx.error(str(error))
            return
        except ChorusError as error:
            ctx.error(f"Setup {group.setup} ({', '.join(group.companies)}): {error}")
        done += len(invoices)
        ctx.progress(done, total)


async def _check_group(ctx: RunContext, group: AccountGroup, invoices: list[InFlight], alert: bool,
                       alerted: set[str]) -> None:
    session = group.session
    assert session is not None
    by_id = {inv.chorus_id: inv for inv in invoices if inv.chorus_id}
    # Invoices not yet known by id are matched by number and supplier SIRET (companies may share an account).
    sirets = {code: str(ctx.editor.values(schema.COMPANIES, code).get("siret") or "") for code in group.companies}
    by_number = {inv.number: inv for inv in invoices if not inv.chorus_id}
    key = _watermark_key(ctx, group)
    since = chorus.watermark(ctx.state, key)
    started = ctx.now()
    criteria: dict = {}
    if since is not None:
        criteria["periodeDateHeureEtatCourantDu"] = (since - WATERMARK_OVERLAP).isoformat(timespec="seconds")
    calls_before = session.calls
    changed: list[tuple[InFlight, dict]] = []
    async for found in session.search(criteria):
        ctx.check_cancelled()
        invoice = by_id.get(str(found.get("identifiantFactureCPP")))
        if invoice is None:
            invoice = by_number.get(str(found.get("numeroFacture")))
            supplier = str(found.get("codeFournisseur") or "")
            if invoice is None or (sirets.get(invoice.company) and supplier and supplier != sirets[invoice.company]):
                continue
        status = str(found.get("statut") or "")
        if status and status != invoice.status:
            changed.append((invoice, found))
    ctx.info(f"Setup {group.setup}: {len(invoices)} invoice(s) checked with {session.calls - calls_before} "
             f"search call(s) ({'changes since ' + criteria['periodeDateHeureEtatCourantDu'] if criteria else 'full list'}); "
             f"{len(changed)} changed.")
    ctx.count("checked", len(invoices))
    failed = False
    for invoice, found in changed:
        ctx.check_cancelled()
        try:
            await _apply_change(ctx, session, invoice, found, alert, alerted)
        except QuotaReached:
            raise
        except ChorusError as error:
            failed = True
            ctx.error(f"Invoice {invoice.number} ({invoice.company}): its history cannot be read: {error}")
            ctx.count("failed")
    if failed:
        looks_from = criteria.get("periodeDateHeureEtatCourantDu") or "the start"
        ctx.warn(f"Setup {group.setup}: the next run looks again from {looks_from}, "
                 "so the changes that failed are not skipped.")
    else:
        chorus.save_watermark(ctx.state, key, started)


async def _apply_change(ctx: RunContext, session: ChorusSession, invoice: InFlight, found: dict, alert: bool,
                        alerted: set[str]) -> None:
    chorus_id = str(found.get("identifiantFactureCPP") or invoice.chorus_id or "")
    status = str(found["statut"])
    entries = _history_entries(await session.history(chorus_id)) if chorus_id else []
    fresh = _new_entries(entries, invoice.status, status)
    now = ctx.now().isoformat(timespec="seconds")
    erp = ERP_DENIED if status == REJECTED else ""
    history_ids: list[tuple[int, str, str]] = []
    with ctx.state.transaction() as db:
        # Only from the status this run saw: a batch running at the same time may have recorded it already.
        if not invoice_status.move_status(db, invoice_id=invoice.id, seen=invoice.status, chorus_id=chorus_id,
                                          status=status, status_at=str(found.get("dateHeureEtatCourant") or ""),
                                          erp=erp, at=now):
            ctx.debug(f"Invoice {invoice.number}: updated by another run meanwhile.")
            return
        for entry in fresh:
            code = str(entry["histoStatutCode"])
            comment = str(entry.get("histoStatutCommentaire") or "")
            history_id = invoice_status.add_history(
                db, invoice_id=invoice.id, status=code, status_at=str(entry.get("histoStatutDatePassage") or ""),
                comment=comment, erp=ERP_DENIED if code == REJECTED else "", run_id=ctx.run_id, at=now)
            history_ids.append((history_id, code, comment))
            if alert and code in alerted and invoice.manager_email:
                # Recorded as pending with the change itself, so a crash before the e-mail never loses it.
                invoice_status.add_alert(db, history_id=history_id, invoice_id=invoice.id, status=code,
                                         recipient=invoice.manager_email, run_id=ctx.run_id)
    reason = next((c for _, code, c in reversed(history_ids) if code == status and c), "") or str(
        found.get("commentaireEtatCourant") or "")
    ctx.info(f"Invoice {invoice.number} ({invoice.company}): {invoice.status or 'no status'} → {status}"
             + (f" — {reason}" if reason else "") + (f"; ERP status {erp}" if erp else ""))
    ctx.count("updated")
    if status == REJECTED:
        ctx.count("rejected")
    invoice.status = status
    if alert:
        for history_id, code, comment in history_ids:
            if code in alerted:
                await _alert(ctx, invoice, history_id, code, comment or reason)


async def _alert(ctx: RunContext, invoice: InFlight, history_id: int, status: str, comment: str) -> None:
    """E-mail the invoice manager once for this status change (the alerts table remembers it)."""
    if not invoice.manager_email:
        ctx.warn(f"Invoice {invoice.number} ({invoice.company}) reached {status} but has no invoice manager e-mail "
                 f"(set one on the invoice, or the company's 'Invoice manager e-mail').")
        return
    # Claim the alert: two runs at once must not both send it.
    if not invoice_status.claim_alert(ctx.state, history_id=history_id, run_id=ctx.run_id):
        return
    mail = OutgoingMail(
        to=(invoice.manager_email,),
        subject=f"Invoice {invoice.number}: CHORUS PRO status {status}",
        body=(f"The invoice {invoice.number} of company {invoice.company} ({invoice.customer}, {invoice.amount} "
              f"{invoice.currency}) now has the CHORUS PRO status {status}."
              + (f"\n\nReason given by CHORUS PRO: {comment}" if comment else "")
              + (f"\n\nIts ERP status is now {ERP_DENIED}." if status == REJECTED else "")
              + f"\n\n— akadmin, batch {ctx.spec.code}\n"),
        sender=str(ctx.params.get("BATCH_MAIL_FROM") or ""), reply_to=str(ctx.params.get("BATCH_MAIL_REPLY_TO") or ""))
    try:
        assert ctx.mailer is not None
        await ctx.mailer(ctx.editor, mail)
    except MailError as error:
        ctx.error(f"Invoice {invoice.number}: the alert to {invoice.manager_email} could not be sent: {error}; "
                  "it is sent again on the next run.")
        invoice_status.give_back_alert(ctx.state, history_id)
        return
    invoice_status.alert_sent(ctx.state, history_id=history_id, at=ctx.now().isoformat(timespec="seconds"))
    ctx.info(f"Invoice {invoice.number}: {invoice.manager_email} alerted ({status}).")
    ctx.count("alerts")


async def _resend_pending_alerts(ctx: RunContext, companies: list[str], alerted: set[str]) -> None:
    """Alerts a previous run could not send (mail server down) go out now, still once each."""
    rows = invoice_status.unsent_alerts(ctx.state, companies=companies)
    for row in rows:
        if row["status"] in alerted:
            invoice = InFlight(row["id"], row["company"], row["number"], row["chorus_id"], row["chorus_status"],
                               row["recipient"], row["customer"], row["amount"], row["currency"])
            await _alert(ctx, invoice, row["history_id"], row["status"], row["comment"])
