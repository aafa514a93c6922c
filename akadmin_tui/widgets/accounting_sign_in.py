"""The sign-ins of Accounting packages: OAuth with a pasted code, and picking one of the listed administrations."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from textual.app import App

from ..connectors.accounting import connector_for, list_administrations, sign_in
from ..connectors.accounting.base import ServiceRefused
from ..dialogs.accounting import AuthoriseScreen, PickAdministrationScreen
from ..settings import schema
from ..settings.accounting import FIELDS, Integration
from ..settings.editor import SettingsEditor

SECTION = schema.ACCOUNTING
CALL_FAILED = "{service} could not be reached ({kind}): check the address and the network, then try again."
# What a sign-in needs saved before the admin is sent to the service.
APP_CREDENTIALS = (("client_id", "Client ID"), ("client_secret", "Client secret"))

RunWorker = Callable[..., object]
Save = Callable[[str, dict[str, Any]], bool]


class AccountingSignIn:
    """The `a` key of the Accounting packages view: sign in to the service, or pick an administration.

    It is given the app (dialogs, notifications), the settings, how to run a worker (the view's, so the work ends
    with it) and `save`, which writes values the console obtained and says whether they were saved. The workers
    run on the UI's event loop, so they show their outcome themselves.
    """

    def __init__(self, app: App, editor: SettingsEditor, run_worker: RunWorker, save: Save) -> None:
        self.app = app
        self.editor = editor
        self.run_worker = run_worker
        self.save = save

    def _saved_as(self, integration: Integration, saved: Mapping[str, Any]) -> bool:
        """True when the configuration is saved with `integration`; says what to do otherwise."""
        if saved.get("integration") != integration.name:
            self.app.notify(f"Save the configuration with {integration.label} first (F2).", title="Not yet",
                            severity="error")
            return False
        return True

    def _missing(self, saved: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> bool:
        missing = [label for key, label in fields if not saved.get(key)]
        if missing:
            self.app.notify(f"Save the {' and '.join(missing)} first.", title="Not yet", severity="error")
        return bool(missing)

    def _run(self, work: Coroutine[Any, Any, None], group: str) -> None:
        self.run_worker(work, exclusive=True, group=group, exit_on_error=False)

    # --- OAuth ---------------------------------------------------------------------------------

    def authorise(self, name: str, integration: Integration, saved: Mapping[str, Any]) -> None:
        """Show where to sign in, then trade the pasted code for a refresh token kept with configuration `name`."""
        connector = connector_for(integration)
        if connector is None or not connector.signs_in or not self._saved_as(integration, saved):
            return
        if self._missing(saved, APP_CREDENTIALS):
            return
        # A service that sends the state back with the code has a pasted address of another request refused.
        state = secrets.token_urlsafe(12)
        url = connector.authorise_url(saved, state)
        self.app.push_screen(AuthoriseScreen(integration.label, url, connector.paste_prompt),
                             lambda code: self._run(self._exchange(name, integration, code, state),
                                                    "accounting-sign-in") if code else None)

    async def _exchange(self, name: str, integration: Integration, pasted: str, state: str) -> None:
        label = integration.label
        try:
            tokens = await sign_in(self.editor, self.editor.values(SECTION, name), pasted, state)
        except ServiceRefused as error:
            self.app.notify(str(error), title="Not authorised", severity="error")
            return
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote the code or the secret
            self.app.notify(CALL_FAILED.format(service=label, kind=type(error).__name__), title="Not authorised",
                            severity="error")
            return
        token = str(tokens.get("refresh_token") or "")
        if not token:
            self.app.notify(f"{label} sent no refresh token.", title="Not authorised", severity="error")
        elif self.save(name, {"refresh_token": token}):
            self.app.notify(f"{name} authorised: the refresh token is kept, encrypted. Tick the Terms and Connect "
                            "(F5).", timeout=5)

    # --- Administrations -----------------------------------------------------------------------

    def administrations(self, name: str, integration: Integration, saved: Mapping[str, Any]) -> None:
        """Ask the service for the administrations, then save the one picked as configuration `name`'s."""
        connector = connector_for(integration)
        if connector is None or not connector.lists_administrations or not self._saved_as(integration, saved):
            return
        if self._missing(saved, tuple((key, FIELDS[key].label) for key in integration.required)):
            return
        self.app.notify(f"Asking {integration.label} for the administrations…", timeout=2)
        self._run(self._list(name, integration), "accounting-listing")

    async def _list(self, name: str, integration: Integration) -> None:
        label = integration.label
        values = self.editor.values(SECTION, name)
        try:
            listed = await list_administrations(self.editor, values)
        except ServiceRefused as error:
            self.app.notify(str(error), title="No administration", severity="error")
            return
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote the API key
            self.app.notify(CALL_FAILED.format(service=label, kind=type(error).__name__), title="No administration",
                            severity="error")
            return
        if not listed:
            self.app.notify("The API key reaches no administration.", title="No administration", severity="error")
            return
        current = str(values.get("administration") or "")
        names = dict(listed)
        self.app.push_screen(PickAdministrationScreen(label, listed, current),
                             lambda picked: self._pick(name, picked, names) if picked else None)

    def _pick(self, name: str, picked: str, names: dict[str, str]) -> None:
        if self.save(name, {"administration": picked}):
            self.app.notify(f"{name} delivers to {names.get(picked, picked)} ({picked}).", timeout=3)
