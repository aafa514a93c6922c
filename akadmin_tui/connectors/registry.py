"""Which Tests exist, what each section's Test button runs, and how they read the saved settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..settings import schema
from ..settings.editor import SettingsEditor
from ..settings.resolve import resolve_chorus
from . import bridge, chorus, exchange, gmail, google_maps, graph, mindee, sirene, universign
from .chorus_api import account_key
from .files import UnreadableFile, read_limited_async
from .http import make_client
from .probe import Probe, StepListener
from .ratelimit import shared_limiter
from .result import Step, TestResult
from .tokens import TokenCache

RECEIPT_LIMIT = 10 * 2**20  # Mindee's own limit for a document

CONFIGURATION_STEP = "Configuration"
Runner = Callable[[SettingsEditor, "str | None", httpx.AsyncClient, "StepListener | None"], Awaitable[TestResult]]


@dataclass(frozen=True)
class TestTarget:
    """A Test that `akadmin test NAME` runs: its section and title."""

    __test__ = False

    name: str
    section_id: str
    title: str
    uses_company: bool = False


def _refused(section: str, reason: str, target: str = "") -> TestResult:
    result = TestResult(section, target)
    Probe(result).failed(CONFIGURATION_STEP, reason)
    return result


def _missing(values: dict, labels: dict[str, str]) -> list[str]:
    return [label for key, label in labels.items() if not values.get(key)]


def chorus_account(editor: SettingsEditor, setup: str) -> chorus.ChorusAccount:
    """The CHORUS PRO account of one setup (***** or a company's), with the shared URLs."""
    base = editor.values(schema.CHORUS)
    values = editor.values(schema.CHORUS_SPECIAL, setup)
    return chorus.ChorusAccount(
        auth_url=base["auth_url"], url=base["url"], environment=base["environment"],
        client_id=values["piste_client_id"], client_secret=values["piste_secret"] or "",
        login=values["chorus_login"], password=values["chorus_password"] or "", setup=setup,
    )


async def _chorus(editor: SettingsEditor, company: str | None, client: httpx.AsyncClient,
                  on_step: StepListener | None) -> TestResult:
    resolution = resolve_chorus(editor.config.plain(), company)
    if resolution.setup is None:
        return _refused("chorus", f"No CHORUS PRO setup applies: {resolution.reason}.", company or "")
    setup = editor.values(schema.CHORUS_SPECIAL, resolution.setup)
    missing = _missing(setup, {"piste_client_id": "Piste Client ID", "piste_secret": "Piste Secret",
                               "chorus_login": "Chorus Login", "chorus_password": "Chorus Password"})
    if missing:
        return _refused("chorus", f"The {resolution.setup} setup lacks {', '.join(missing)}.", resolution.setup)
    account = chorus_account(editor, resolution.setup)
    limiter = shared_limiter(account_key(account), int(editor.values(schema.CHORUS)["max_calls_per_second"]))
    result = await chorus.test_connection(account, client, cache=TokenCache(), on_step=on_step, limiter=limiter)
    if resolution.falls_back:
        result.steps.insert(0, Step("Setup", detail=f"Setup used: {resolution.reason}."))
    return result


async def _sirene(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.SIRENE)
    if not values.get("token"):
        return _refused("sirene", "No 'Token for SIRENE API' is saved.")
    return await sirene.test_connection(sirene.SireneAccount(values["url"], values["token"]), client, on_step=on_step)


async def _ocr(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.OCR)
    missing = _missing(values, {"mindee_rest_url": "Mindee rest url", "mindee_token": "Mindee Token"})
    if missing:
        return _refused("ocr", f"Not saved yet: {', '.join(missing)}.")
    return await mindee.test_connection(mindee.MindeeAccount(values["mindee_rest_url"], values["mindee_token"]),
                                        client, on_step=on_step)


def _exchange_account(values: dict) -> exchange.ExchangeAccount:
    return exchange.ExchangeAccount(
        ews_url=values["ews_url"], server_version=values["server_version"], delegated_user=values["delegated_user"],
        password=values["linked_password"], use_impersonation=values["use_impersonation"],
        test_user=values["test_user"], use_oauth=values["use_oauth"], tenant_id=values["tenant_id"],
        client_id=values["client_id"], client_secret=values["client_secret"], authority_url=values["authority_url"],
    )


async def _exchange(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.EXCHANGE)
    if not values.get("ews_url"):
        return _refused("exchange", "No 'EWS service URL' is saved.")
    return await exchange.test_connection(_exchange_account(values), client, cache=TokenCache(), on_step=on_step)


async def _graph(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.EXCHANGE)
    missing = _missing(values, {"tenant_id": "Tenant ID", "client_id": "Client ID", "client_secret": "Client Secret"})
    if missing:
        return _refused("graph", f"Microsoft Graph needs {', '.join(missing)}.")
    account = graph.GraphAccount(values["tenant_id"], values["client_id"], values["client_secret"], values["test_user"],
                                 graph_url=values["graph_url"], authority_url=values["authority_url"])
    return await graph.test_connection(account, client, cache=TokenCache(), on_step=on_step)


async def _universign(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.UNIVERSIGN)
    if not values.get("url"):
        return _refused("universign", "No 'Universign URL' is saved.")
    account = universign.UniversignAccount(values["url"], values["universign_user"], values["universign_password"])
    return await universign.test_connection(account, client, on_step=on_step)


async def _akuiteo_connect(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.AKUITEO_CONNECT)
    missing = _missing(values, {"bridge_client_id": "Bridge client ID", "bridge_client_secret": "Bridge client secret"})
    if missing:
        return _refused("akuiteo_connect", f"Not saved yet: {', '.join(missing)}.")
    account = bridge.BridgeAccount(values["bridge_url"], values["bridge_version"] or bridge.DEFAULT_VERSION,
                                   values["bridge_client_id"], values["bridge_client_secret"])
    return await bridge.test_connection(account, client, on_step=on_step)


async def _gmail(editor, company, client, on_step) -> TestResult:
    values = editor.values(schema.GMAIL)
    missing = _missing(values, {"credential_key_path": "Gmail credential key location", "send_as": "Send as"})
    if missing:
        return _refused("gmail", f"Not saved yet: {', '.join(missing)}.")
    return await gmail.test_connection(gmail.GmailAccount(values["credential_key_path"], values["send_as"]), client,
                                       on_step=on_step)


def _google(key_field: str, label: str, test):
    async def run(editor, company, client, on_step) -> TestResult:
        values = editor.values(schema.GOOGLE_API)
        name = "place_autocomplete" if key_field == "place_autocomplete_key" else "distance_matrix"
        if not values.get(key_field):
            return _refused(name, f"No '{label}' is saved.")
        account = google_maps.GoogleMapsAccount.from_settings(values, values[key_field])
        return await test(account, client, on_step=on_step)
    return run


TARGETS: dict[str, TestTarget] = {t.name: t for t in (
    TestTarget("chorus", "chorus", "CHORUS PRO (PISTE)", uses_company=True),
    TestTarget("exchange", "exchange", "Exchange (EWS)"),
    TestTarget("graph", "exchange", "Microsoft Graph"),
    TestTarget("universign", "universign", "Universign"),
    TestTarget("akuiteo_connect", "akuiteo_connect", "Akuiteo Connect (Bridge)"),
    TestTarget("gmail", "gmail", "Gmail"),
    TestTarget("place_autocomplete", "google_api", "Place Autocomplete"),
    TestTarget("distance_matrix", "google_api", "Distance Matrix"),
    TestTarget("ocr", "ocr", "Mindee OCR"),
    TestTarget("sirene", "sirene", "INSEE Sirene"),
)}

RUNNERS: dict[str, Runner] = {
    "chorus": _chorus, "exchange": _exchange, "graph": _graph, "universign": _universign,
    "akuiteo_connect": _akuiteo_connect, "gmail": _gmail,
    "place_autocomplete": _google("place_autocomplete_key", "Place Autocomplete API Key", google_maps.test_place_autocomplete),
    "distance_matrix": _google("distance_matrix_key", "Distance Matrix API Key", google_maps.test_distance_matrix),
    "ocr": _ocr, "sirene": _sirene,
}

PANEL_TITLES: dict[str, str] = {
    "chorus": "CHORUS PRO (PISTE)", "exchange": "Exchange / Microsoft Graph", "universign": "Universign",
    "akuiteo_connect": "Akuiteo Connect (Bridge)", "gmail": "Gmail", "google_api": "Google APIs",
    "ocr": "Mindee OCR", "sirene": "INSEE Sirene",
}


def section_targets(section_id: str, editor: SettingsEditor) -> list[str]:
    """The Tests a section's Test button runs, given what is switched on there."""
    if section_id == "exchange":
        values = editor.values(schema.EXCHANGE)
        names = (["exchange"] if values.get("ews_url") or not values.get("use_graph") else [])
        return names + (["graph"] if values.get("use_graph") else [])
    if section_id == "google_api":
        values = editor.values(schema.GOOGLE_API)
        names = [n for n, key in (("place_autocomplete", "place_autocomplete_key"),
                                  ("distance_matrix", "distance_matrix_key")) if values.get(key)]
        return names or ["place_autocomplete", "distance_matrix"]
    return [name for name, target in TARGETS.items() if target.section_id == section_id]


def trusted_certificates(editor: SettingsEditor) -> list[str]:
    """PEM texts of the certificates imported into the config."""
    return [str(record.get("pem", "")) for record in (editor.config.plain().get("certificates") or {}).values()
            if isinstance(record, dict) and record.get("pem")]


def is_configuration_error(result: TestResult) -> bool:
    """True when the Test could not start because of the saved settings, not because of the service."""
    failed = result.failed_step
    return failed is not None and failed.name.endswith(CONFIGURATION_STEP)


async def run_test(name: str, editor: SettingsEditor, *, company: str | None = None,
                   client: httpx.AsyncClient | None = None, on_step: StepListener | None = None) -> TestResult:
    """Run the Test `name` with the settings as saved; never raises, whatever a service answers."""
    runner = RUNNERS[name]
    try:
        if client is not None:
            return await runner(editor, company, client, on_step)
        async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
            return await runner(editor, company, own, on_step)
    except Exception as error:  # noqa: BLE001 - a Test reports, it never takes the console down
        # Only the kind of error is shown: its text could quote a value that was being sent.
        result = TestResult(name)
        Probe(result).failed("Unexpected answer", f"The answer could not be understood ({type(error).__name__}); "
                                                   "the service may have changed its API.")
        return result


async def run_section_test(section_id: str, editor: SettingsEditor, *, company: str | None = None,
                           on_step: StepListener | None = None) -> TestResult:
    """What a section's Test button runs: one Test, or several merged with their titles on each step."""
    names = section_targets(section_id, editor)
    if len(names) == 1:
        return await run_test(names[0], editor, company=company, on_step=on_step)
    merged = TestResult(section_id, " + ".join(TARGETS[n].title for n in names))

    def titled(name: str, step: Step) -> Step:
        return dataclasses.replace(step, name=f"{TARGETS[name].title}: {step.name}")

    async with make_client(extra_ca_pems=trusted_certificates(editor)) as client:
        for name in names:
            listener = (lambda step, n=name: on_step(titled(n, step))) if on_step else None
            result = await run_test(name, editor, company=company, client=client, on_step=listener)
            merged.steps.extend(titled(name, step) for step in result.steps)
    return merged


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
    account = sirene.SireneAccount(values["url"], values["token"])
    try:
        found = await sirene.lookup(account, client, inputs[0])
    except sirene.LookupFailed as error:
        raise TryFailed(Probe(TestResult("sirene"), [account.token]).redact(str(error))) from None
    state = "" if found.active else "  (closed)"
    return f"{found.name}{state}\n{found.address or 'address: look up a SIRET for the establishment address'}"


async def _try_receipt(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    values = editor.values(schema.OCR)
    if not (values.get("mindee_rest_url") and values.get("mindee_token")):
        raise TryFailed("Save the Mindee rest url and token first.")
    path = Path(inputs[0].strip())
    try:
        data = await read_limited_async(path, RECEIPT_LIMIT, "a receipt")
    except UnreadableFile as error:
        raise TryFailed(str(error)) from None
    try:
        reading = await mindee.read_receipt(mindee.MindeeAccount(values["mindee_rest_url"], values["mindee_token"]),
                                            client, data, path.name)
    except mindee.MindeeError as error:
        raise TryFailed(str(error)) from None
    return reading.summary()


async def _try_distance(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    values = editor.values(schema.GOOGLE_API)
    places = google_maps.GoogleMapsAccount.from_settings(values, values.get("place_autocomplete_key"))
    matrix = google_maps.GoogleMapsAccount.from_settings(values, values.get("distance_matrix_key"))
    if not (places.key and matrix.key):
        raise TryFailed("Save both API keys first.")
    try:
        lines = []
        for text in inputs:
            suggestions = await google_maps.suggest(places, client, text)
            lines.append(f"{text!r}: " + ("; ".join(suggestions[:3]) if suggestions else "no suggestion"))
        km = await google_maps.distance_km(matrix, client, inputs[0], inputs[1])
    except google_maps.GoogleMapsError as error:
        raise TryFailed(str(error)) from None
    return "\n".join(lines + [f"Distance: {km:.1f} km"])


TRY_ITS: dict[str, TryIt] = {
    "sirene": TryIt("Try it: fill in a customer from its SIRET or SIREN", ("SIRET or SIREN",), _try_sirene),
    "ocr": TryIt("Try it: read a receipt (a JPEG, PNG or PDF file on this host)", ("path of a receipt file",),
                 _try_receipt),
    "google_api": TryIt("Try it: two addresses, their suggestions and the distance",
                        ("departure address", "arrival address"), _try_distance),
}


async def run_try(section_id: str, editor: SettingsEditor, inputs: list[str],
                  client: httpx.AsyncClient | None = None) -> str:
    """Run a section's "try it" with the saved settings; raises TryFailed with the reason."""
    try_it = TRY_ITS[section_id]
    if client is not None:
        return await try_it.run(editor, inputs, client)
    async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
        return await try_it.run(editor, inputs, own)
