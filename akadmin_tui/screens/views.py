"""Which view shows each entry of the menu: one factory per id, a plain SectionView for every other section."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widget import Widget

from ..batches.state import StateStore
from ..connectors.try_its import TRY_ITS
from ..settings import schema
from ..settings.editor import SettingsEditor
from .section_view import SectionView

if TYPE_CHECKING:  # a production console never imports the sandbox (its emulators cost ~0.3 s of imports)
    from ..sandbox.fleet import Sandbox

# Menu entries that are not sections of the config.
SANDBOX_ID = "sandbox"
RUNS_ID = "batch-runs"
INVOICES_ID = "invoices"


@dataclass(frozen=True)
class ViewContext:
    """What views are built with: the settings, the state database and the demo's sandbox (either may be absent)."""

    editor: SettingsEditor
    state: StateStore | None
    sandbox: Sandbox | None


# Builds the view of a menu entry from the context, the entry's id and the id the view gets.
ViewFactory = Callable[[ViewContext, str, str], Widget]


def section_view(kind: type[SectionView] | str) -> ViewFactory:
    """The factory of a view of one section of the schema (`module:Class`: imported when first opened)."""
    def make(context: ViewContext, section_id: str, view_id: str) -> Widget:
        return view_class(kind)(context.editor, schema.SECTIONS_BY_ID[section_id], id=view_id)
    return make


def view_class(kind: type[SectionView] | str) -> type[SectionView]:
    """A view class, or the one `module:Class` names in this package (views load when first opened)."""
    if not isinstance(kind, str):
        return kind
    module, _, name = kind.partition(":")
    found: type[SectionView] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return found


def sandbox_view(context: ViewContext, section_id: str, view_id: str) -> Widget:
    """The demo's sandbox controls (the menu lists them only when there is a sandbox)."""
    from .sandbox_view import SandboxView  # only the demo has a sandbox

    assert context.sandbox is not None
    return SandboxView(context.sandbox, id=view_id)


def runs_view(context: ViewContext, section_id: str, view_id: str) -> Widget:
    """Batches > Runs and logs."""
    from .runs_view import RunsView

    return RunsView(id=view_id)


def invoices_view(context: ViewContext, section_id: str, view_id: str) -> Widget:
    """Batches > Invoices (CHORUS PRO)."""
    from .invoices_view import InvoicesView

    return InvoicesView(context.state, id=view_id)


VIEWS: dict[str, ViewFactory] = {
    schema.GMAIL.id: section_view("gmail_view:GmailView"),
    schema.CERTIFICATES.id: section_view("certificates_view:CertificatesView"),
    schema.CHORUS_SPECIAL.id: section_view("chorus_setups:ChorusSetupsView"),
    schema.COMPANIES.id: section_view("companies_view:CompaniesView"),
    schema.BATCHES.id: section_view("batches_view:BatchesView"),
    schema.ACCOUNTING.id: section_view("accounting_view:AccountingView"),
    schema.STATE.id: section_view("state_view:StateView"),
    **{section_id: section_view("try_it_view:TryItView") for section_id in TRY_ITS},
    SANDBOX_ID: sandbox_view,
    RUNS_ID: runs_view,
    INVOICES_ID: invoices_view,
}
DEFAULT_VIEW = section_view(SectionView)


def make_view(context: ViewContext, entry_id: str, view_id: str) -> Widget:
    """The view of a menu entry, built by its factory (a SectionView when it has none)."""
    return VIEWS.get(entry_id, DEFAULT_VIEW)(context, entry_id, view_id)
