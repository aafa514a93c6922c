"""INSEE Sirene 3.11: an API key in `X-INSEE-Api-Key-Integration`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ..settings.validate import siret_is_valid
from .diagnose import diagnose_exception, diagnose_status
from .probe import Probe
from .result import TestResult

KEY_HEADER = "X-INSEE-Api-Key-Integration"


@dataclass(frozen=True)
class SireneAccount:
    """The base URL and the API key of the portal's application."""

    url: str
    token: str

    def headers(self) -> dict[str, str]:
        """The headers every call sends."""
        return {KEY_HEADER: self.token, "Accept": "application/json"}


def _key_refused(response: httpx.Response) -> str | None:
    if response.status_code in (401, 403):
        return (f"INSEE refused the API key ({response.status_code}): check the token generated on "
                "https://portail-api.insee.fr/ and that the application subscribed to API Sirene.")
    if response.status_code == 503:
        return "The SIRENE API is closed for maintenance (503): try again later."
    return None


def _describe(body: Any) -> str:
    if not isinstance(body, dict):
        return "answered"
    state = body.get("etatService", "?")
    version = body.get("versionService", "?")
    return f"service {state}, version {version}"


def _business(body: Any) -> str | None:
    if not isinstance(body, dict) or "etatService" not in body:
        return "The answer has no etatService: the URL may not be the SIRENE API (…/api-sirene/3.11)."
    if body.get("etatService") not in ("UP", "up"):
        return f"The SIRENE API says its state is {body.get('etatService')}."
    return None


async def test_connection(account: SireneAccount, client: httpx.AsyncClient, *, on_step=None,
                          timeout_s: float = 30.0) -> TestResult:
    """`GET /informations` with the key (CONNECTORS.md §2)."""
    result = TestResult("sirene", account.url)
    probe = Probe(result, [account.token], on_step=on_step, timeout_s=timeout_s, service="INSEE",
                  slow_effect="every SIRET or SIREN lookup will be slow, and batches that look up many SIRETs "
                              "will take long")
    await probe.call("Service information", client, "GET", account.url.rstrip("/") + "/informations",
                     headers=account.headers(), business=_business, describe=_describe, on_status=_key_refused)
    return result


class LookupFailed(Exception):
    """A SIRET/SIREN lookup that gave no establishment; the text says why in plain words."""


@dataclass(frozen=True)
class Establishment:
    """What the ERP fills in from a SIRET or a SIREN."""

    number: str
    name: str
    address: str
    active: bool


def _legal_name(unit: dict) -> str:
    if unit.get("denominationUniteLegale"):
        return str(unit["denominationUniteLegale"])
    first = unit.get("prenomUsuelUniteLegale") or unit.get("prenom1UniteLegale") or ""
    return f"{first} {unit.get('nomUniteLegale') or ''}".strip()


def _address(address: dict) -> str:
    street = " ".join(str(address.get(k) or "") for k in (
        "numeroVoieEtablissement", "indiceRepetitionEtablissement", "typeVoieEtablissement",
        "libelleVoieEtablissement")).split()
    town = " ".join(str(address.get(k) or "") for k in ("codePostalEtablissement", "libelleCommuneEtablissement")).split()
    return ", ".join(part for part in (" ".join(street), " ".join(town)) if part)


def _from_siret(number: str, body: dict) -> Establishment:
    establishment = body.get("etablissement") or {}
    unit = establishment.get("uniteLegale") or {}
    periods = establishment.get("periodesEtablissement") or [{}]
    return Establishment(number, _legal_name(unit), _address(establishment.get("adresseEtablissement") or {}),
                         periods[0].get("etatAdministratifEtablissement", "A") == "A")


def _from_siren(number: str, body: dict) -> Establishment:
    unit = body.get("uniteLegale") or {}
    periods = unit.get("periodesUniteLegale") or [{}]
    current = next((p for p in periods if p.get("dateFin") is None), periods[0])
    return Establishment(number, _legal_name({**unit, **current}), "", current.get("etatAdministratifUniteLegale", "A") == "A")


async def lookup(account: SireneAccount, client: httpx.AsyncClient, number: str) -> Establishment:
    """The name and address INSEE holds for a SIRET (14 digits) or a SIREN (9 digits)."""
    digits = "".join(number.split())
    if len(digits) == 14 and digits.isascii() and digits.isdigit():
        if not siret_is_valid(digits):
            raise LookupFailed(f"{digits} is not a valid SIRET (its check digit is wrong)")
        path, parse = f"/siret/{digits}", _from_siret
    elif len(digits) == 9 and digits.isascii() and digits.isdigit():
        path, parse = f"/siren/{digits}", _from_siren
    else:
        raise LookupFailed("type a SIRET (14 digits) or a SIREN (9 digits)")
    try:
        response = await client.get(account.url.rstrip("/") + path, headers=account.headers())
    except httpx.HTTPError as error:
        raise LookupFailed(await diagnose_exception(error, account.url, 30.0)) from None
    if response.status_code == 404:
        raise LookupFailed(f"INSEE knows no {'SIRET' if len(digits) == 14 else 'SIREN'} {digits}")
    if response.status_code != 200:
        raise LookupFailed(_key_refused(response) or diagnose_status(response))
    try:
        return parse(digits, response.json())
    except ValueError:
        raise LookupFailed("the SIRENE API answered with something that is not JSON") from None
