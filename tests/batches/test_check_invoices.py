"""CheckFacturesClientChorus against the PISTE sandbox: every parameter of seed 002 shows its effect."""

from __future__ import annotations

import datetime as dt

import pytest

from akadmin_tui.batches.runtime import Outcome
from akadmin_tui.settings import schema

from .conftest import ACME_LOGIN, BATCH_PASSWORD, Mailbox, check_spec, import_samples, invoice_row, log_of, run, transfer_spec

HISTORY = "factures/v1/consulter/historique"
SEARCH = "factures/v1/rechercher/fournisseur"


@pytest.fixture
async def transferred(editor, state, sandbox, tmp_path):
    """Three ACME invoices deposited and integrated in CHORUS PRO (status DEPOSEE)."""
    import_samples(state, tmp_path, ["F-1", "F-2", "F-3"])
    summary = await run(transfer_spec(), editor, state)
    assert summary.counts["integrated"] == 3
    return {n: sandbox.piste.invoice_by_number(ACME_LOGIN, n).chorus_id for n in ("F-1", "F-2", "F-3")}


async def test_rejected_invoice_is_denied_and_its_manager_alerted_once(editor, state, sandbox, transferred) -> None:
    sandbox.piste.set_status(transferred["F-2"], "REJETEE", "Numéro d'engagement absent")
    mailbox = Mailbox()
    spec = check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="REJETEE;MISE_EN_PAIEMENT")
    summary = await run(spec, editor, state, mailbox)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    row = invoice_row(state, "F-2")
    assert row["chorus_status"] == "REJETEE" and row["erp_status"] == "3 - Transmission denied"
    history = state.query("SELECT status, comment FROM invoice_status_history WHERE invoice_id = ? ORDER BY id", (row["id"],))
    assert history[-1]["status"] == "REJETEE" and history[-1]["comment"] == "Numéro d'engagement absent"
    assert [m.to for m in mailbox.sent] == [("manager@acme.example",)]
    assert "Numéro d'engagement absent" in mailbox.sent[0].body and "3 - Transmission denied" in mailbox.sent[0].body
    # Later polls: the status did not change, nobody is alerted again, and REJETEE is final.
    again = await run(spec, editor, state, mailbox)
    assert len(mailbox.sent) == 1 and again.counts.get("updated", 0) == 0


async def test_final_statuses_are_never_polled_again(editor, state, sandbox, transferred) -> None:
    sandbox.piste.set_status(transferred["F-1"], "MISE_EN_PAIEMENT")
    await run(check_spec(), editor, state)
    histories = sandbox.piste.calls_by_route[HISTORY]
    sandbox.piste.set_status(transferred["F-1"], "REJETEE")  # whatever happens after, it is not asked for
    summary = await run(check_spec(), editor, state)
    assert sandbox.piste.calls_by_route[HISTORY] == histories
    assert invoice_row(state, "F-1")["chorus_status"] == "MISE_EN_PAIEMENT"
    assert summary.counts["checked"] == 2


async def test_an_invoice_whose_flow_was_rejected_leaves_the_check_once(editor, state, sandbox, tmp_path) -> None:
    sandbox.piste.seed_invoices(ACME_LOGIN, 1, prefix="DUP-")  # CHORUS PRO already has DUP-000001: IN_REJETE
    import_samples(state, tmp_path, ["DUP-000001", "F-OK-1"])
    await run(transfer_spec(), editor, state)
    assert invoice_row(state, "DUP-000001")["transfer_state"] == "rejected"
    first = await run(check_spec(), editor, state)
    said = [t for _, t in log_of(state, first.run_id) if "DUP-000001" in t]
    assert len(said) == 1 and "rejected its flow" in said[0] and "no CHORUS identifier" in said[0], said
    assert first.counts["left"] == 1 and first.counts["checked"] == 1
    second = await run(check_spec(), editor, state)
    assert not [t for _, t in log_of(state, second.run_id) if "DUP-000001" in t]
    assert "left" not in second.counts and second.counts["checked"] == 1


async def test_statuses_beyond_the_seeds_are_kept_as_they_are_and_alerted(editor, state, sandbox, transferred) -> None:
    sandbox.piste.set_status(transferred["F-1"], "SERVICE_FAIT", "Service fait le 2 décembre")
    sandbox.piste.set_status(transferred["F-2"], "PRISE_EN_COMPTE_DESTINATAIRE")
    mailbox = Mailbox()
    summary = await run(check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="SERVICE_FAIT"),
                        editor, state, mailbox)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    assert invoice_row(state, "F-1")["chorus_status"] == "SERVICE_FAIT"
    assert invoice_row(state, "F-2")["chorus_status"] == "PRISE_EN_COMPTE_DESTINATAIRE"
    assert [m.subject for m in mailbox.sent] == ["Invoice F-1: CHORUS PRO status SERVICE_FAIT"]
    # Not final: a later change is still followed.
    sandbox.piste.set_status(transferred["F-2"], "MANDATEE")
    await run(check_spec(), editor, state)
    assert invoice_row(state, "F-2")["chorus_status"] == "MANDATEE"


async def test_a_status_no_list_has_is_stored_as_it_is(editor, state, sandbox, transferred) -> None:
    """A status the service adds tomorrow: stored and shown as CHORUS PRO writes it, the batch carries on."""
    invoice = sandbox.piste.set_status(transferred["F-3"], "MISE_A_DISPOSITION")
    invoice.history[-1].code = "NOUVEAU_STATUT_2027"  # beyond today's description, as a future service may answer
    summary = await run(check_spec(), editor, state)
    assert summary.outcome is Outcome.OK, log_of(state, summary.run_id)
    assert invoice_row(state, "F-3")["chorus_status"] == "NOUVEAU_STATUT_2027"


async def test_only_listed_statuses_alert(editor, state, sandbox, transferred) -> None:
    sandbox.piste.set_status(transferred["F-1"], "MISE_A_DISPOSITION")
    sandbox.piste.set_status(transferred["F-3"], "SUSPENDUE", "Pièce manquante")
    mailbox = Mailbox()
    await run(check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="SUSPENDUE"), editor, state, mailbox)
    assert len(mailbox.sent) == 1 and "F-3" in mailbox.sent[0].subject


async def test_no_alert_when_alerter_responsable_facture_is_off(editor, state, sandbox, transferred) -> None:
    sandbox.piste.set_status(transferred["F-2"], "REJETEE", "motif")
    mailbox = Mailbox()
    await run(check_spec(ALERTER_RESPONSABLE_FACTURE=False, LISTE_ETATS_CHORUS_A_ALERTER="REJETEE"), editor, state, mailbox)
    assert mailbox.sent == [] and invoice_row(state, "F-2")["chorus_status"] == "REJETEE"


async def test_an_unchanged_invoice_costs_no_history_call(editor, state, sandbox, transferred) -> None:
    await run(check_spec(), editor, state)  # the first look records DEPOSEE for all three
    histories = sandbox.piste.calls_by_route[HISTORY]
    sandbox.piste.set_status(transferred["F-3"], "COMPLETEE")
    summary = await run(check_spec(), editor, state)
    assert sandbox.piste.calls_by_route[HISTORY] - histories == 1 and summary.counts["updated"] == 1


async def test_liste_societes_a_traiter_limits_the_companies(editor, state, sandbox, transferred, tmp_path) -> None:
    searches = sandbox.piste.calls_by_route[SEARCH]
    summary = await run(check_spec(LISTE_SOCIETES_A_TRAITER="BETA;NOPE"), editor, state)
    lines = log_of(state, summary.run_id)
    assert any("NOPE" in text and level == "WARN" for level, text in lines)
    assert "checked" not in summary.counts  # ACME's invoices are not looked at
    assert sandbox.piste.calls_by_route[SEARCH] == searches


async def test_a_company_without_setup_is_skipped_with_the_reason(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["B-1"], company="BETA")
    state.execute("UPDATE invoices SET flow_number = 'CPP1', transfer_state = 'deposited' WHERE number = 'B-1'")
    summary = await run(check_spec(LISTE_SOCIETES_A_TRAITER="BETA"), editor, state)
    assert summary.counts["skipped"] == 1
    assert any("BETA" in text and "not transferred" in text for _, text in log_of(state, summary.run_id))


async def test_batch_debug_params_logs_parameters_with_secrets_masked(editor, state, transferred) -> None:
    summary = await run(check_spec(BATCH_DEBUG_PARAMS=True), editor, state)
    text = "\n".join(t for _, t in log_of(state, summary.run_id))
    assert "Parameter BATCH_USER = TECH_AKUITEO" in text and "Parameter BATCH_PWD = ********" in text
    assert BATCH_PASSWORD not in text
    quiet = await run(check_spec(), editor, state)
    assert not any(t.startswith("Parameter ") for _, t in log_of(state, quiet.run_id))


async def test_batch_log_console_writes_the_log_on_stderr(editor, state, transferred, capsys) -> None:
    capsys.readouterr()
    await run(check_spec(BATCH_LOG_CONSOLE=True), editor, state)
    assert "[CHECK]" in capsys.readouterr().err
    await run(check_spec(BATCH_LOG_CONSOLE=False), editor, state)
    assert "[CHECK]" not in capsys.readouterr().err


async def test_batch_log_file_and_id_name_the_log_file(editor, state, transferred, tmp_path) -> None:
    folder = tmp_path / "logs"
    await run(check_spec(BATCH_LOG_FILE=str(folder), BATCH_LOG_ID="CHORUS_STATUS"), editor, state)
    files = list(folder.glob("CHORUS_STATUS_*.log"))
    assert len(files) == 1 and "invoice(s) with an empty or non-final CHORUS status" in files[0].read_text()


async def test_batch_log_level_keeps_only_the_chosen_levels(editor, state, transferred) -> None:
    summary = await run(check_spec(BATCH_LOG_LEVEL="WARN", LISTE_SOCIETES_A_TRAITER="ACME;NOPE"), editor, state)
    levels = {level for level, _ in log_of(state, summary.run_id)}
    assert levels == {"WARN"}


async def test_batch_mail_gets_the_log_when_the_run_has_errors(editor, state, sandbox, transferred) -> None:
    mailbox = Mailbox()
    spec = check_spec(BATCH_MAIL="support@acme.example", BATCH_MAIL_CC="cc@acme.example", BATCH_MAIL_CCI="audit@acme.example",
                      BATCH_MAIL_FROM="batches@acme.example", BATCH_MAIL_REPLY_TO="it@acme.example")
    ok = await run(spec, editor, state, mailbox)
    assert ok.outcome is Outcome.OK and mailbox.sent == []  # no error, no mail
    sandbox.piste.set_status(transferred["F-1"], "COMPLETEE")
    sandbox.piste.set_fault("500")
    failed = await run(spec, editor, state, mailbox)
    sandbox.piste.set_fault("none")
    assert failed.outcome is Outcome.ERRORS
    mail = mailbox.sent[-1]
    assert mail.to == ("support@acme.example",) and mail.cc == ("cc@acme.example",) and mail.bcc == ("audit@acme.example",)
    assert mail.sender == "batches@acme.example" and mail.reply_to == "it@acme.example"
    assert "ERROR" in mail.body and BATCH_PASSWORD not in mail.body


async def test_batch_user_is_who_the_run_is_recorded_as(editor, state, transferred) -> None:
    summary = await run(check_spec(BATCH_USER="JDUPONT"), editor, state)
    assert state.query("SELECT started_by FROM batch_runs WHERE id = ?", (summary.run_id,))[0][0] == "JDUPONT"


async def test_batch_pwd_never_appears_anywhere(editor, state, sandbox, transferred, tmp_path) -> None:
    folder = tmp_path / "logs"
    summary = await run(check_spec(BATCH_DEBUG_PARAMS=True, BATCH_LOG_FILE=str(folder)), editor, state)
    assert BATCH_PASSWORD not in "".join(t for _, t in log_of(state, summary.run_id))
    assert all(BATCH_PASSWORD not in f.read_text() for f in folder.iterdir())
    assert BATCH_PASSWORD.encode() not in state.path.read_bytes()


def test_liste_etats_refuses_what_chorus_pro_does_not_have(editor) -> None:
    from akadmin_tui.settings.editor import ChangeRefused

    with pytest.raises(ChangeRefused, match=r"among the CHORUS PRO invoice statuses \(DEPOSEE.*'PAYEE' is not one"):
        editor.create(schema.BATCHES, "BAD", {"label": "x", "template": "CheckFacturesClientChorus",
                                              "BATCH_USER": "u", "BATCH_PWD": "p", "BATCH_MAIL": "a@b.example",
                                              "LISTE_ETATS_CHORUS_A_ALERTER": "REJETEE;PAYEE"})


def test_liste_etats_accepts_statuses_beyond_the_seeds_eleven(editor) -> None:
    editor.create(schema.BATCHES, "WIDE", {"label": "x", "template": "CheckFacturesClientChorus",
                                           "BATCH_USER": "u", "BATCH_PWD": "p", "BATCH_MAIL": "a@b.example",
                                           "LISTE_ETATS_CHORUS_A_ALERTER": "SERVICE_FAIT;A_COMPLETER;TRANSMISE_MOA"})
    assert editor.values(schema.BATCHES, "WIDE")["LISTE_ETATS_CHORUS_A_ALERTER"] == "SERVICE_FAIT;A_COMPLETER;TRANSMISE_MOA"


def test_required_parameters_missing_refuse_the_batch(editor) -> None:
    from akadmin_tui.settings.editor import ChangeRefused

    with pytest.raises(ChangeRefused, match="'BATCH_PWD' is required by the CheckFacturesClientChorus template"):
        editor.create(schema.BATCHES, "BAD", {"label": "x", "template": "CheckFacturesClientChorus",
                                              "BATCH_USER": "u", "BATCH_MAIL": "a@b.example"})


async def test_many_unchanged_invoices_cost_few_calls(editor, state, sandbox) -> None:
    """10 000 invoices in flight and none changed: the delta search needs far fewer than one call per 50."""
    seeded = sandbox.piste.seed_invoices(ACME_LOGIN, 10_000, status="MISE_A_DISPOSITION", age=dt.timedelta(days=1))
    now = "2026-11-21T00:00:00+00:00"
    with state.transaction() as db:
        db.executemany(
            "INSERT INTO invoices (company, number, file_path, file_name, file_sha256, syntax, transfer_state, flow_number, "
            "chorus_id, chorus_status, imported_at, updated_at) VALUES ('ACME', ?, '/x', 'x.xml', 'h', 'IN_DP_E1_UBL_INVOICE', "
            "'integrated', ?, ?, 'MISE_A_DISPOSITION', ?, ?)",
            [(inv.number, inv.flow_number, str(inv.chorus_id), now, now) for inv in seeded])
    first = await run(check_spec(), editor, state)  # no watermark yet: the full list, 100 a page
    full = sandbox.piste.calls_by_route[SEARCH]
    assert first.counts["checked"] == 10_000 and full <= 10_000 / 50
    second = await run(check_spec(), editor, state)
    assert sandbox.piste.calls_by_route[SEARCH] - full == 1 and second.counts.get("updated", 0) == 0


async def test_invoices_without_a_manager_alert_the_companys_manager(editor, state, sandbox, tmp_path) -> None:
    import_samples(state, tmp_path, ["F-NM"], manager="")
    await run(transfer_spec(), editor, state)
    sandbox.piste.set_status(sandbox.piste.invoice_by_number(ACME_LOGIN, "F-NM").chorus_id, "SUSPENDUE", "Pièce manquante")
    mailbox = Mailbox()
    await run(check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="SUSPENDUE"), editor, state, mailbox)
    assert [m.to for m in mailbox.sent] == [("factures@acme.example",)]


async def test_two_check_batches_at_once_alert_once(editor, state, sandbox, transferred) -> None:
    import asyncio

    sandbox.piste.set_status(transferred["F-2"], "REJETEE", "motif")
    mailbox = Mailbox()
    first = check_spec(ALERTER_RESPONSABLE_FACTURE=True, LISTE_ETATS_CHORUS_A_ALERTER="REJETEE")
    second = first.__class__("CHECK2", first.label, first.template, first.schedule, first.params)
    await asyncio.gather(run(first, editor, state, mailbox), run(second, editor, state, mailbox))
    assert len(mailbox.sent) == 1
    row = invoice_row(state, "F-2")
    assert len(state.query("SELECT 1 FROM invoice_status_history WHERE invoice_id = ? AND status = 'REJETEE'",
                           (row["id"],))) == 1


async def test_a_failed_history_read_is_looked_at_again_next_run(editor, state, sandbox, transferred, monkeypatch) -> None:
    from akadmin_tui.connectors.chorus_api import ChorusError, ChorusSession

    await run(check_spec(), editor, state)
    sandbox.piste.set_status(transferred["F-1"], "REJETEE", "motif")
    original = ChorusSession.history

    async def broken(self, chorus_id):
        raise ChorusError("history down")

    monkeypatch.setattr(ChorusSession, "history", broken)
    failed = await run(check_spec(), editor, state)
    assert failed.counts["failed"] == 1 and invoice_row(state, "F-1")["chorus_status"] == "DEPOSEE"
    monkeypatch.setattr(ChorusSession, "history", original)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)  # past the watermark's hour of overlap
    await run(check_spec(), editor, state, now=lambda: later)
    assert invoice_row(state, "F-1")["chorus_status"] == "REJETEE"
