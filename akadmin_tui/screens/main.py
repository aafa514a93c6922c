"""The main screen: the Administration console's menu tree beside the open section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, Static, Tree

from ..settings import schema
from ..settings.editor import SettingsEditor
from ..settings.fields import Severity, Shape
from ..widgets.record_form import RecordForm
from .batch_commands import BatchCommands
from .commands import SettingsCommands
from .menu_tree import MenuTree
from .section_view import SectionView
from .views import RUNS_ID, ViewContext, make_view

if TYPE_CHECKING:
    from ..sandbox.fleet import Sandbox
    from .runs_view import RunsView

class Overview(VerticalScroll):
    """What the console opened: the file, its vault, and every problem found in it."""

    def __init__(self, editor: SettingsEditor, notice: str | None) -> None:
        super().__init__(id="overview", classes="overview")
        self.editor = editor
        self.notice = notice

    def compose(self) -> ComposeResult:
        yield Static("", id="overview-text")

    def on_mount(self) -> None:
        self.refresh_overview()

    def refresh_overview(self) -> None:
        """Recompute the summary and the list of findings."""
        config = self.editor.config
        recipients = config.recipients()
        unlockers = [name for name, present in (("passphrase", recipients.passphrase), ("key file", recipients.key_file))
                     if present]
        findings = self.editor.findings()
        errors = [f for f in findings if f.severity is Severity.ERROR]
        lines = [
            Content.assemble(("akadmin", "bold"), " — Administration console"),
            Content(""),
            Content(f"File       {config.display_path}"),
            Content(f"Vault      opened; MAC valid; unlocks with {' and '.join(unlockers)}"),
            Content(f"Mode       {'read-only' if config.read_only else 'editing'}"),
            Content(f"Problems   {len(errors)} error(s), {len(findings) - len(errors)} warning(s)"),
        ]
        lines += [Content.assemble("  ", ("•", "$error" if f.severity is Severity.ERROR else "$warning"), f" {f}")
                  for f in findings]
        lines += [
            Content(""),
            Content("Pick a section in the menu with the arrows and Enter. In a form, Tab moves between fields, "
                    "Enter or ctrl+s saves the field, F2 saves all and ctrl+r reverts; Escape returns to the menu. "
                    "ctrl+p jumps to any section or field, F1 lists every key, ctrl+q quits."),
        ]
        self.query_one("#overview-text", Static).update(Content("\n").join(lines))


class MainScreen(Screen):
    """Menu tree on the left, the open section (or the overview) on the right."""

    COMMANDS = Screen.COMMANDS | {SettingsCommands, BatchCommands}
    BINDINGS = [
        Binding("escape", "back", "Menu", tooltip="Back to the menu", show=False, id="akadmin.back"),
        Binding("ctrl+b", "toggle_menu", "Hide menu", show=False, id="akadmin.toggle-menu"),
        # Read-only, the forms give up their save keys; pressed anyway, they say why nothing happens.
        Binding("ctrl+s,f2,ctrl+r,f3", "explain_read_only", show=False, id="akadmin.read-only-note"),
    ]

    def __init__(self, editor: SettingsEditor, notice: str | None = None, *, sandbox: Sandbox | None = None) -> None:
        super().__init__()
        self.editor = editor
        self.notice = notice
        self.sandbox = sandbox

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        banner = Static(self.notice or "", id="banner", classes="banner")
        banner.display = bool(self.notice)
        yield banner
        with Horizontal(id="body"):
            yield MenuTree(with_sandbox=self.sandbox is not None)
            with ContentSwitcher(id="content", initial="overview"):
                yield Overview(self.editor, self.notice)
        yield Footer(compact=True)

    WIDE_FROM = 120
    TALL_FROM = 36

    def on_mount(self) -> None:
        tree = self.query_one(MenuTree)
        tree.focus()
        first = tree.node_for(schema.SECTIONS[0].id)
        if first is not None:
            # Ready on the first section, while the overview stays on screen until the admin moves.
            with tree.prevent(Tree.NodeHighlighted):
                tree.move_cursor(first)
            tree.fit_to_height(self.size.height - 2, around=first)  # the header and the footer take a line each

    def on_resize(self) -> None:
        self.set_class(self.size.width >= self.WIDE_FROM, "-wide")
        self.set_class(self.size.height >= self.TALL_FROM, "-tall")

    # --- navigation ----------------------------------------------------------------------------

    def section_view(self, section_id: str) -> Any:
        """The view of a menu entry, created on first use and kept so unsaved edits survive."""
        switcher = self.query_one("#content", ContentSwitcher)
        view_id = f"section-{section_id}"
        found = switcher.query(f"#{view_id}")
        if found:
            return found.first()
        context = ViewContext(self.editor, getattr(self.app, "state", None), self.sandbox)
        view = make_view(context, section_id, view_id)
        switcher.mount(view)
        return view

    def open_section(self, section_id: str, *, focus: bool = True, field_key: str | None = None) -> Any:
        """Show a section and put the menu's cursor on it; with `focus`, move into its form (to `field_key` if given)."""
        view = self.show_section(section_id)
        tree = self.query_one(MenuTree)
        node = tree.node_for(section_id)
        if node is not None:
            tree.reveal(node)
        if focus:
            def settle() -> None:
                if field_key:
                    view.focus_field(field_key)
                else:
                    view.focus_first_field()
            self.call_after_refresh(settle)
        return view

    def show_section(self, section_id: str) -> Any:
        """Show a section on the right, leaving the menu and the focus where they are."""
        view = self.section_view(section_id)
        self.query_one("#content", ContentSwitcher).current = view.id
        return view

    @on(Tree.NodeHighlighted, "#menu")
    def _preview(self, event: Tree.NodeHighlighted) -> None:
        # Only the section: when keys come in a burst the cursor may already be further down, where it stays.
        if event.node.data:
            self.show_section(event.node.data)
        else:
            self.query_one("#content", ContentSwitcher).current = "overview"

    @on(Tree.NodeSelected, "#menu")
    def _open(self, event: Tree.NodeSelected) -> None:
        if event.node.data:
            self.open_section(event.node.data)

    def open_runs(self, code: str | None) -> RunsView:
        """Show Runs and logs on the runs of one batch (None: all batches)."""
        view = self.open_section(RUNS_ID, focus=False)
        view.show_batch(code)
        self.call_after_refresh(view.focus_first_field)
        return view

    def action_back(self) -> None:
        """Escape: from a form back to the menu."""
        self.query_one(MenuTree).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "explain_read_only":
            return self.editor.read_only
        return True

    def action_explain_read_only(self) -> None:
        self.app.notify("This console is read-only: nothing can be saved or reverted here.", severity="warning")

    def action_toggle_menu(self) -> None:
        menu = self.query_one(MenuTree)
        menu.display = not menu.display

    # --- state ---------------------------------------------------------------------------------

    def section_views(self) -> list[SectionView]:
        """Every section opened so far."""
        return list(self.query(SectionView))

    def pending_count(self) -> int:
        """Fields modified but not saved, across every opened section."""
        return len(self.pending_fields())

    def pending_fields(self) -> list[str]:
        """The fields modified but not saved, across every opened section, each named with its section."""
        return [name for view in self.section_views() for name in view.pending_fields()]

    @on(RecordForm.Saved)
    def _saved(self, event: RecordForm.Saved | None = None) -> None:
        self.query_one(Overview).refresh_overview()
        # A company renamed shows its new name in the banks' pick-list of companies.
        for view in self.section_views():
            view.refresh_choices()
        # Switching Universign or Akuiteo Connect on or off adds or removes their scheduled task.
        batches = getattr(self.app, "batches", None)
        if batches is not None:
            batches.reload(self.editor)
        if event is not None and event.form.section is schema.SCHEDULER:
            # Another time zone: every next run the batch list shows moves and names the new zone.
            for view in self.section_views():
                if view.section is schema.BATCHES:
                    view.reload()

    def follow_file(self) -> None:
        """Show the config another process saved: every opened form and list, the overview, the batches."""
        for view in self.section_views():
            for form in view.query(RecordForm):
                form.follow_saved()
            view.reload()
        self._saved()  # the overview, and the batches the host plans

    @on(SectionView.RecordsChanged)
    def _records_changed(self, event: SectionView.RecordsChanged) -> None:
        # A new or deleted company shows up in the Chorus setups' list, and so on.
        for view in self.section_views():
            if view is not event.control and view.section.shape is Shape.COLLECTION:
                view.reload()
        self.query_one(Overview).refresh_overview()
