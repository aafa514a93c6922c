"""INSEE Sirene 3.11, as CONNECTORS.md §2 describes it."""

from __future__ import annotations

from .server import Emulator, Request, Response

BASE_PATH = "/api-sirene/3.11"

# SIRET → (name, street, postcode, town): the demo companies and a few more to try.
ESTABLISHMENTS = {
    "73282932000074": ("ACME INGENIERIE", "8 RUE DE LONDRES", "75009", "PARIS 9"),
    "55210055400013": ("BETA CONSEIL", "12 AVENUE DES CHAMPS ELYSEES", "75008", "PARIS 8"),
    "44163946500018": ("GAMMA SERVICES", "3 QUAI KLEBER", "67000", "STRASBOURG"),
}


class SireneEmulator(Emulator):
    """`/informations`, checking the key header on every call."""

    name = "sirene"

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.route("GET", BASE_PATH + "/informations", self.informations)
        self.route("GET", BASE_PATH + r"/siret/(\d{14})", self.siret)
        self.route("GET", BASE_PATH + r"/siren/(\d{9})", self.siren)

    @property
    def api_url(self) -> str:
        """The base URL to configure."""
        return self.url + BASE_PATH

    def _refused(self, request: Request) -> Response | None:
        if self.wrong_credentials or request.header("x-insee-api-key-integration") != self.api_key:
            return Response.json({"header": {"statut": 401, "message": "Jeton invalide ou absent"}}, 401)
        return None

    def informations(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        return Response.json({
            "header": {"statut": 200, "message": "OK"},
            "etatService": "UP",
            "etatsDesServices": [{"Collection": "Unités Légales", "etatCollection": "UP"},
                                 {"Collection": "Établissements", "etatCollection": "UP"}],
            "versionService": "3.11.21",
            "journalDesModifications": "https://www.sirene.fr/static-resources/htm/sommaire_311.html",
        })

    def siret(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        number = request.path.rsplit("/", 1)[-1]
        known = ESTABLISHMENTS.get(number)
        if known is None:
            return Response.json({"header": {"statut": 404, "message": f"Aucun élément trouvé pour le siret {number}"}}, 404)
        name, street, postcode, town = known
        number_part, _, way = street.partition(" ")
        kind, _, label = way.partition(" ")
        return Response.json({
            "header": {"statut": 200, "message": "OK"},
            "etablissement": {
                "siren": number[:9], "nic": number[9:], "siret": number,
                "uniteLegale": {"denominationUniteLegale": name, "etatAdministratifUniteLegale": "A"},
                "adresseEtablissement": {"numeroVoieEtablissement": number_part, "typeVoieEtablissement": kind,
                                         "libelleVoieEtablissement": label, "codePostalEtablissement": postcode,
                                         "libelleCommuneEtablissement": town},
                "periodesEtablissement": [{"dateFin": None, "etatAdministratifEtablissement": "A"}],
            },
        })

    def siren(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        number = request.path.rsplit("/", 1)[-1]
        names = {siret[:9]: known[0] for siret, known in ESTABLISHMENTS.items()}
        if number not in names:
            return Response.json({"header": {"statut": 404, "message": f"Aucun élément trouvé pour le siren {number}"}}, 404)
        return Response.json({
            "header": {"statut": 200, "message": "OK"},
            "uniteLegale": {"siren": number, "periodesUniteLegale": [
                {"dateFin": None, "denominationUniteLegale": names[number], "etatAdministratifUniteLegale": "A"}]},
        })
