"""JSON Schemas of the CHORUS PRO request bodies akadmin sends, typed by hand from the public descriptions.

Written from the descriptions alone, not from the sandbox emulator, so that both can be wrong only apart:
- factures/v1/*: "AIFE - Chorus Pro - Factures 1.0.0" (betagouv/api.gouv.fr public/swaggers/api-chorus-pro.json),
  models DeposerFluxFactureParam, RechercherFactureParFournisseurParam, ConsulterHistoriqueFactureParam.
- transverses/v1/*: the public Go client antoine2116/go-choruspro (ConsulterCompteRenduDetailleOptions, and an
  empty object for RecupererStructuresActivesFournisseur).
Only the properties akadmin may send are spelled out in full; every model refuses properties it does not have.
"""

from __future__ import annotations

from typing import Any


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False, "required": list(required)}


_INT64 = {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}
_DATE_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"}
_SENS = {"enum": ["Descendant", "Ascendant"]}
_SYNTAXE_FLUX = {"enum": [
    "IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII", "IN_DP_E1_PES_FACTURE", "IN_DP_E1_XCBL", "IN_DP_E2_UBL_INVOICE_MIN",
    "IN_DP_E2_CII_MIN", "IN_DP_E2_PES_FACTURE_MIN", "IN_DP_E2_CPP_FACTURE_MIN", "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG",
    "IN_DP_PDFARCHIVE_CII_MUG", "IN_DP_E1_CII_16B", "IN_DP_E2_CII_MIN_16B", "IN_DP_E2_CII_FACTURX"]}
_TRI_COLONNE = {"enum": [
    "TypeDemandePaiement", "CodeFournisseur", "TypeIdentifiantFournisseur", "DesignationFournisseur",
    "CodeServiceFournisseur", "NomServiceFournisseur", "CodeDestinataire", "DesignationDestinataire",
    "CodeServiceExecutant", "NomServiceExecutant", "TypeFacture", "NumeroFacture", "DateFacture", "DateDepot",
    "MontantHT", "MontantTTC", "MontantAPayer", "Devise", "Statut", "NumeroMarche", "NumeroBonCommande",
    "NumeroFluxDepot", "NumeroFactureOrigine", "ModeDepot"]}  # (the validator, bank and AffactureurCode columns too)

DEPOSER_FLUX = _closed({
    "idUtilisateurCourant": _INT64, "fichierFlux": {"type": "string", "contentEncoding": "base64"},
    "nomFichier": {"type": "string", "maxLength": 50}, "syntaxeFlux": _SYNTAXE_FLUX, "avecSignature": {"type": "boolean"},
}, required=("fichierFlux", "nomFichier", "syntaxeFlux"))

RECHERCHER_FOURNISSEUR = _closed({
    "idUtilisateurCourant": _INT64, "numeroFacture": {"type": "string"}, "numeroFluxDepot": {"type": "string"},
    "periodeDateDepotDu": _DATE_TIME, "periodeDateDepotAu": _DATE_TIME,
    "periodeDateHeureEtatCourantDu": _DATE_TIME, "periodeDateHeureEtatCourantAu": _DATE_TIME,
    "typeFacture": {"enum": ["FACTURE", "AVOIR", "ACOMPTE"]}, "statutCourant": {"type": "array",
                                                                               "items": {"type": "string"}},
    "idFournisseur": _INT64, "rejetTraite": {"type": "boolean"}, "recupererTaille": {"type": "boolean"},
    "rechercheFactureParFournisseur": _closed({
        "nbResultatsMaximum": _INT64, "pageResultatDemandee": _INT64, "nbResultatsParPage": _INT64,
        "triSens": _SENS, "triColonne": _TRI_COLONNE, "ordreTriGenerique": _SENS,
        "taillePageGenerique": _INT64, "indexPageGenerique": _INT64, "champsDeTri": {"type": "object"}}),
})

CONSULTER_HISTORIQUE = _closed({
    "idUtilisateurCourant": _INT64, "idFacture": _INT64, "idEspace": _INT64,
    "nbResultatsMaximum": {"type": "integer", "minimum": -(2 ** 31), "maximum": 2 ** 31 - 1},
    "paramRechercheHistoStatuts": _closed({
        "pageResultatDemandeeListeHistoStatut": {"type": "integer"},
        "nbResultatsParPageListeHistoStatut": {"type": "integer"}, "triSensListeHistoStatut": _SENS,
        "triColonneListeHistoStatut": {"enum": ["HistoStatutCode", "HistoStatutDatePassage",
                                                "HistoStatutCommentaire"]}}),
}, required=("idFacture",))

CONSULTER_CR_DETAILLE = _closed({"numeroFluxDepot": {"type": "string"}, "syntaxeFlux": _SYNTAXE_FLUX},
                                required=("numeroFluxDepot",))

STRUCTURES_ACTIVES_FOURNISSEUR = _closed({})

SCHEMAS: dict[str, dict[str, Any]] = {
    "factures/v1/deposer/flux": DEPOSER_FLUX,
    "factures/v1/rechercher/fournisseur": RECHERCHER_FOURNISSEUR,
    "factures/v1/consulter/historique": CONSULTER_HISTORIQUE,
    "transverses/v1/consulterCRDetaille": CONSULTER_CR_DETAILLE,
    "transverses/v1/recuperer/structures/actives/fournisseur": STRUCTURES_ACTIVES_FOURNISSEUR,
}
