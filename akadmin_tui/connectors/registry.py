"""The Tests akadmin runs: one table from which the CLI, the console's Test buttons and the README are made."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr

import httpx

from ..settings import schema
from ..settings.editor import SettingsEditor, trusted_certificates
from ..settings.fields import Section
from ..settings.resolve import resolve_chorus
from . import bridge, bridge_api, chorus, exchange, gmail, google_maps, graph, mail, mindee, sirene, universign
from .chorus_api import account_key
from .http import make_client
from .probe import Probe, StepListener
from .ratelimit import shared_limiter
from .result import Step, TestResult
from .tokens import TokenCache

CONFIGURATION_STEP = "Configuration"


@dataclass(frozen=True)
class TestInputs:
    """What the admin gives a Test besides the saved settings: `--company`, `--to`."""

    __test__ = False

    company: str | None = None  # for chorus: the company whose setup applies
    recipient: str | None = None  # for mail: where the test message goes (default: the Sender address)


# What runs a Test once its needed fields are saved: the section's values, the inputs, a client, a listener.
Runner = Callable[[SettingsEditor, Mapping, TestInputs, httpx.AsyncClient, "StepListener | None"],
                  Awaitable[TestResult]]


@dataclass(frozen=True)
class TestEntry:
    """One Test: its name for `akadmin test NAME`, the section whose Test button runs it, what it needs, what runs."""

    __test__ = False

    name: str
    section: Section
    title: str
    runner: Runner
    # Fields of the section that must be saved before the Test may call the service.
    needs: tuple[str, ...] = ()
    uses_company: bool = False
    uses_recipient: bool = False  # takes `--to ADDRESS`

    @property
    def section_id(self) -> str:
        """The id of the section whose Test button runs this Test."""
        return self.section.id

    def missing(self, values: Mapping) -> list[str]:
        """The labels (as the schema spells them) of the needed fields not saved yet."""
        return [f"'{self.section.field(key).label}'" for key in self.needs if not values.get(key)]


def refused(section: str, reason: str, target: str = "") -> TestResult:
    """A Test that could not start because of the saved settings; `reason` says what to fix."""
    result = TestResult(section, target)
    Probe(result).failed(CONFIGURATION_STEP, reason)
    return result


def chorus_account(editor: SettingsEditor, setup: str) -> chorus.ChorusAccount:
    """The CHORUS PRO account of one setup (***** or a company's), with the shared URLs."""
    base = editor.values(schema.CHORUS)
    values = editor.values(schema.CHORUS_SPECIAL, setup)
    return chorus.ChorusAccount(
        auth_url=base["auth_url"], url=base["url"], environment=base["environment"],
        client_id=values["piste_client_id"], client_secret=values["piste_secret"] or "",
        login=values["chorus_login"], password=values["chorus_password"] or "", setup=setup,
    )


CHORUS_SETUP_NEEDS = ("piste_client_id", "piste_secret", "chorus_login", "chorus_password")


async def _chorus(editor, values, inputs, client, on_step) -> TestResult:
    # Without a company, the Test checks what the connection uses: the setup of its Akuiteo company code.
    company = inputs.company or values.get("akuiteo_company_code") or None
    resolution = resolve_chorus(editor.config.plain(), company)
    if resolution.setup is None:
        return refused("chorus", f"No CHORUS PRO setup applies: {resolution.reason}.", company or "")
    setup = editor.values(schema.CHORUS_SPECIAL, resolution.setup)
    missing = [schema.CHORUS_SPECIAL.field(key).label for key in CHORUS_SETUP_NEEDS if not setup.get(key)]
    if missing:
        return refused("chorus", f"The {resolution.setup} setup lacks {', '.join(missing)}.", resolution.setup)
    account = chorus_account(editor, resolution.setup)
    limiter = shared_limiter(account_key(account), int(values["max_calls_per_second"]))
    result = await chorus.test_connection(account, client, cache=TokenCache(), on_step=on_step, limiter=limiter)
    if resolution.falls_back:
        result.steps.insert(0, Step("Setup", detail=f"Setup used: {resolution.reason}."))
    result.checked = resolution.setup
    return result


async def _sirene(editor, values, inputs, client, on_step) -> TestResult:
    return await sirene.test_connection(sirene.SireneAccount(values["url"], values["token"]), client, on_step=on_step)


async def _ocr(editor, values, inputs, client, on_step) -> TestResult:
    return await mindee.test_connection(mindee.MindeeAccount(values["mindee_rest_url"], values["mindee_token"]),
                                        client, on_step=on_step)


def _exchange_account(values: Mapping) -> exchange.ExchangeAccount:
    return exchange.ExchangeAccount(
        ews_url=values["ews_url"], server_version=values["server_version"], delegated_user=values["delegated_user"],
        password=values["linked_password"], use_impersonation=values["use_impersonation"],
        test_user=values["test_user"], use_oauth=values["use_oauth"], tenant_id=values["tenant_id"],
        client_id=values["client_id"], client_secret=values["client_secret"], authority_url=values["authority_url"],
    )


async def _exchange(editor, values, inputs, client, on_step) -> TestResult:
    return await exchange.test_connection(_exchange_account(values), client, cache=TokenCache(), on_step=on_step)


async def _graph(editor, values, inputs, client, on_step) -> TestResult:
    account = graph.GraphAccount(values["tenant_id"], values["client_id"], values["client_secret"], values["test_user"],
                                 graph_url=values["graph_url"], authority_url=values["authority_url"])
    return await graph.test_connection(account, client, cache=TokenCache(), on_step=on_step)


async def _universign(editor, values, inputs, client, on_step) -> TestResult:
    account = universign.UniversignAccount(values["url"], values["universign_user"], values["universign_password"])
    return await universign.test_connection(account, client, on_step=on_step)


async def _akuiteo_connect(editor, values, inputs, client, on_step) -> TestResult:
    account = bridge.BridgeAccount(values["bridge_url"], values["bridge_version"] or bridge.DEFAULT_VERSION,
                                   values["bridge_client_id"], values["bridge_client_secret"])
    return await bridge.test_connection(account, client, on_step=on_step)


async def _bridge_user(editor, values, inputs, client, on_step) -> TestResult:
    connect = editor.values(schema.AKUITEO_CONNECT)
    missing = [schema.AKUITEO_CONNECT.field(key).label for key in ("bridge_client_id", "bridge_client_secret")
               if not connect.get(key)]
    if missing:
        where = " > ".join(schema.AKUITEO_CONNECT.menu)
        return refused(bridge_api.USER_TEST, f"Not saved yet in {where}: {', '.join(missing)} (the Bridge "
                                             "application's credentials, which every call to Bridge sends).")
    account = bridge.BridgeAccount(connect["bridge_url"], connect["bridge_version"] or bridge.DEFAULT_VERSION,
                                   connect["bridge_client_id"], connect["bridge_client_secret"])
    return await bridge_api.test_user(account, str(values["email"]), client, password=values.get("password") or "",
                                      on_step=on_step)


async def _mail(editor, values, inputs, client, on_step) -> TestResult:
    # The console has no field for it: the test message goes to the Sender address unless `--to` says otherwise.
    recipient = (inputs.recipient or "").strip() or str(values["from_address"]).strip()
    if "@" not in parseaddr(recipient)[1] or any(c in recipient for c in "\r\n"):
        return refused(mail.MAIL_TEST, f"{recipient!r} is not an e-mail address: the test message needs one to go to.")
    return await mail.test_server(editor, recipient, on_step=on_step)


async def _gmail(editor, values, inputs, client, on_step) -> TestResult:
    return await gmail.test_connection(gmail.GmailAccount(values["credential_key_path"], values["send_as"]), client,
                                       on_step=on_step)


async def _place_autocomplete(editor, values, inputs, client, on_step) -> TestResult:
    account = google_maps.GoogleMapsAccount.from_settings(values, values["place_autocomplete_key"])
    return await google_maps.test_place_autocomplete(account, client, on_step=on_step)


async def _distance_matrix(editor, values, inputs, client, on_step) -> TestResult:
    account = google_maps.GoogleMapsAccount.from_settings(values, values["distance_matrix_key"])
    return await google_maps.test_distance_matrix(account, client, on_step=on_step)


TESTS: tuple[TestEntry, ...] = (
    TestEntry("chorus", schema.CHORUS, "CHORUS PRO (PISTE)", _chorus, uses_company=True),
    TestEntry("exchange", schema.EXCHANGE, "Exchange (EWS)", _exchange, needs=("ews_url",)),
    TestEntry("graph", schema.EXCHANGE, "Microsoft Graph", _graph, needs=("tenant_id", "client_id", "client_secret")),
    TestEntry("universign", schema.UNIVERSIGN, "Universign", _universign, needs=("url",)),
    TestEntry("akuiteo_connect", schema.AKUITEO_CONNECT, "Akuiteo Connect (Bridge)", _akuiteo_connect,
              needs=("bridge_client_id", "bridge_client_secret")),
    TestEntry("gmail", schema.GMAIL, "Gmail", _gmail, needs=("credential_key_path", "send_as")),
    TestEntry("place_autocomplete", schema.GOOGLE_API, "Place Autocomplete", _place_autocomplete,
              needs=("place_autocomplete_key",)),
    TestEntry("distance_matrix", schema.GOOGLE_API, "Distance Matrix", _distance_matrix, needs=("distance_matrix_key",)),
    TestEntry("ocr", schema.OCR, "Mindee OCR", _ocr, needs=("mindee_rest_url", "mindee_token")),
    TestEntry("sirene", schema.SIRENE, "INSEE Sirene", _sirene, needs=("token",)),
    TestEntry(bridge_api.USER_TEST, schema.BRIDGE_USER, "Bridge user", _bridge_user, needs=("email",)),
    TestEntry(mail.MAIL_TEST, schema.MAIL, "Mail server", _mail, needs=("smtp_host", "from_address"),
              uses_recipient=True),
)
TEST_NAMES: dict[str, TestEntry] = {entry.name: entry for entry in TESTS}


def tests_of(section_id: str) -> list[TestEntry]:
    """Every Test of a section, in table order."""
    return [entry for entry in TESTS if entry.section_id == section_id]


def tested_sections() -> list[str]:
    """The ids of the sections that have a Test button, in table order."""
    return list(dict.fromkeys(entry.section_id for entry in TESTS))


def section_test_title(section_id: str) -> str | None:
    """The title of a section's Test panel: its Tests' titles; None when the section has no Test."""
    titles = [entry.title for entry in tests_of(section_id)]
    return " / ".join(titles) if titles else None


def section_targets(section_id: str, editor: SettingsEditor) -> list[str]:
    """The Tests a section's Test button runs, given what is switched on there."""
    if section_id == schema.EXCHANGE.id:
        values = editor.values(schema.EXCHANGE)
        names = (["exchange"] if values.get("ews_url") or not values.get("use_graph") else [])
        return names + (["graph"] if values.get("use_graph") else [])
    entries = tests_of(section_id)
    if len(entries) > 1:
        # Several Tests behind one button (the Google keys): those whose key is saved, else all of them.
        values = editor.values(entries[0].section)
        return [e.name for e in entries if not e.missing(values)] or [e.name for e in entries]
    return [e.name for e in entries]


def is_configuration_error(result: TestResult) -> bool:
    """True when the Test could not start because of the saved settings, not because of the service."""
    failed = result.failed_step
    return failed is not None and failed.name.endswith(CONFIGURATION_STEP)


async def _run(entry: TestEntry, editor: SettingsEditor, inputs: TestInputs, client: httpx.AsyncClient,
               on_step: StepListener | None) -> TestResult:
    values = editor.values(entry.section)
    missing = entry.missing(values)
    if missing:
        return refused(entry.name, f"Not saved yet: {', '.join(missing)}.")
    return await entry.runner(editor, values, inputs, client, on_step)


async def run_test(name: str, editor: SettingsEditor, *, company: str | None = None, recipient: str | None = None,
                   client: httpx.AsyncClient | None = None, on_step: StepListener | None = None) -> TestResult:
    """Run the Test `name` with the settings as saved; never raises, whatever a service answers.

    `company` is for the CHORUS Test, `recipient` for the Mail server's (where its test message goes).
    """
    entry = TEST_NAMES[name]
    inputs = TestInputs(company, recipient)
    try:
        if client is not None:
            return await _run(entry, editor, inputs, client, on_step)
        async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
            return await _run(entry, editor, inputs, own, on_step)
    except Exception as error:  # noqa: BLE001 - a Test reports, it never takes the console down
        # Only the kind of error is shown: its text could quote a value that was being sent.
        result = TestResult(name)
        Probe(result).failed("Unexpected answer", f"The answer could not be understood ({type(error).__name__}); "
                                                   "the service may have changed its API.")
        return result


async def run_section_test(section_id: str, editor: SettingsEditor, *, company: str | None = None,
                           recipient: str | None = None, on_step: StepListener | None = None) -> TestResult:
    """What a section's Test button runs: one Test, or several merged with their titles on each step."""
    names = section_targets(section_id, editor)
    if len(names) == 1:
        return await run_test(names[0], editor, company=company, recipient=recipient, on_step=on_step)
    merged = TestResult(section_id, " + ".join(TEST_NAMES[n].title for n in names))

    def titled(name: str, step: Step) -> Step:
        return dataclasses.replace(step, name=f"{TEST_NAMES[name].title}: {step.name}")

    async with make_client(extra_ca_pems=trusted_certificates(editor)) as client:
        for name in names:
            listener = (lambda step, n=name: on_step(titled(n, step))) if on_step else None
            result = await run_test(name, editor, company=company, recipient=recipient, client=client,
                                    on_step=listener)
            merged.steps.extend(titled(name, step) for step in result.steps)
    return merged


def tests_reference() -> str:
    """The Markdown table of every Test, as the README shows it."""
    lines = ["| `akadmin test NAME` | Section | Needs saved | Options |", "|---|---|---|---|"]
    for entry in TESTS:
        needs = ", ".join(entry.section.field(key).label for key in entry.needs) or "the company's CHORUS setup"
        if entry.section is schema.BRIDGE_USER:
            needs += " (and Akuiteo Connect's Bridge client ID, Bridge client secret)"
        menu = " > ".join(entry.section.menu)
        options = " ".join(option for option, used in (("`--company CODE`", entry.uses_company),
                                                      ("`--to ADDRESS`", entry.uses_recipient)) if used)
        lines.append(f"| `{entry.name}` | {menu} | {needs} | {options} |")
    return "\n".join(lines)

