"""INSEE Sirene 3.11, as CONNECTORS.md §2 describes it."""

from __future__ import annotations

from .server import Emulator, Request, Response

BASE_PATH = "/api-sirene/3.11"


class SireneEmulator(Emulator):
    """`/informations`, checking the key header on every call."""

    name = "sirene"

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.route("GET", BASE_PATH + "/informations", self.informations)

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
