"""Connect for an accounting package configuration: the Terms, the fields, then the integration's own check."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

import httpx

from ..settings import schema
from ..settings.accounting import FIELDS, INTEGRATIONS, integration_problems
from ..settings.editor import SettingsEditor
from .http import make_client
from .probe import Probe, StepListener
from .registry import trusted_certificates
from .result import TestResult

TERMS_STEP, FIELDS_STEP, CONNECTION_STEP = "Terms of service", "Fields", "Connection"

# integration → "module:function"; each takes (editor, name, values, client, on_step) and returns a TestResult.
CHECKS: dict[str, str] = {
    "inqom": "akadmin_tui.connectors.inqom:connect",
    "sftp": "akadmin_tui.connectors.sftp:connect",
    "email": "akadmin_tui.connectors.mail:connect",
    "exact_online": "akadmin_tui.connectors.exact_online:connect",
    "yuki": "akadmin_tui.connectors.yuki:connect",
    "dropbox": "akadmin_tui.connectors.dropbox:connect",
}
Check = Callable[[SettingsEditor, str, dict, httpx.AsyncClient, "StepListener | None"], Awaitable[TestResult]]


def _check_for(integration: str) -> Check | None:
    target = CHECKS.get(integration)
    if target is None:
        return None
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


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
    try:
        check = _check_for(integration.name)
    except (ImportError, AttributeError) as error:
        probe.failed(CONNECTION_STEP, f"The {integration.label} check cannot be loaded ({type(error).__name__}): "
                                      "reinstall akadmin.")
        return result
    if check is None:
        probe.skipped(CONNECTION_STEP, f"{integration.label} has no public API akadmin can call: the connection is "
                                       "checked on the first delivery.")
        return result
    try:
        if client is not None:
            checked = await check(editor, name, values, client, on_step)
        else:
            async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
                checked = await check(editor, name, values, own, on_step)
    except Exception as error:  # noqa: BLE001 - Connect reports, it never takes the console down
        probe.failed(CONNECTION_STEP, f"The answer could not be understood ({type(error).__name__}); the service may "
                                      "have changed its API.")
        return result
    result.steps += checked.steps
    result.offer.update(checked.offer)
    return result
