"""The request models of the CHORUS PRO calls akadmin makes, and a check that refuses what they do not allow.

Sources, read by hand and written out here (nothing generated from them):
- factures/v1/*: the official "AIFE - Chorus Pro - Factures 1.0.0" Swagger 2.0 description, public in
  betagouv/api.gouv.fr `public/swaggers/api-chorus-pro.json` (models DeposerFluxFactureParam,
  RechercherFactureParFournisseurParam, ParametresRechercherFactureParFournisseur,
  ConsulterHistoriqueFactureParam, ParamRechercheHisto*). Every operation there answers
  400 "Requête mal formulée" for a body the models do not allow.
- transverses/v1/*: not in that description; the request fields are those of the public Go client
  antoine2116/go-choruspro (transverses_flux.go, transverses_structures.go: an empty object for the
  active structures) and of OCA l10n_fr_chorus_account (chorus_flow.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..settings.chorus_statuses import INVOICE_STATUSES

MALFORMED = "Requête mal formulée"  # the swagger's description of every 400 answer


@dataclass(frozen=True)
class Scalar:
    """A JSON scalar of one swagger type (string, integer, number, boolean), with its format."""

    type: str
    format: str = ""


@dataclass(frozen=True)
class OneOf:
    """A string restricted to a swagger enum."""

    values: frozenset[str]


@dataclass(frozen=True)
class ListOf:
    """A JSON array whose items all follow one spec."""

    item: Spec


Spec = Scalar | OneOf | ListOf | Mapping[str, "Spec"]

TEXT = Scalar("string")
INT64 = Scalar("integer", "int64")
INT32 = Scalar("integer", "int32")
NUMBER = Scalar("number", "double")
BOOLEAN = Scalar("boolean")
DATE_TIME = Scalar("string", "date-time")


def one_of(values: str) -> OneOf:
    """An enum from its values separated by spaces."""
    return OneOf(frozenset(values.split()))


SENS = one_of("Ascendant Descendant")
# syntaxeFlux of DeposerFluxFactureParam. IN_DP_PDFARCHIVE_*_MUG are in the request enum, not in the answer's.
SYNTAXES = one_of("""IN_DP_E1_UBL_INVOICE IN_DP_E1_CII IN_DP_E1_PES_FACTURE IN_DP_E1_XCBL IN_DP_E2_UBL_INVOICE_MIN
    IN_DP_E2_CII_MIN IN_DP_E2_PES_FACTURE_MIN IN_DP_E2_CPP_FACTURE_MIN IN_DP_PDFARCHIVE_UBL_INVOICE_MUG
    IN_DP_PDFARCHIVE_CII_MUG IN_DP_E1_CII_16B IN_DP_E2_CII_MIN_16B IN_DP_E2_CII_FACTURX""")
MODES_DEPOT = one_of("""SAISIE_WEB PORTAIL_PDF EDI_XML_STRUCT EDI_MIXTE EDI_PDF_ARCHIVE SAISIE_PORTAIL SAISIE_API
    DEPOT_PDF_PORTAIL DEPOT_PDF_SIGNE_PORTAIL DEPOT_PDF_API DEPOT_PDF_SIGNE_API EDI UPLOAD_PORTAIL UPLOAD_API
    EDI_NUMERISATION""")
CADRES = OneOf(frozenset([
    f"A{n}_{name}" for n, name in enumerate(["FACTURE_FOURNISSEUR", "FACTURE_FOURNISSEUR_DEJA_PAYEE",
    "MEMOIRE_JUSTICE", "PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", "ETAT_ACOMPTE_FOURNISSEUR",
    "ETAT_ACOMPTE_VALIDE_FOURNISSEUR", "PROJET_DECOMPTE_FINAL_FOURNISSEUR",
    "DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR", "FACTURE_SOUSTRAITANT", "PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
    "PROJET_DECOMPTE_FINAL_SOUSTRAITANT", "FACTURE_COTRAITANT", "PROJET_DECOMPTE_MENSUEL_COTRAITANT",
    "PROJET_DECOMPTE_FINAL_COTRAITANT", "ETAT_ACOMPTE_MOE", "ETAT_ACOMPTE_VALIDE_MOE",
    "PROJET_DECOMPTE_GENERAL_MOE", "DECOMPTE_GENERAL_MOE", "ETAT_ACOMPTE_VALIDE_MOA", "DECOMPTE_GENERAL_MOA",
    "DEMANDE_REMBOURSEMENT_TIC", "PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE",
    "DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR", "DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
    "DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE"
], start=1)]))
# triColonne of ParametresRechercherFactureParFournisseur: no IdentifiantFactureCPP among them.
SORT_COLUMNS = one_of("""TypeDemandePaiement CodeFournisseur TypeIdentifiantFournisseur DesignationFournisseur
    CodeServiceFournisseur NomServiceFournisseur CodeDestinataire DesignationDestinataire CodeServiceExecutant
    NomServiceExecutant TypeFacture NumeroFacture DateFacture DateDepot MontantHT MontantTTC MontantAPayer Devise
    Statut NumeroMarche NumeroBonCommande NumeroFluxDepot TypeIdentifiantValideur1 CodeValideur1
    RaisonSocialeValideur1 NomValideur1 PrenomValideur1 DateValidation1 TypeIdentifiantValideur2 CodeValideur2
    RaisonSocialeValideur2 NomValideur2 PrenomValideur2 DateValidation2 NumeroFactureOrigine ModeDepot
    CoordBancairesFournisseurCleIban CoordBancairesFournisseurCleRib CoordBancairesFournisseurCodeBanque
    CoordBancairesFournisseurCodePays CoordBancairesFournisseurCompteBancaire CoordBancairesFournisseurNomCb
    AffactureurCode AffactureurTypeIdentifiant AffactureurRaisonSociale NomPrenomUtilisateurCreateur""")

GENERIC_SORT: dict[str, Spec] = {  # the swagger's generic paging fields, repeated in every paging model
    "champsDeTri": {}, "ordreTriGenerique": SENS, "taillePageGenerique": INT64, "indexPageGenerique": INT64}

DEPOSIT: dict[str, Spec] = {
    "idUtilisateurCourant": INT64, "fichierFlux": TEXT, "nomFichier": TEXT, "syntaxeFlux": SYNTAXES,
    "avecSignature": BOOLEAN}

SEARCH: dict[str, Spec] = {
    "idUtilisateurCourant": INT64,
    "listeDestinataire": ListOf({"idDestinataire": INT64, "listeIdServiceExecutant": ListOf(INT64),
                                 "raisonSocialeStuctDmd": TEXT}),
    "rechercheSirenDestinataire": BOOLEAN, "numeroFacture": TEXT, "periodeDateDepotDu": DATE_TIME,
    "periodeDateDepotAu": DATE_TIME, "typeFacture": one_of("FACTURE AVOIR ACOMPTE"), "idFournisseur": INT64,
    "idServiceFournisseur": INT64, "idStructureValideur": INT64, "cadreFacturation": CADRES,
    # The request's statutCourant items are plain strings in the swagger; the service knows its statuses only.
    "statutCourant": ListOf(OneOf(INVOICE_STATUSES)),
    "periodeDateFactureDu": DATE_TIME, "periodeDateFactureAu": DATE_TIME,
    **{f"montant{kind}{end}": NUMBER for kind in ("HT", "TTC", "Apayer") for end in ("Min", "Max")},
    "coordonneeBancaire": INT64, "idUtilisateurCreateur": ListOf(INT64), "numeroMarche": TEXT,
    "numeroBonCommande": TEXT, "numeroFactureOrigine": TEXT, "modeDepot": MODES_DEPOT, "numeroFluxDepot": TEXT,
    "rechercheFactureParFournisseur": {
        "nbResultatsMaximum": INT64, "pageResultatDemandee": INT64, "nbResultatsParPage": INT64, "triSens": SENS,
        "triColonne": SORT_COLUMNS, **GENERIC_SORT},
    "recupererTaille": BOOLEAN, "periodeDateHeureEtatCourantDu": DATE_TIME,
    "periodeDateHeureEtatCourantAu": DATE_TIME, "rejetTraite": BOOLEAN,
}

HISTORY: dict[str, Spec] = {
    "idUtilisateurCourant": INT64, "idFacture": INT64, "idEspace": INT64, "nbResultatsMaximum": INT32,
    "paramRechercheHistoStatuts": {
        "pageResultatDemandeeListeHistoStatut": INT32, "nbResultatsParPageListeHistoStatut": INT32,
        "triSensListeHistoStatut": SENS,
        "triColonneListeHistoStatut": one_of("""HistoStatutCode HistoStatutDatePassage HistoStatutCommentaire
            HistoStatutUtilisateurPrenom HistoStatutUtilisateurNom HistoStatutUtilisateurEmail
            HistoStatutUtilisateurTelephone"""), **GENERIC_SORT},
    "paramRechercheHistoEvenementsComplementaires": {
        "pageResultatDemandeeListeHistoEvenement": INT32, "nbResultatsParPageListeHistoEvenement": INT32,
        "triSensListeHistoEvenement": SENS,
        "triColonneListeHistoEvenement": one_of("EvenementLibelle EvenementQui EvenementDateHeure"), **GENERIC_SORT},
    "paramRechercheHistoActionsUtilisateurs": {
        "pageResultatDemandeeListeHistoAction": INT32, "nbResultatsParPageListeHistoAction": INT32,
        "triSensListeHistoAction": SENS,
        "triColonneListeHistoAction": one_of("""HistoActionDateHeure HistoActionCode HistoAction
            HistoActionUtilisateurPrenom HistoActionUtilisateurNom HistoActionUtilisateurEmail
            HistoActionUtilisateurTelephone"""), **GENERIC_SORT},
}

FLOW_REPORT: dict[str, Spec] = {"numeroFluxDepot": TEXT, "syntaxeFlux": SYNTAXES}
FLOW_REPORT_PDF: dict[str, Spec] = {**FLOW_REPORT, "dateDepot": DATE_TIME}

# Each route's request model, by its path under /cpro/.
MODELS: dict[str, dict[str, Spec]] = {
    "factures/v1/deposer/flux": DEPOSIT,
    "factures/v1/rechercher/fournisseur": SEARCH,
    "factures/v1/consulter/historique": HISTORY,
    "transverses/v1/consulterCRDetaille": FLOW_REPORT,
    "transverses/v1/consulterCR": FLOW_REPORT_PDF,
    "transverses/v1/recuperer/structures/actives/fournisseur": {},
}

INT_RANGES = {"int32": (-(2 ** 31), 2 ** 31 - 1), "int64": (-(2 ** 63), 2 ** 63 - 1)}
# RFC 3339 date-time (the swagger's "date-time" format); the offset may be left out, as CHORUS PRO reads French time.
DATE_TIME_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def problem(value: Any, spec: Spec, where: str = "") -> str | None:
    """Why `value` does not follow `spec` (the property's path first), or None when it does."""
    if isinstance(spec, Mapping):
        if not isinstance(value, dict):
            return f"{where or 'corps'} : objet JSON attendu"
        for name, item in value.items():
            if name not in spec:
                return f"{where + '.' if where else ''}{name} : propriété inconnue"
            found = problem(item, spec[name], f"{where + '.' if where else ''}{name}")
            if found:
                return found
        return None
    if value is None:  # JSON null is an absent optional property for the service's deserializer
        return None
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return f"{where} : tableau attendu"
        return next((p for i, v in enumerate(value) if (p := problem(v, spec.item, f"{where}[{i}]"))), None)
    if isinstance(spec, OneOf):
        if not isinstance(value, str) or value not in spec.values:
            return f"{where} : valeur « {value} » hors de l'énumération"
        return None
    return _scalar_problem(value, spec, where)


def _scalar_problem(value: Any, spec: Scalar, where: str) -> str | None:
    if spec.type == "boolean":
        return None if isinstance(value, bool) else f"{where} : booléen attendu"
    if spec.type == "integer":
        low, high = INT_RANGES[spec.format]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"{where} : entier ({spec.format}) attendu"
        return None
    if spec.type == "number":
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else f"{where} : nombre attendu"
    if not isinstance(value, str):
        return f"{where} : chaîne attendue"
    if spec.format == "date-time" and not DATE_TIME_FORM.fullmatch(value):
        return f"{where} : date-heure ISO 8601 attendue (AAAA-MM-JJThh:mm:ss), reçu « {value} »"
    return None


def body_problem(route: str, body: Any) -> str | None:
    """Why a route's request body would be refused as malformed, or None (routes without a model: None)."""
    model = MODELS.get(route)
    return None if model is None else problem(body, model)
