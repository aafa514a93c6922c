"""Third-party interfaces > Accounting packages (seeds 003, 004): the configurations, the chosen one's form, Connect."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, ContentSwitcher, DataTable, Static

from ..connectors.accounting import connect
from ..connectors.result import Outcome, Step, TestResult
from ..dialogs.accounting import NewConfigurationScreen
from ..dialogs.confirm import ConfirmScreen
from ..settings import schema
from ..settings.accounting import INTEGRATIONS
from ..settings.editor import ChangeRefused
from ..settings.store import SaveError
from ..settings.vault import VaultError
from ..widgets.accounting_form import AccountingForm, integration_of
from ..widgets.accounting_sign_in import AccountingSignIn
from ..widgets.connect_panel import ConnectPanel
from ..widgets.record_form import RecordForm
from ..widgets.test_panel import TestPanel
from .filtered_record_view import FORM_ACTIONS, FilteredRecordView, form_bindings

SECTION = schema.ACCOUNTING
COLUMNS = (("Name", "name"), ("Document type", "document_type"), ("Integration", "integration"),
           ("Terms", "terms"), ("Last Connect", "verdict"))
SHORT_TYPES = {"invoices": "Invoices", "bank_statements": "Bank statements"}


def _mark(value: Any) -> str:
    return "✓" if value is True else "✗"


class AccountingView(FilteredRecordView, inherit_bindings=False):
    """A table of the configurations above the chosen one's form and its Connect panel."""

    TABLE_ID = "accounting-table"
    DETAIL_ID = "accounting-detail"
    FORM = AccountingForm

    BINDINGS = [
        *form_bindings("configuration"),
        Binding("ctrl+n", "new_record", "New", tooltip="New configuration: name, integration and document type first",
                id="akadmin.new"),
        Binding("f8", "delete_record", "Delete", tooltip="Delete the configuration (asks first; refused while "
                                                          "companies use it)", id="akadmin.delete"),
        Binding("f5", "connect", "Connect", tooltip="Check the connection with the saved values", id="akadmin.test"),
        # One key, two meanings: only the one fitting the chosen integration is enabled (and shown).
        Binding("a", "authorise", "Authorise", tooltip="Sign in to the service and keep its refresh token",
                id="akadmin.authorise"),
        Binding("a", "administrations", "Administrations", tooltip="List the Yuki administrations and pick one",
                id="akadmin.administrations"),
        Binding("k", "pin_host_key", "Pin host key", tooltip="Accept and pin the SFTP host key Connect showed",
                id="akadmin.pin-host-key"),
        Binding("escape", "cancel_or_back", "Back", show=False, id="akadmin.back"),
    ]

    def __init__(self, editor, section=SECTION, *, id: str | None = None) -> None:
        super().__init__(editor, section, id=id)
        self.test_title = "Connect"
        self._results: dict[str, TestResult] = {}  # the last Connect of each configuration, this session
        self._connecting: str | None = None
        self._live: list[Step] = []  # the steps of the running Connect so far

    def compose(self) -> ComposeResult:
        yield Static(" > ".join(SECTION.menu), classes="section-title")
        table = DataTable(id="accounting-table", cursor_type="row", classes="accounting-table")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        with VerticalScroll(classes="record-area", id="accounting-detail"):
            yield Static(SECTION.intro, classes="section-intro accounting-intro")
            yield Static("", id="empty-state", classes="empty-state")
            yield ContentSwitcher(id="forms")
            yield ConnectPanel(id="test-panel")
        yield Static("", id="field-help", classes="field-help")

    def on_mount(self) -> None:
        self.sign_in = AccountingSignIn(self.app, self.editor, self.run_worker, self._keep_signed_in)
        self._skip_detail_on_tab()
        super().on_mount()

    # --- the table -------------------------------------------------------------------------------

    def _names(self) -> list[str]:
        names = [str(k) for k in self.editor.record_keys(SECTION)]
        return names + [name for name in self._drafts if name not in names]

    def _row_cells(self, name: str) -> tuple[str, ...]:
        if name in self._drafts:
            integration, document_type = self._drafts[name]
            terms, verdict = "✗", "new, not saved"
        else:
            stored = self.editor.values(SECTION, name)
            integration, document_type = str(stored.get("integration")), str(stored.get("document_type"))
            terms = _mark(stored.get("terms_accepted"))
            result = self._results.get(name)
            verdict = "running…" if name == self._connecting else (result.verdict if result else "—")
        found = integration_of(integration)
        return (name, SHORT_TYPES.get(document_type, document_type), found.label if found else integration, terms,
                verdict)

    def reload(self, select: str | None = None) -> None:
        """Rebuild the table from the saved configurations (and new ones being written); show the selected one."""
        names = self._names()
        self._fill_table({name: self._row_cells(name) for name in names}, select, names[0] if names else None,
                         "There is no configuration yet. Press ctrl+n to add one.")

    def _refresh_row(self, name: str) -> None:
        table = self.query_one("#accounting-table", DataTable)
        if name in table.rows:
            for (_, key), value in zip(COLUMNS, self._row_cells(name), strict=True):
                table.update_cell(name, key, value)

    # --- the detail ------------------------------------------------------------------------------

    def show_record(self, record_key: str | None) -> AccountingForm | None:
        """Show the form of a configuration, and its last Connect."""
        switcher = self.query_one("#forms", ContentSwitcher)
        self._current = record_key
        switcher.display = record_key is not None
        self.query_one(ConnectPanel).display = record_key is not None
        if record_key is None:
            return None
        form = self._show_form(record_key)
        self._show_result(record_key)
        return form

    def _draft_values(self, key: str) -> dict[str, Any]:
        integration, document_type = self._drafts[key]
        return {"integration": integration, "document_type": document_type}

    def _show_result(self, name: str) -> None:
        panel = self.query_one(ConnectPanel)
        if name == self._connecting:
            panel.start(0)
            for step in self._live:
                panel.add_step(step)
        elif name in self._results:
            panel.finish(self._results[name])
        else:
            panel.clear()

    def action_cancel_or_back(self) -> None:
        # A running Connect first, then from the form back to the table, then from the table to the menu.
        if self._test_running():
            self.workers.cancel_group(self, "connection-test")
            name, self._connecting = self._connecting, None
            if name is not None:
                self._refresh_row(name)
            self.query_one(ConnectPanel).cancelled()
            return
        super().action_cancel_or_back()

    @on(RecordForm.Saved)
    def _configuration_saved(self, event: RecordForm.Saved) -> None:
        name = event.form.record_key
        created = self._drafts.pop(name, None) is not None
        self._refresh_row(name)
        self.refresh_bindings()
        if created:
            self.post_message(self.RecordsChanged(self))

    @on(AccountingForm.IntegrationChosen)
    def _integration_chosen(self) -> None:
        self.refresh_bindings()

    # --- new and delete --------------------------------------------------------------------------

    def action_new_record(self) -> None:
        self.app.push_screen(NewConfigurationScreen(set(self._names())), self._start_draft)

    def _start_draft(self, answer: tuple[str, str, str] | None) -> None:
        if answer is None:
            return
        name, integration, document_type = answer
        self._drafts[name] = (integration, document_type)
        self.reload(select=name)
        label = INTEGRATIONS[integration].label
        self.app.notify(f"New configuration {name} ({label}): fill its fields, tick the Terms, then save (F2).",
                        timeout=4)
        fields = INTEGRATIONS[integration].fields
        self.call_after_refresh(self.focus_field, fields[0] if fields else "terms_accepted")

    def action_delete_record(self) -> None:
        name = self._current
        if name in self._drafts:
            question = f"Discard the new configuration {name}? What was typed in its form is lost."
            self.app.push_screen(ConfirmScreen(question, yes="Discard"),
                                 lambda yes: self._delete(name) if yes else None)
            return
        # The base checks the blockers first: companies linked to it are named, and nothing is asked.
        super().action_delete_record()

    def _delete(self, key: str | None) -> None:
        self._results.pop(str(key), None)
        if key not in self._drafts:
            super()._delete(key)
            return
        self._drafts.pop(key)
        self._drop_form(key)

    # --- Connect ---------------------------------------------------------------------------------

    def action_connect(self) -> None:
        name = self._current
        if name is None:
            return
        if name in self._drafts:
            self.app.notify(f"Save {name} first (F2): Connect uses the saved values.", title="Not connected",
                            severity="error")
            return
        self._connecting, self._live = name, []
        panel = self.query_one(ConnectPanel)
        panel.start(len(self.form.modified_rows()) if self.form is not None else 0)
        self._refresh_row(name)
        self.call_after_refresh(panel.scroll_visible)
        self._run_connect(name)

    @work(exclusive=True, group="connection-test", exit_on_error=False)
    async def _run_connect(self, name: str) -> None:
        # Like the Tests, Connect runs on the UI's event loop but reports only by messages.
        try:
            result = await connect(self.editor, name, on_step=lambda step: self.post_message(TestPanel.StepDone(self, step)))
        except Exception as error:  # noqa: BLE001 - the panel must end with a verdict, never hang on "Running…"
            result = TestResult("accounting", name)
            result.steps.append(Step("Connect", Outcome.FAILED,
                                     diagnosis=f"Connect could not run ({type(error).__name__})."))
        self.post_message(TestPanel.Finished(self, result))

    def _test_step(self, event: TestPanel.StepDone) -> None:
        self._live.append(event.step)
        if self._current == self._connecting:
            self.query_one(ConnectPanel).add_step(event.step)

    def _test_finished(self, event: TestPanel.Finished) -> None:
        name, self._connecting = self._connecting, None
        if name is None:
            return
        self._results[name] = event.result
        self._refresh_row(name)
        if self._current == name:
            self.query_one(ConnectPanel).finish(event.result)
        self.refresh_bindings()

    # --- sign-in (a) ----------------------------------------------------------------------------

    def _saved_values(self, name: str) -> dict[str, Any]:
        return {} if name in self._drafts else self.editor.values(SECTION, name)

    def action_authorise(self) -> None:
        form, name = self.form, self._current
        if form is not None and name is not None and form.integration is not None:
            self.sign_in.authorise(name, form.integration, self._saved_values(name))

    def action_administrations(self) -> None:
        form, name = self.form, self._current
        if form is not None and name is not None and form.integration is not None:
            self.sign_in.administrations(name, form.integration, self._saved_values(name))

    def _keep_signed_in(self, name: str, changes: dict[str, Any]) -> bool:
        saved = self._write(name, changes)
        if saved and "refresh_token" in changes:
            self._results.pop(name, None)  # the last Connect was made with the previous authorisation
        return saved

    # --- SFTP host key -------------------------------------------------------------------------

    def _offered_key(self) -> str | None:
        result = self._results.get(str(self._current))
        return result.offer.get("host_key") if result is not None else None

    @on(Button.Pressed, "#pin-host-key")
    def _pin_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_pin_host_key()

    def action_pin_host_key(self) -> None:
        name, fingerprint = self._current, self._offered_key()
        if name is None or not fingerprint:
            return
        values = self.editor.values(SECTION, name)
        question = (f"Accept and pin this host key for {name} ({values.get('host')}:{values.get('port')})?\n"
                    f"{fingerprint}\nAccept it only if it is your server's key: from now on a server presenting "
                    "another key is refused. Connect runs again.")
        self.app.push_screen(ConfirmScreen(question, yes="Accept and pin"),
                             lambda yes: self._pin(name, fingerprint) if yes else None)

    def _pin(self, name: str, fingerprint: str) -> None:
        if not self._write(name, {"host_key": fingerprint}):
            return
        self._results.pop(name, None)
        self.app.notify(f"Host key pinned for {name}.", timeout=3)
        if self._current == name:
            self.action_connect()

    def _write(self, name: str, changes: dict[str, Any]) -> bool:
        """Save values the console obtained (not typed), and show them in the form as saved."""
        try:
            self.editor.apply(SECTION, name, changes)
        except ChangeRefused as refused:
            self.app.notify("\n".join(f.message for f in refused.findings), title="Not saved", severity="error")
            return False
        except (SaveError, VaultError) as error:
            self.app.notify(str(error), title="Not saved", severity="error")
            return False
        form = self._forms.get(name)
        if form is not None and form.is_mounted:
            form.take_saved(list(changes))
        self._refresh_row(name)
        self.refresh_bindings()
        return True

    # --- which keys apply ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        name, form = self._current, self.form
        saved = name is not None and name not in self._drafts
        writable = not self.editor.read_only
        connector = form.connector if form is not None and form.is_mounted else None
        if action in FORM_ACTIONS:
            return form is not None and writable
        if action == "new_record":
            return writable
        if action == "delete_record":
            return name is not None and (name in self._drafts or writable)
        if action == "connect":
            return name is not None  # a new one says to save it first
        if action == "authorise":
            return saved and writable and connector is not None and connector.signs_in
        if action == "administrations":
            return saved and writable and connector is not None and connector.lists_administrations
        if action == "pin_host_key":
            return saved and writable and bool(self._offered_key())
        return True
