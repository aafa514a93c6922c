"""Which sections have a Test, and how each Test gets its settings (as saved, secrets decrypted)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ..settings import schema
from ..settings.editor import SettingsEditor
from ..settings.resolve import resolve_chorus
from . import chorus, sirene
from .http import make_client
from .probe import Probe, StepListener
from .result import Step, TestResult


@dataclass(frozen=True)
class TestTarget:
    """A testable section: its CLI name, the menu section it belongs to, what it needs."""

    __test__ = False

    name: str
    section_id: str
    title: str
    uses_company: bool = False


TARGETS: dict[str, TestTarget] = {
    "chorus": TestTarget("chorus", "chorus", "CHORUS PRO (PISTE)", uses_company=True),
    "sirene": TestTarget("sirene", "sirene", "INSEE Sirene"),
}
BY_SECTION: dict[str, TestTarget] = {t.section_id: t for t in TARGETS.values()}


def _refused(section: str, reason: str, target: str = "") -> TestResult:
    result = TestResult(section, target)
    Probe(result).failed("Configuration", reason)
    return result


async def _chorus(editor: SettingsEditor, company: str | None, client: httpx.AsyncClient,
                  on_step: StepListener | None) -> TestResult:
    resolution = resolve_chorus(editor.config.plain(), company)
    if resolution.setup is None:
        return _refused("chorus", f"No CHORUS PRO setup applies: {resolution.reason}.", company or "")
    base = editor.values(schema.CHORUS)
    setup = editor.values(schema.CHORUS_SPECIAL, resolution.setup)
    missing = [label for key, label in (("piste_client_id", "Piste Client ID"), ("piste_secret", "Piste Secret"),
                                        ("chorus_login", "Chorus Login"), ("chorus_password", "Chorus Password"))
               if not setup.get(key)]
    if missing:
        return _refused("chorus", f"The {resolution.setup} setup lacks {', '.join(missing)}.", resolution.setup)
    account = chorus.ChorusAccount(
        auth_url=base["auth_url"], url=base["url"], environment=base["environment"],
        client_id=setup["piste_client_id"], client_secret=setup["piste_secret"],
        login=setup["chorus_login"], password=setup["chorus_password"], setup=resolution.setup,
    )
    result = await chorus.test_connection(account, client, on_step=on_step)
    if resolution.falls_back:
        result.steps.insert(0, _note(f"Setup used: {resolution.reason}."))
    return result


def _note(text: str) -> Step:
    return Step("Setup", detail=text)


async def _sirene(editor: SettingsEditor, company: str | None, client: httpx.AsyncClient,
                  on_step: StepListener | None) -> TestResult:
    values = editor.values(schema.SIRENE)
    if not values.get("token"):
        return _refused("sirene", "No 'Token for SIRENE API' is saved.")
    return await sirene.test_connection(sirene.SireneAccount(values["url"], values["token"]), client, on_step=on_step)


RUNNERS: dict[str, Callable[..., Awaitable[TestResult]]] = {"chorus": _chorus, "sirene": _sirene}


def trusted_certificates(editor: SettingsEditor) -> list[str]:
    """PEM texts of the certificates imported into the config."""
    return [str(record.get("pem", "")) for record in (editor.config.plain().get("certificates") or {}).values()
            if isinstance(record, dict) and record.get("pem")]


async def run_test(name: str, editor: SettingsEditor, *, company: str | None = None,
                   client: httpx.AsyncClient | None = None, on_step: StepListener | None = None) -> TestResult:
    """Run the Test `name` with the settings as saved; never raises for a service's failure."""
    runner = RUNNERS[name]
    if client is not None:
        return await runner(editor, company, client, on_step)
    async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
        return await runner(editor, company, own, on_step)


class TryFailed(Exception):
    """A "try it" that gave no answer; the text says why."""


@dataclass(frozen=True)
class TryIt:
    """A panel that uses an interface for real: what to type, and what runs."""

    title: str
    prompts: tuple[str, ...]
    run: Callable[[SettingsEditor, list[str], httpx.AsyncClient], Awaitable[str]]


async def _try_sirene(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    values = editor.values(schema.SIRENE)
    if not values.get("token"):
        raise TryFailed("No 'Token for SIRENE API' is saved.")
    try:
        found = await sirene.lookup(sirene.SireneAccount(values["url"], values["token"]), client, inputs[0])
    except sirene.LookupFailed as error:
        raise TryFailed(str(error)) from None
    state = "" if found.active else "  (closed)"
    return f"{found.name}{state}\n{found.address or 'address: look up a SIRET for the establishment address'}"


TRY_ITS: dict[str, TryIt] = {
    "sirene": TryIt("Try it: fill in a customer from its SIRET or SIREN", ("SIRET or SIREN",), _try_sirene),
}


async def run_try(section_id: str, editor: SettingsEditor, inputs: list[str],
                  client: httpx.AsyncClient | None = None) -> str:
    """Run a section's "try it" with the saved settings; raises TryFailed with the reason."""
    try_it = TRY_ITS[section_id]
    if client is not None:
        return await try_it.run(editor, inputs, client)
    async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
        return await try_it.run(editor, inputs, own)
