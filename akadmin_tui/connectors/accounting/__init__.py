"""Accounting packages: the connectors (one module per integration with an API, each defining CONNECTOR) and Connect.

A module of this package that defines `CONNECTOR` is found on its own: adding an integration is its entry in
settings/accounting.py INTEGRATIONS plus, when akadmin can call it or deliver to it, one module here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

import httpx

from ...settings import schema
from ...settings.accounting import FIELDS, INTEGRATIONS, Integration, integration_problems
from ...settings.editor import SettingsEditor, trusted_certificates
from ..http import make_client
from ..probe import Probe, StepListener
from ..result import TestResult
from .base import AccountingConnector

TERMS_STEP, FIELDS_STEP, CONNECTION_STEP = "Terms of service", "Fields", "Connection"


@functools.cache
def _discovered(path: tuple[str, ...]) -> tuple[dict[str, AccountingConnector], dict[str, str]]:
    """The connectors of the modules in `path` by integration, and the modules that failed to load (their error)."""
    found: dict[str, AccountingConnector] = {}
    broken: dict[str, str] = {}
    for module in pkgutil.iter_modules(list(path)):
        try:
            loaded = importlib.import_module(f"{__name__}.{module.name}")
        except ImportError as error:
            broken[module.name] = type(error).__name__
            continue
        connector = getattr(loaded, "CONNECTOR", None)
        if isinstance(connector, AccountingConnector):
            found[connector.name] = connector
    return found, broken


def connectors() -> dict[str, AccountingConnector]:
    """Every connector of the package, by integration."""
    return _discovered(tuple(__path__))[0]


def connector_for(integration: Integration | str | None) -> AccountingConnector | None:
    """The connector of an integration (or its id); None for one without an API or a delivery."""
    name = integration.name if isinstance(integration, Integration) else str(integration or "")
    return connectors().get(name)


def load_error(integration: str) -> str | None:
    """The error that kept the module of an integration from loading, if one did."""
    return _discovered(tuple(__path__))[1].get(integration)


def client_for(editor: SettingsEditor) -> httpx.AsyncClient:
    """An HTTP client trusting the certificates imported into the config."""
    return make_client(extra_ca_pems=trusted_certificates(editor))


async def connect(editor: SettingsEditor, name: str, *, client: httpx.AsyncClient | None = None,
                  on_step: StepListener | None = None) -> TestResult:
    """What Connect (F5) does for configuration `name`, with the saved values; never raises."""
    values = editor.values(schema.ACCOUNTING, name)
    integration = INTEGRATIONS.get(str(values.get("integration") or ""))
    result = TestResult("accounting", f"{name} ({integration.label if integration else 'unknown integration'})")
    probe = Probe(result, on_step=on_step)
    if values.get("terms_accepted") is not True:
        probe.failed(TERMS_STEP, "Connect is refused until 'I accept the Terms of service' is ticked and saved.")
        return result
    problems = integration_problems(values)
    if integration is None or problems:
        probe.failed(FIELDS_STEP, "; ".join(p.message for p in problems) or "Pick an integration.")
        return result
    shown = [FIELDS[key].label for key in integration.fields if values.get(key) not in (None, "")]
    probe.passed(FIELDS_STEP, f"{integration.label}: " + (", ".join(shown) if shown else "no field to fill"))
    connector = connector_for(integration)
    failure = load_error(integration.name)
    if connector is None and failure:
        probe.failed(CONNECTION_STEP, f"The {integration.label} check cannot be loaded ({failure}): reinstall akadmin.")
        return result
    if connector is None or not connector.can_connect:
        probe.skipped(CONNECTION_STEP, f"{integration.label} has no public API akadmin can call: the connection is "
                                       "checked on the first delivery.")
        return result
    try:
        if client is not None:
            checked = await connector.connect(editor, name, values, client, on_step)
        else:
            async with client_for(editor) as own:
                checked = await connector.connect(editor, name, values, own, on_step)
    except Exception as error:  # noqa: BLE001 - Connect reports, it never takes the console down
        probe.failed(CONNECTION_STEP, f"The answer could not be understood ({type(error).__name__}); the service may "
                                      "have changed its API.")
        return result
    result.steps += checked.steps
    result.offer.update(checked.offer)
    return result


def _connector(values: Mapping[str, Any]) -> AccountingConnector:
    connector = connector_for(str(values.get("integration") or ""))
    if connector is None:
        raise LookupError(f"no connector for {values.get('integration')!r}")
    return connector


async def sign_in(editor: SettingsEditor, values: Mapping[str, Any], pasted: str,
                  state: str | None = None) -> dict[str, Any]:
    """Trade what the admin pasted after signing in for tokens (ServiceRefused in words); nothing is saved here."""
    connector = _connector(values)
    code = connector.code_from(pasted, state)
    async with client_for(editor) as client:
        return await connector.exchange_code(values, code, client)


async def list_administrations(editor: SettingsEditor, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (id, name) of the administrations a configuration's saved credentials reach (ServiceRefused in words)."""
    connector = _connector(values)
    async with client_for(editor) as client:
        return [(str(ident), str(label)) for ident, label in await connector.administrations(values, client)]
