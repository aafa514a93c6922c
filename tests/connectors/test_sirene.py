"""The Sirene Test against its emulator."""

from __future__ import annotations

import re

import pytest

from akadmin_tui.connectors import sirene
from akadmin_tui.connectors.http import make_client
from akadmin_tui.connectors.registry import run_test
from akadmin_tui.sandbox.server import Fault

from .test_chorus import assert_no_secret


async def run(sandbox, key: str = "demo-sirene-key"):
    async with make_client() as client:
        result = await sirene.test_connection(sirene.SireneAccount(sandbox.sirene.api_url, key), client)
    assert_no_secret(result)
    return result


async def test_success(sandbox) -> None:
    result = await run(sandbox)
    assert result.passed and result.steps[0].detail == "service UP, version 3.11.21"
    assert sandbox.sirene.calls[-1].header("x-insee-api-key-integration") == "demo-sirene-key"
    assert "X-INSEE-Api-Key-Integration: ********" in result.steps[0].request


async def test_wrong_key(sandbox) -> None:
    result = await run(sandbox, key="not-the-key")
    assert "INSEE refused the API key (401)" in result.failed_step.diagnosis


async def test_maintenance(sandbox) -> None:
    sandbox.sirene.set_fault(Fault.ERROR_503)
    assert "closed for maintenance (503)" in (await run(sandbox)).failed_step.diagnosis


async def test_through_the_registry_uses_saved_values(editor) -> None:
    assert (await run_test("sirene", editor)).passed


async def test_lookup_by_siret_and_siren(sandbox) -> None:
    account = sirene.SireneAccount(sandbox.sirene.api_url, "demo-sirene-key")
    async with make_client() as client:
        found = await sirene.lookup(account, client, "732 829 320 00074")
        assert (found.name, found.address, found.active) == ("ACME INGENIERIE", "8 RUE DE LONDRES, 75009 PARIS 9", True)
        assert (await sirene.lookup(account, client, "552100554")).name == "BETA CONSEIL"


@pytest.mark.parametrize("number, message", [
    ("73282932000075", "not a valid SIRET"),
    ("123", "type a SIRET (14 digits) or a SIREN (9 digits)"),
    ("35600000012346", "INSEE knows no SIRET 35600000012346"),
])
async def test_lookup_refusals(sandbox, number: str, message: str) -> None:
    account = sirene.SireneAccount(sandbox.sirene.api_url, "demo-sirene-key")
    async with make_client() as client:
        with pytest.raises(sirene.LookupFailed, match=re.escape(message)):
            await sirene.lookup(account, client, number)


async def test_lookup_with_a_wrong_key(sandbox) -> None:
    async with make_client() as client:
        with pytest.raises(sirene.LookupFailed, match="INSEE refused the API key"):
            await sirene.lookup(sirene.SireneAccount(sandbox.sirene.api_url, "nope"), client, "73282932000074")
