"""The Accounting packages view's sign-ins: OAuth for Exact Online and Dropbox, the administrations of Yuki."""

from __future__ import annotations

import importlib
import secrets
from types import ModuleType
from typing import Any

from textual import work

from ..connectors.http import make_client
from ..connectors.registry import trusted_certificates
from ..settings import schema
from ..settings.accounting import INTEGRATIONS
from .accounting_dialogs import AuthoriseScreen, PickAdministrationScreen
from .accounting_form import OAUTH

SECTION = schema.ACCOUNTING
# Where each sign-in flow sends the admin back, and what to paste from there.
PASTE = {"exact_online": "Paste the whole address Exact Online sends you to (or just its code=… value):",
         "dropbox": "Paste the code Dropbox shows after you allow akadmin:"}
CALL_FAILED = "{service} could not be reached ({kind}): check the address and the network, then try again."


def service(integration: str) -> ModuleType | None:
    """The connector module of an integration with a sign-in or a listing; None if this build lacks it."""
    try:
        return importlib.import_module(f"akadmin_tui.connectors.{integration}")
    except ImportError:
        return None


class AccountingSignIn:
    """Actions of the view (`a`): they use its editor, its shown configuration and its `_write`.

    The workers run on the UI's event loop, so they show their outcome themselves.
    """

    def _saved_for(self, integration: str) -> dict[str, Any] | None:
        """The saved values of the shown configuration when its saved integration is `integration`."""
        name = self._current
        values = self.editor.values(SECTION, name) if name is not None and name not in self._drafts else {}
        if values.get("integration") != integration:
            self.app.notify(f"Save the configuration with {INTEGRATIONS[integration].label} first (F2).",
                            title="Not yet", severity="error")
            return None
        return values

    # --- OAuth (Exact Online, Dropbox) -----------------------------------------------------------

    def action_authorise(self) -> None:
        form, name = self.form, self._current
        integration = form.integration.name if form is not None and form.integration else ""
        values = self._saved_for(integration) if integration in OAUTH else None
        if values is None or name is None:
            return
        module = service(integration)
        if module is None:
            self.app.notify("This build cannot sign in to this service.", title="Not available", severity="error")
            return
        missing = [label for key, label in (("client_id", "Client ID"), ("client_secret", "Client secret"))
                   if not values.get(key)]
        if missing:
            self.app.notify(f"Save the {' and '.join(missing)} first.", title="Not yet", severity="error")
            return
        # Exact Online sends the state back in the address: a pasted address from another request is refused.
        state = secrets.token_urlsafe(12)
        if integration == "exact_online":
            url = module.authorization_url(values, state)
        else:
            url = module.authorization_url(values)
        self.app.push_screen(AuthoriseScreen(INTEGRATIONS[integration].label, url, PASTE[integration]),
                             lambda code: self._exchange(name, integration, code, state) if code else None)

    @work(exclusive=True, group="accounting-sign-in", exit_on_error=False)
    async def _exchange(self, name: str, integration: str, pasted: str, state: str) -> None:
        module, label = service(integration), INTEGRATIONS[integration].label
        values = self.editor.values(SECTION, name)
        known = tuple(e for e in (getattr(module, "ExactError", None), getattr(module, "DropboxError", None)) if e)
        try:
            code = module.code_from(pasted, state) if integration == "exact_online" else pasted
            async with make_client(extra_ca_pems=trusted_certificates(self.editor)) as client:
                tokens = await module.exchange_code(values, code, client)
        except known as error:
            self.app.notify(str(error), title="Not authorised", severity="error")
            return
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote the code or the secret
            self.app.notify(CALL_FAILED.format(service=label, kind=type(error).__name__), title="Not authorised",
                            severity="error")
            return
        token = str(tokens.get("refresh_token") or "")
        if not token:
            self.app.notify(f"{label} sent no refresh token.", title="Not authorised", severity="error")
        elif self._write(name, {"refresh_token": token}):
            self._results.pop(name, None)
            self.app.notify(f"{name} authorised: the refresh token is kept, encrypted. Tick the Terms and Connect "
                            "(F5).", timeout=5)

    # --- Yuki administrations ------------------------------------------------------------------

    def action_administrations(self) -> None:
        name = self._current
        values = self._saved_for("yuki")
        if values is None or name is None:
            return
        if not values.get("api_key"):
            self.app.notify("Save the API key first.", title="Not yet", severity="error")
            return
        self.app.notify("Asking Yuki for the administrations…", timeout=2)
        self._list_administrations(name)

    @work(exclusive=True, group="accounting-listing", exit_on_error=False)
    async def _list_administrations(self, name: str) -> None:
        module = service("yuki")
        values = self.editor.values(SECTION, name)
        try:
            async with make_client(extra_ca_pems=trusted_certificates(self.editor)) as client:
                listed = [(str(i), str(n)) for i, n in await module.administrations(values, client)]
        except getattr(module, "YukiError", ()) as error:
            self.app.notify(str(error), title="No administration", severity="error")
            return
        except Exception as error:  # noqa: BLE001 - only the kind: the text could quote the API key
            self.app.notify(CALL_FAILED.format(service="Yuki", kind=type(error).__name__), title="No administration",
                            severity="error")
            return
        if not listed:
            self.app.notify("The API key reaches no administration.", title="No administration", severity="error")
            return
        current = str(values.get("administration") or "")
        names = dict(listed)
        self.app.push_screen(PickAdministrationScreen("Yuki", listed, current),
                             lambda picked: self._pick(name, picked, names) if picked else None)

    def _pick(self, name: str, picked: str, names: dict[str, str]) -> None:
        if self._write(name, {"administration": picked}):
            self.app.notify(f"{name} delivers to {names.get(picked, picked)} ({picked}).", timeout=3)
