"""The CHORUS PRO calls of the PISTE emulator: deposits, flow reports, searches, histories, quotas."""

from __future__ import annotations

import base64
import io
import tarfile
import threading
import time
from datetime import datetime

import httpx
import pytest
from pypdf import PdfWriter

from akadmin_tui.sandbox.chorus_invoices import PARIS
from akadmin_tui.sandbox.piste import PisteEmulator, PisteState, TechnicalAccount

ACME, BETA = "TECH_1_ACME@cpro.fr", "TECH_1_BETA@cpro.fr"
PASSWORDS = {ACME: "acme-pw", BETA: "beta-pw"}
ACME_SIRET = "73282932000074"
UBL_NS = ('xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
          'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
          'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"')
CII_NS = ('xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
          'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"')


def ubl(number: str, payable: str = "1200.00", buyer: str = "COMMUNE DE TEST") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice {UBL_NS}>
  <cbc:ID>{number}</cbc:ID>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>
    <cbc:RegistrationName>{buyer}</cbc:RegistrationName><cbc:CompanyID>11000201100044</cbc:CompanyID>
  </cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="EUR">1000.00</cbc:TaxExclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</Invoice>""".encode()


def cii(number: str, due: str = "600.00", buyer: str = "HOPITAL DE TEST") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {CII_NS}>
  <rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerTradeParty><ram:Name>{buyer}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>500.00</ram:TaxBasisTotalAmount>
        <ram:GrandTotalAmount>600.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{due}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def facturx(number: str, attachment: str = "factur-x.xml") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(attachment, cii(number, buyer="REGION DE TEST"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tar_gz(*files: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for index, data in enumerate(files):
            info = tarfile.TarInfo(f"invoice-{index}.xml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def piste():
    state = PisteState(applications={"app-id": "app-secret"}, quota_per_second=10_000,
                       accounts={ACME: TechnicalAccount(PASSWORDS[ACME], 26073616, ACME_SIRET, "ACME"),
                                 BETA: TechnicalAccount(PASSWORDS[BETA], 26073617, "35600000000048", "BETA")})
    emulator = PisteEmulator(state)
    emulator.start()
    yield emulator
    emulator.stop()


class Api:
    """A client of the emulator with a PISTE token."""

    def __init__(self, piste: PisteEmulator, client: httpx.Client) -> None:
        self.piste, self.client = piste, client
        answer = client.post(piste.auth_url, data={"grant_type": "client_credentials", "client_id": "app-id",
                                                   "client_secret": "app-secret", "scope": "openid"})
        self.token = answer.json()["access_token"]

    def post(self, path: str, body: object, login: str = ACME, **headers: str) -> httpx.Response:
        account = base64.b64encode(f"{login}:{PASSWORDS[login]}".encode()).decode()
        sent = {"Authorization": f"Bearer {self.token}", "cpro-account": account,
                "Content-Type": "application/json;charset=utf-8", **headers}
        return self.client.post(self.piste.api_url + path, json=body, headers=sent)

    def deposit(self, data: bytes, syntax: str = "IN_DP_E1_UBL_INVOICE", name: str = "facture.xml",
                login: str = ACME) -> dict:
        answer = self.post("factures/v1/deposer/flux", {"fichierFlux": base64.b64encode(data).decode(),
                                                        "nomFichier": name, "syntaxeFlux": syntax,
                                                        "avecSignature": False}, login)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def report(self, number: str, login: str = ACME) -> dict:
        return self.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": number}, login).json()

    def search(self, body: dict, login: str = ACME) -> dict:
        answer = self.post("factures/v1/rechercher/fournisseur", body, login)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def api(piste):
    with httpx.Client(timeout=10) as client:
        yield Api(piste, client)


@pytest.mark.parametrize("syntax, document, name, buyer, to_pay", [
    ("IN_DP_E1_UBL_INVOICE", ubl("F-UBL-1"), "F-UBL-1.xml", "COMMUNE DE TEST", 1200.0),
    ("IN_DP_E1_CII_16B", cii("F-CII-1"), "F-CII-1.xml", "HOPITAL DE TEST", 600.0),
    ("IN_DP_E2_CII_FACTURX", facturx("F-FX-1"), "F-FX-1.pdf", "REGION DE TEST", 600.0),
])
def test_a_deposited_flow_is_integrated_and_its_invoice_found(piste, api, syntax, document, name, buyer, to_pay):
    number = name.rsplit(".", 1)[0]
    deposit = api.deposit(document, syntax, name)
    assert deposit["codeRetour"] == 0 and deposit["libelle"] == "TRA_MSG_00.000"
    assert deposit["syntaxeFlux"] == syntax and deposit["numeroFluxDepot"].startswith("CPP")
    datetime.fromisoformat(deposit["dateDepot"])
    flow = piste.flows[deposit["numeroFluxDepot"]]
    assert (flow.state, flow.login, flow.file_name, flow.invoice_numbers) == ("IN_RECU", ACME, name, [number])

    report = api.report(deposit["numeroFluxDepot"])
    assert report["codeRetour"] == 0 and report["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert report["listeErreurDP"] == [] and report["listeErreurTechnique"] == []

    found = api.search({"numeroFluxDepot": deposit["numeroFluxDepot"]})
    assert found["codeRetour"] == 0 and found["parametresRetour"]["total"] == 1
    [invoice] = found["listeFactures"]
    assert invoice["identifiantFactureCPP"] == piste.invoice_by_number(ACME, number).chorus_id
    assert isinstance(invoice["identifiantFactureCPP"], int)
    assert (invoice["numeroFacture"], invoice["statut"], invoice["numeroFluxDepot"]) == (
        number, "DEPOSEE", deposit["numeroFluxDepot"])
    assert (invoice["montantAPayer"], invoice["designationDestinataire"], invoice["codeFournisseur"]) == (
        to_pay, buyer, ACME_SIRET)
    assert invoice["montantHT"] in (1000.0, 500.0) and invoice["montantTTC"] is not None
    datetime.fromisoformat(invoice["dateHeureEtatCourant"])
    assert api.search({"numeroFacture": number})["listeFactures"] == [invoice]


def test_the_plain_flow_report_has_its_own_field_names(api):
    deposit = api.deposit(ubl("F-CR-1"))
    report = api.post("transverses/v1/consulterCR", {"numeroFluxDepot": deposit["numeroFluxDepot"]}).json()
    assert report["codeRetour"] == 0 and report["etatCourantFlux"] == "IN_INTEGRE"
    assert b"IN_INTEGRE" in base64.b64decode(report["fichierCR"])


def test_the_history_shows_each_status_and_its_comment(piste, api):
    api.report(api.deposit(ubl("F-HIST-1"))["numeroFluxDepot"])
    chorus_id = piste.invoice_by_number(ACME, "F-HIST-1").chorus_id
    piste.set_status(chorus_id, "MISE_A_DISPOSITION")
    piste.set_status(chorus_id, "REJETEE", "motif")

    answer = api.post("factures/v1/consulter/historique", {"idFacture": chorus_id}).json()
    assert answer["codeRetour"] == 0 and answer["statutCourantCode"] == "REJETEE"
    history = answer["historiquesDesStatuts"]["histoStatut"]
    assert [h["histoStatutCode"] for h in history] == ["DEPOSEE", "MISE_A_DISPOSITION", "REJETEE"]
    assert history[-1]["histoStatutCommentaire"] == "motif"
    assert answer["historiquesDesStatuts"]["totalHistoStatut"] == 3
    newest_first = api.post("factures/v1/consulter/historique", {
        "idFacture": chorus_id, "paramRechercheHistoStatuts": {"triSensListeHistoStatut": "Descendant"}}).json()
    assert newest_first["historiquesDesStatuts"]["histoStatut"][0]["histoStatutCode"] == "REJETEE"
    [row] = api.search({"numeroFacture": "F-HIST-1"})["listeFactures"]
    assert (row["statut"], row["commentaireEtatCourant"]) == ("REJETEE", "motif")
    with pytest.raises(ValueError):
        piste.set_status(chorus_id, "PAYEE")


def test_a_number_the_supplier_already_has_is_rejected_as_a_duplicate(piste, api):
    first = api.deposit(ubl("F-DUP-1"))["numeroFluxDepot"]
    assert api.report(first)["etatCourantDepotFlux"] == "IN_INTEGRE"
    second = api.deposit(cii("F-DUP-1"), "IN_DP_E1_CII_16B")["numeroFluxDepot"]
    report = api.report(second)
    assert report["codeRetour"] == 0 and report["etatCourantDepotFlux"] == "IN_REJETE"
    [error] = report["listeErreurDP"]
    assert error["numeroDP"] == "F-DUP-1" and error["identifiantFournisseur"] == ACME_SIRET
    assert error["libelleErreurDP"].startswith("Doublon: la facture F-DUP-1 existe déjà")
    assert [i.flow_number for i in piste.invoices.values() if i.number == "F-DUP-1"] == [first]
    assert api.search({"numeroFluxDepot": second})["parametresRetour"]["total"] == 0
    # Another supplier may use the same number.
    other = api.deposit(ubl("F-DUP-1"), login=BETA)["numeroFluxDepot"]
    assert api.report(other, BETA)["etatCourantDepotFlux"] == "IN_INTEGRE"


def test_a_tar_flow_with_one_duplicate_is_partly_integrated(piste, api):
    api.report(api.deposit(ubl("F-TAR-1"))["numeroFluxDepot"])
    flow = api.deposit(tar_gz(ubl("F-TAR-1"), ubl("F-TAR-2")), name="lot.tar.gz")["numeroFluxDepot"]
    report = api.report(flow)
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in report["listeErreurDP"]] == ["F-TAR-1"]
    assert [r["numeroFacture"] for r in api.search({"numeroFluxDepot": flow})["listeFactures"]] == ["F-TAR-2"]


@pytest.mark.parametrize("document, syntax, reason", [
    (b"<Invoice><unclosed></Invoice>", "IN_DP_E1_UBL_INVOICE", "XML mal formé"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "IN_DP_E1_UBL_INVOICE", "DOCTYPE"),
    (cii("F-WRONG-1"), "IN_DP_E1_UBL_INVOICE", "pas une facture UBL"),
    (ubl("").replace(b"<cbc:ID></cbc:ID>", b""), "IN_DP_E1_UBL_INVOICE", "numéro de facture absent"),
    (b"%PDF-1.7 not really", "IN_DP_E2_CII_FACTURX", "PDF illisible"),
    (facturx("F-PDF-1", attachment="other.xml"), "IN_DP_E2_CII_FACTURX", "factur-x.xml absente"),
])
def test_an_unreadable_file_is_accepted_then_rejected(piste, api, document, syntax, reason):
    deposit = api.deposit(document, syntax)
    assert deposit["codeRetour"] == 0 and piste.flows[deposit["numeroFluxDepot"]].invoice_numbers == []
    report = api.report(deposit["numeroFluxDepot"])
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    [error] = report["listeErreurDP"]
    assert "Fichier illisible" in error["libelleErreurDP"] and reason in error["libelleErreurDP"]
    assert piste.invoices == {}


def _deposit_body(**changes: object) -> dict:
    body = {"fichierFlux": base64.b64encode(ubl("F-BAD-1")).decode(), "nomFichier": "F-BAD-1.xml",
            "syntaxeFlux": "IN_DP_E1_UBL_INVOICE", "avecSignature": False}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("path, body", [
    ("factures/v1/deposer/flux", _deposit_body(fichierFlux="not base64 !")),
    ("factures/v1/deposer/flux", _deposit_body(fichierFlux="")),
    ("factures/v1/deposer/flux", _deposit_body(fichierFlux=None)),
    ("factures/v1/deposer/flux", _deposit_body(nomFichier="x" * 47 + ".xml")),
    ("factures/v1/deposer/flux", _deposit_body(nomFichier=None)),
    ("factures/v1/deposer/flux", _deposit_body(syntaxeFlux="IN_DP_E1_XCBL")),
    ("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": "CPP0000000000000000009999"}),
    ("transverses/v1/consulterCR", {}),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"nbResultatsParPage": 501}}),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"pageResultatDemandee": 0}}),
    ("factures/v1/rechercher/fournisseur", {"statutCourant": "DEPOSEE"}),
    ("factures/v1/rechercher/fournisseur", {"statutCourant": ["PAYEE"]}),
    ("factures/v1/rechercher/fournisseur", {"periodeDateHeureEtatCourantDu": "yesterday"}),
    ("factures/v1/consulter/historique", {"idFacture": 999}),
    ("factures/v1/consulter/historique", {"idFacture": "4300001"}),
])
def test_bad_inputs_give_a_non_zero_code_retour(piste, api, path, body):
    answer = api.post(path, body)
    assert answer.status_code == 400
    assert answer.json()["codeRetour"] != 0 and answer.json()["libelle"]
    assert piste.flows == {}


def test_another_account_sees_neither_the_flow_nor_the_invoice(piste, api):
    flow = api.deposit(ubl("F-OWN-1"))["numeroFluxDepot"]
    api.report(flow)
    chorus_id = piste.invoice_by_number(ACME, "F-OWN-1").chorus_id
    assert api.report(flow, BETA)["codeRetour"] != 0
    assert api.search({"numeroFluxDepot": flow}, BETA)["listeFactures"] == []
    assert api.search({"numeroFacture": "F-OWN-1"}, BETA)["parametresRetour"]["total"] == 0
    assert api.search({}, BETA)["parametresRetour"]["total"] == 0
    history = api.post("factures/v1/consulter/historique", {"idFacture": chorus_id}, BETA)
    assert history.status_code == 400 and history.json()["codeRetour"] != 0
    assert piste.invoice_by_number(BETA, "F-OWN-1") is None


def test_pagination_over_seeded_invoices(piste, api):
    piste.seed_invoices(ACME, 250)
    piste.seed_invoices(BETA, 7)
    pages, seen = [], []
    for page in (1, 2, 3, 4):
        answer = api.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": page,
                                                                "nbResultatsParPage": 100}})
        pages.append(answer["parametresRetour"])
        seen += [row["identifiantFactureCPP"] for row in answer["listeFactures"]]
    assert pages[0] == {"pageCourante": 1, "pages": 3, "nbResultatsParPage": 100, "total": 250}
    assert [p["pageCourante"] for p in pages] == [1, 2, 3, 4] and len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)
    default = api.search({})
    assert default["parametresRetour"] == {"pageCourante": 1, "pages": 25, "nbResultatsParPage": 10, "total": 250}
    assert api.search({"statutCourant": ["MISE_A_DISPOSITION"]})["parametresRetour"]["total"] == 250
    assert api.search({"statutCourant": ["REJETEE", "MANDATEE"]})["parametresRetour"]["total"] == 0
    newest = api.search({"rechercheFactureParFournisseur": {"triSens": "Descendant", "nbResultatsParPage": 1}})
    assert newest["listeFactures"][0]["numeroFacture"] == "BENCH-000250"
    beta = {r["numeroFacture"] for r in api.search({}, BETA)["listeFactures"]}
    assert beta == {f"BENCH-00000{i}" for i in range(1, 8)}
    assert piste.seed_invoices(ACME, 1)[0].number == "BENCH-000251"


def test_the_current_status_date_range(piste, api):
    first, second, third = piste.seed_invoices(ACME, 3, status="DEPOSEE")
    time.sleep(0.01)
    piste.set_status(second.chorus_id, "MISE_EN_PAIEMENT")
    changed_at = second.status_at.isoformat()
    since = api.search({"periodeDateHeureEtatCourantDu": changed_at})
    assert [r["numeroFacture"] for r in since["listeFactures"]] == [second.number]
    before = api.search({"periodeDateHeureEtatCourantAu": first.status_at.isoformat()})
    assert [r["numeroFacture"] for r in before["listeFactures"]] == [first.number, third.number]
    day = second.status_at.astimezone(PARIS).date().isoformat()  # naive times are French time there
    assert api.search({"periodeDateHeureEtatCourantDu": f"{day}T00:00:00", "periodeDateHeureEtatCourantAu":
                       f"{day}T23:59:59.999999", "statutCourant": ["MISE_EN_PAIEMENT"]})["parametresRetour"]["total"] == 1


def test_rows_come_sorted_on_the_sort_column(piste, api):
    created = piste.seed_invoices(ACME, 3, prefix="Z-") + piste.seed_invoices(ACME, 2, prefix="A-")
    paging = {"triColonne": "NumeroFacture", "triSens": "Ascendant", "nbResultatsParPage": 10}
    rows = api.search({"rechercheFactureParFournisseur": paging})["listeFactures"]
    assert [r["numeroFacture"] for r in rows] == sorted(i.number for i in created)
    paging["triSens"] = "Descendant"
    rows = api.search({"rechercheFactureParFournisseur": paging})["listeFactures"]
    assert [r["numeroFacture"] for r in rows] == sorted((i.number for i in created), reverse=True)


# One request per rule of the published models (betagouv/api.gouv.fr api-chorus-pro.json; go-choruspro for the
# transverses calls): each is refused as the real service refuses it, 400 "Requête mal formulée", nothing done.
@pytest.mark.parametrize("path, body, named", [
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"triColonne": "IdentifiantFactureCPP"}},
     "triColonne"),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"triSens": "ASC"}}, "triSens"),
    ("factures/v1/rechercher/fournisseur", {"typeFacture": "FACTURE_SIMPLE"}, "typeFacture"),
    ("factures/v1/rechercher/fournisseur", {"modeDepot": "API"}, "modeDepot"),
    ("factures/v1/rechercher/fournisseur", {"numeroFactures": "F-1"}, "propriété inconnue"),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"taillePage": 10}},
     "rechercheFactureParFournisseur.taillePage"),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"nbResultatsParPage": "10"}},
     "nbResultatsParPage"),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": {"pageResultatDemandee": 1.5}},
     "pageResultatDemandee"),
    ("factures/v1/rechercher/fournisseur", {"rechercheFactureParFournisseur": []}, "objet JSON attendu"),
    ("factures/v1/rechercher/fournisseur", {"rejetTraite": "false"}, "rejetTraite"),
    ("factures/v1/rechercher/fournisseur", {"montantTTCMin": "10"}, "montantTTCMin"),
    ("factures/v1/rechercher/fournisseur", {"periodeDateDepotDu": "2026-12-03"}, "periodeDateDepotDu"),
    ("factures/v1/rechercher/fournisseur", {"idUtilisateurCreateur": [1, "2"]}, "idUtilisateurCreateur[1]"),
    ("factures/v1/rechercher/fournisseur", {"idFournisseur": 2 ** 63}, "idFournisseur"),
    ("factures/v1/deposer/flux", {**_deposit_body(), "syntaxeFlux": "IN_DP_E1_PDF"}, "syntaxeFlux"),
    ("factures/v1/deposer/flux", {**_deposit_body(), "avecSignature": "non"}, "avecSignature"),
    ("factures/v1/deposer/flux", {**_deposit_body(), "typeFlux": "FACTURE"}, "typeFlux"),
    ("factures/v1/deposer/flux", ["not", "an", "object"], "objet JSON attendu"),
    ("factures/v1/consulter/historique", {"idFacture": "4300001"}, "idFacture"),
    ("factures/v1/consulter/historique", {"idFacture": 4300001, "paramRechercheHistoStatuts":
                                          {"triSensListeHistoStatut": "Croissant"}}, "triSensListeHistoStatut"),
    ("factures/v1/consulter/historique", {"idFacture": 4300001, "nbResultatsMaximum": 2 ** 31}, "nbResultatsMaximum"),
    ("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": "CPP1", "numeroFlux": "CPP1"}, "numeroFlux"),
    ("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": 12}, "numeroFluxDepot"),
    ("transverses/v1/recuperer/structures/actives/fournisseur", {"siret": "73282932000074"}, "siret"),
])
def test_a_body_the_published_models_do_not_allow_is_malformed(piste, api, path, body, named):
    answer = api.post(path, body)
    assert answer.status_code == 400, answer.text
    label = answer.json()["libelle"]
    assert label.startswith("Requête mal formulée") and named in label
    assert answer.json()["codeRetour"] != 0
    assert piste.flows == {}


def test_integration_waits_for_its_delay(piste, api):
    piste.state.integration_delay_s = 0.3
    flow = api.deposit(ubl("F-WAIT-1"))["numeroFluxDepot"]
    assert api.report(flow)["etatCourantDepotFlux"] == "IN_RECU"
    assert api.search({"numeroFacture": "F-WAIT-1"})["listeFactures"] == []
    time.sleep(0.35)
    assert api.search({"numeroFacture": "F-WAIT-1"})["parametresRetour"]["total"] == 1
    assert api.report(flow)["etatCourantDepotFlux"] == "IN_INTEGRE"


def test_the_flow_is_recorded_before_the_deposit_is_answered(piste, api):
    piste.state.deposit_answer_delay_s = 0.6
    answers: list[dict] = []
    caller = threading.Thread(target=lambda: answers.append(api.deposit(ubl("F-SLOW-1"))))
    caller.start()
    deadline = time.monotonic() + 5
    while not piste.flows and time.monotonic() < deadline:
        time.sleep(0.01)
    assert caller.is_alive() and not answers, "the answer must wait"
    [recorded] = piste.flows.values()
    assert recorded.invoice_numbers == ["F-SLOW-1"] and recorded.state == "IN_RECU"
    caller.join(5)
    assert answers[0]["numeroFluxDepot"] == recorded.number


def test_the_daily_quota_answers_429_and_calls_are_counted(piste, api):
    piste.state.daily_quota = 3
    for _ in range(3):
        assert api.search({})["codeRetour"] == 0
    refused = api.post("factures/v1/rechercher/fournisseur", {})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"] == "quota"
    assert api.post("factures/v1/deposer/flux", _deposit_body()).status_code == 429
    assert piste.calls_by_route["factures/v1/rechercher/fournisseur"] == 4
    assert piste.calls_by_route["factures/v1/deposer/flux"] == 1
    assert piste.calls_by_route["api/oauth/token"] == 1


def test_every_new_route_goes_through_the_gate(piste, api):
    for path in ("factures/v1/deposer/flux", "transverses/v1/consulterCRDetaille", "transverses/v1/consulterCR",
                 "factures/v1/rechercher/fournisseur", "factures/v1/consulter/historique"):
        assert api.post(path, {}, Authorization="Bearer nope").status_code == 401
        assert api.post(path, {}, **{"Content-Type": "text/plain"}).status_code == 415
        assert api.post(path, {}, **{"cpro-account": base64.b64encode(b"x:y").decode()}).status_code == 403
    piste.state.business_error = (20001, "GDP_MSG_11.022")
    assert api.post("factures/v1/deposer/flux", _deposit_body()).json()["codeRetour"] == 20001


def test_twenty_thousand_invoices_stay_fast(piste, api):
    started = time.perf_counter()
    piste.seed_invoices(ACME, 20_000)
    piste.seed_invoices(BETA, 20_000, status="MANDATEE")
    seeded = time.perf_counter()
    answer = api.search({"statutCourant": ["MISE_A_DISPOSITION"],
                         "rechercheFactureParFournisseur": {"pageResultatDemandee": 40, "nbResultatsParPage": 500}})
    by_number = api.search({"numeroFacture": "BENCH-012345"})
    searched = time.perf_counter()
    assert answer["parametresRetour"] == {"pageCourante": 40, "pages": 40, "nbResultatsParPage": 500, "total": 20_000}
    assert by_number["listeFactures"][0]["statut"] == "MISE_A_DISPOSITION"
    assert seeded - started < 5 and searched - seeded < 2, (seeded - started, searched - seeded)
