"""Special parameters > Chorus (seed 001): a tab per company after the ***** tab, enable, disable, copy, Test."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static, TabbedContent, TabPane

from ..batches.state import chorus_environment_warnings
from ..batches.test_records import remember_test_outcome
from ..connectors.registry import run_test
from ..connectors.result import Outcome, Step, TestResult
from ..dialogs.confirm import ConfirmScreen
from ..dialogs.copy_setup import CopyToCompanyScreen
from ..settings import schema
from ..settings.editor import ChangeRefused
from ..settings.store import SaveError
from ..widgets.record_form import RecordForm
from ..widgets.test_panel import TestPanel
from .section_view import SectionView

SECTION = schema.CHORUS_SPECIAL
DEFAULT = schema.DEFAULT_COMPANY
DEFAULT_WARNING = ("The ***** setup must not be used: each company must have its own CHORUS PRO account. "
                   "Invoices of a company without an enabled specific setup fall back to it.")


class ChorusSetupsView(SectionView, inherit_bindings=False):
    """One tab for ***** and one per company; each shows its specific setup or the fallback in force."""

    BINDINGS = [
        Binding("ctrl+s", "save_field", "Save", tooltip="Save the focused field", id="akadmin.save"),
        Binding("f2", "save_all", "Save all", tooltip="Save every modified field of this tab", id="akadmin.save-all"),
        Binding("ctrl+r", "revert_field", "Revert", show=False, id="akadmin.revert"),
        Binding("f3", "revert_all", "Revert all", show=False, id="akadmin.revert-all"),
        Binding("f6", "enable_setup", "Enable", tooltip="Enable a specific setup for this company",
                id="akadmin.enable-setup"),
        Binding("f7", "disable_setup", "Disable", tooltip="Disable this company's setup (its values are discarded)",
                id="akadmin.disable-setup"),
        Binding("f9", "copy_setup", "Copy to…", tooltip="Move this setup to another company",
                id="akadmin.copy-setup"),
        Binding("f5", "run_test", "Test", tooltip="Test this company's setup as the batches resolve it",
                id="akadmin.test"),
        Binding("escape", "cancel_or_back", "Menu", show=False, id="akadmin.back"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._generation = 0
        self._keys: list[str] = []
        self._wanted: str | None = None
        self._testing = DEFAULT

    def compose(self) -> ComposeResult:
        yield Static(" > ".join(SECTION.menu), classes="section-title")
        yield Static("", id="field-help", classes="field-help")

    def reload(self, select: str | None = None) -> None:
        """Rebuild every tab from the file (after a save elsewhere, a copy, a company added)."""
        self._forms.clear()
        wanted = select or self._wanted or self._current or DEFAULT
        keys = self.editor.listed_keys(SECTION)
        wanted = wanted if wanted in keys else DEFAULT
        # A new TabbedContent opened on the wanted tab; ids carry a generation, so they never
        # collide with the old one's, which is removed asynchronously.
        self._generation += 1
        self._keys, self._current, self._wanted = keys, wanted, None
        panes = [TabPane(str(key), self._tab_body(index, key), id=f"tab-{self._generation}-{index}")
                 for index, key in enumerate(keys)]
        for old in self.query(".setup-tabs"):
            old.remove()
        tabs = TabbedContent(initial=f"tab-{self._generation}-{keys.index(wanted)}",
                             id=f"setup-tabs-{self._generation}", classes="setup-tabs")
        for pane in panes:
            tabs.compose_add_child(pane)  # what `with TabbedContent():` does in a compose method
        self.mount(tabs, before=self.query_one("#field-help"))
        self.refresh_bindings()

    def _activate(self, key: str) -> None:
        tabs = self.query_one(f"#setup-tabs-{self._generation}", TabbedContent)
        tabs.active = f"tab-{self._generation}-{self._keys.index(key)}"
        self._current = key
        self.refresh_bindings()

    def _tab_body(self, index: int, key: str) -> VerticalScroll:
        stored = self.editor.stored(SECTION, key)
        has_setup = bool(stored)  # the ***** tab always shows its form, but may hold nothing to disable or copy
        read_only = self.editor.read_only
        # The seed's buttons at the top right of a tab, each with its key; only those that apply to this tab show.
        editable = not read_only
        actions = [Button("Enable (F6)", classes="setup-action", compact=True, name="enable_setup")] if (
            editable and key != DEFAULT and not has_setup) else []
        if editable and has_setup:
            actions += [Button("Disable (F7)", classes="setup-action", compact=True, name="disable_setup"),
                        Button("Copy to… (F9)", classes="setup-action", compact=True, name="copy_setup")]
        actions.append(Button("Test (F5)", classes="setup-action", compact=True, name="run_test"))
        for button in actions:
            button.can_focus = False
        parts: list = [Horizontal(*actions, classes="setup-actions")]
        if key == DEFAULT:
            parts.append(Static(DEFAULT_WARNING, classes="setup-warning"))
        if key == DEFAULT or stored:
            state = ("enabled: invoices use it" if stored.get("enabled")
                     else "switched off: invoices do not use it until it is complete and switched on")
            parts.append(Static(f"Specific setup {state}. F7 discards it, F9 moves it to another company.",
                                classes="setup-state", markup=False))
            form = RecordForm(self.editor, SECTION, key, id=self._next_form_id())
            self._forms[key] = form
            parts.append(form)
        else:
            parts.append(Static(self._fallback_text(key), classes="setup-state", markup=False))
        history = self._history(key)
        if history:
            parts.append(Static(history, classes="setup-history", markup=False))
        parts.append(TestPanel(f"CHORUS PRO for {key}", id=f"test-{self._generation}-{index}"))
        return VerticalScroll(*parts, classes="record-area")

    def _history(self, key: str) -> str:
        """When this setup last passed its Test, and the warning when the environment changed since."""
        state = getattr(self.app, "state", None)
        if state is None:
            return ""
        last = state.last_pass("chorus", key)
        if last is None:
            return ""
        warning = chorus_environment_warnings(self.editor.config.plain(), state).get(key)
        line = f"Test last passed on {last.passed_at:%Y-%m-%d %H:%M} UTC against {last.environment}."
        return f"{line}\n⚠ {warning[0].upper()}{warning[1:]}" if warning else line

    def _fallback_text(self, key: str) -> str:
        default = self.editor.values(SECTION, DEFAULT)
        if not default.get("enabled"):
            return (f"{key} has no specific setup, and the ***** setup is not enabled: its invoices are not "
                    "transferred. F6 enables a specific setup.")
        shown = [f"  {field.label}: {'********' if field.is_secret and default.get(field.key) else default.get(field.key, '')}"
                 for field in SECTION.fields if field.key != "enabled"]
        return "\n".join([f"{key} has no specific setup: the ***** setup applies, with these values "
                          "(F6 enables a specific setup):", *shown])

    @on(Button.Pressed, ".setup-action")
    async def _action_button(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action(str(event.button.name))

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        generation, _, index = str(event.pane.id).removeprefix("tab-").partition("-")
        if int(generation) != self._generation:
            return
        self._current = self._keys[int(index)]
        self.refresh_bindings()

    def focus_first_field(self) -> None:
        if self.form is not None:
            self.focus_field(None)  # now, or once the tab's form is mounted
            return
        tabs = self.query(f"#setup-tabs-{self._generation} Tabs")
        if tabs:
            tabs.first().focus()
        else:
            self.call_after_refresh(self.focus_first_field)

    def show_record(self, record_key: str | None) -> RecordForm | None:
        """Bring the tab of a company forward (or open on it, if the tabs are not built yet)."""
        if record_key in self._keys and self.query(f"#setup-tabs-{self._generation}"):
            self._activate(record_key)
        else:
            self._wanted = record_key
        return self.form

    def _rebuilt_on(self, key: str) -> None:
        """Rebuild the tabs on `key` and give it the focus: the focused widget went with the old tabs."""
        self.reload(select=key)
        self.focus_first_field()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        key = self._current
        has_setup = bool(key and self.editor.stored(SECTION, key))
        if action == "enable_setup":
            return not self.editor.read_only and key != DEFAULT and not has_setup
        if action in ("disable_setup", "copy_setup"):
            return not self.editor.read_only and has_setup
        if action in ("save_field", "save_all", "revert_field", "revert_all"):
            return not self.editor.read_only
        return True

    # --- actions -------------------------------------------------------------------------------

    def _change(self, what: str, change) -> bool:
        try:
            change()
        except ChangeRefused as refused:
            self.app.notify("\n".join(f.message for f in refused.findings), title=f"Not {what}", severity="error")
            return False
        except SaveError as error:
            self.app.notify(str(error), title=f"Not {what}", severity="error")
            return False
        return True

    def action_enable_setup(self) -> None:
        # The setup starts switched off: it is used once its four credentials are in and it is on.
        key = self._current
        if key and self._change("created", lambda: self.editor.apply(SECTION, key, {"enabled": False})):
            self.app.notify(f"{key} has its own setup now: fill it in, switch it on, and save (F2).", timeout=4)
            self._rebuilt_on(key)

    def action_disable_setup(self) -> None:
        key = self._current
        question = f"Disable the specific setup of {key}? Its values are discarded{self._after_disable(key)}"
        self.app.push_screen(ConfirmScreen(question, yes="Disable"), lambda yes: self._disable(key) if yes else None)

    def _disable(self, key: str) -> None:
        if self._change("disabled", lambda: self.editor.clear(SECTION, key)):
            self.app.notify(f"The setup of {key} was disabled and emptied.", timeout=3)
            self._rebuilt_on(key)

    def _after_disable(self, key: str | None) -> str:
        """What happens to the invoices of `key` once its setup is gone, ending the question."""
        if key == DEFAULT:
            return "; companies without their own setup then have none and their invoices are not transferred."
        if self.editor.values(SECTION, DEFAULT).get("enabled"):
            return " and its invoices fall back to the ***** setup."
        return "; the ***** setup is not enabled either, so its invoices will not be transferred."

    def action_copy_setup(self) -> None:
        source = self._current
        companies = [(code, str(self.editor.stored(schema.COMPANIES, code).get("name", "")))
                     for code in self.editor.record_keys(schema.COMPANIES)]
        self.app.push_screen(CopyToCompanyScreen(source, companies), lambda dest: self._copy(source, dest))

    def _copy(self, source: str, destination: str | None) -> None:
        if destination is None:
            return
        if self.editor.stored(SECTION, destination):
            self.app.push_screen(
                ConfirmScreen(f"{destination} already has a specific setup. Replace it with the one of {source}?",
                              yes="Replace"),
                lambda yes: self._move(source, destination) if yes else None)
        else:
            self._move(source, destination)

    def _move(self, source: str, destination: str) -> None:
        if self._change("copied", lambda: self.editor.move(SECTION, source, destination)):
            self.app.notify(f"The setup of {source} moved to {destination}; {source} is now empty.", timeout=4)
            self._rebuilt_on(destination)

    def _panel(self, key: str) -> TestPanel:
        return self.query_one(f"#test-{self._generation}-{self._keys.index(key)}", TestPanel)

    def test_company(self) -> str | None:
        """The company of the tab under Test (None: the ***** tab)."""
        return None if self._testing == DEFAULT else self._testing

    def action_run_test(self) -> None:
        key = self._current
        self._testing = key
        self._panel(key).start(self.pending_count())
        self._run_setup_test(key)

    @work(exclusive=True, group="connection-test", exit_on_error=False)
    async def _run_setup_test(self, key: str) -> None:
        company = self.test_company()
        try:
            result = await run_test("chorus", self.editor, company=company,
                                    on_step=lambda step: self.post_message(TestPanel.StepDone(self, step)))
        except Exception as error:  # noqa: BLE001 - the panel must end with a verdict
            result = TestResult("chorus", key, [Step("Test", Outcome.FAILED, diagnosis=type(error).__name__)])
        self.post_message(TestPanel.Finished(self, result))

    def _test_step(self, event: TestPanel.StepDone) -> None:
        self._panel(self._testing).add_step(event.step)

    def _test_finished(self, event: TestPanel.Finished) -> None:
        self._panel(self._testing).finish(event.result)
        state = getattr(self.app, "state", None)
        if state is not None:
            remember_test_outcome(state, self.editor, "chorus", event.result)

    def action_cancel_or_back(self) -> None:
        if self._test_running():
            self.workers.cancel_group(self, "connection-test")
            self._panel(self._testing).cancelled()
            return
        self.screen.action_back()
