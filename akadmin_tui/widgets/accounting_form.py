"""The form of one accounting package configuration: document type, integration, that integration's fields, Terms."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Select, Static

from ..connectors.accounting import connector_for
from ..connectors.accounting.base import AccountingConnector
from ..settings import schema
from ..settings.accounting import DOCUMENT_TYPES, FIELDS, INTEGRATIONS, Integration
from .field_row import FieldRow
from .filtered_record_form import FilteredRecordForm

SECTION = schema.ACCOUNTING
HEAD = ("document_type", "integration")
TERMS = "terms_accepted"
# Kept by Authorise (a), never typed: the form has no row for it, so a save can never overwrite it.
HIDDEN = ("refresh_token",)
REQUIRED_MARK = " *"


def integration_of(name: Any) -> Integration | None:
    """The integration called `name`, if any."""
    return INTEGRATIONS.get(str(name or ""))


class LabelledChoiceRow(FieldRow):
    """A choice shown by its label (Inqom, Bank statement export…) while the file keeps its key."""

    LABELS = {"integration": {i.name: i.label for i in INTEGRATIONS.values()}, "document_type": DOCUMENT_TYPES}

    def _make_editor(self) -> Widget:
        field = self.field
        value = self.saved if self.saved in field.choices else field.choices[0]
        labels = self.LABELS[field.key]
        return Select([(labels.get(c, c), c) for c in field.choices], value=value, allow_blank=False, compact=True,
                      id=f"input-{field.key}", classes="field-input")


class IntegrationRow(FieldRow):
    """A field some integrations use: shown only for the chosen one, its label marked when that one requires it."""

    required = False

    def _label_text(self, modified: bool) -> str:
        text = super()._label_text(modified)
        return text.replace(self.field.label, self.field.label + REQUIRED_MARK, 1) if self.required else text

    def set_required(self, required: bool) -> None:
        """Mark (or unmark) the field as required by the chosen integration."""
        self.required = required
        self.set_class(required, "-required")
        self.refresh_marker()


class AccountingForm(FilteredRecordForm):
    """A configuration's form; a new configuration is created on save, with every value at once."""

    CHOICE_KEY = "integration"
    RECORD_NOUN = "configuration"
    FILTERED_ROW = IntegrationRow
    # The document type and the integration are written even when they are the first choice.
    ALWAYS_CREATED = HEAD

    class IntegrationChosen(Message):
        """Another integration was picked in the form (the view's keys follow it)."""

        def __init__(self, form: AccountingForm) -> None:
            super().__init__()
            self.form = form

        @property
        def control(self) -> AccountingForm:
            """The form whose integration changed."""
            return self.form

    def compose(self) -> ComposeResult:
        read_only = self.editor.read_only
        yield Static(f"Name  {self.record_key}", classes="accounting-name", markup=False)
        for key in HEAD:
            yield LabelledChoiceRow(SECTION.field(key), self._initial.get(key), read_only=read_only)
        yield Static("", classes="integration-note", markup=False)
        for key, field in FIELDS.items():
            if key not in HIDDEN:
                yield IntegrationRow(field, self._initial.get(key), read_only=read_only)
        yield FieldRow(SECTION.field(TERMS), self._initial.get(TERMS), read_only=read_only)

    def on_mount(self) -> None:
        self.show_integration()
        super().on_mount()

    @property
    def integration(self) -> Integration | None:
        """The integration chosen in the form (saved or not)."""
        return integration_of(self.row("integration").raw_text())

    @property
    def connector(self) -> AccountingConnector | None:
        """The connector of the integration chosen in the form, if it has one."""
        return connector_for(self.integration)

    @property
    def authorised(self) -> bool:
        """True when a refresh token is saved for this configuration."""
        return bool(self.editor.stored(SECTION, self.record_key).get("refresh_token"))

    def show_integration(self) -> None:
        """Show only the chosen integration's fields, marking the required ones, and what Connect will do."""
        self._show_used_rows()
        self.query_one(".integration-note", Static).update(self._note(self.integration))

    def _uses(self) -> tuple[Collection[str], Collection[str]]:
        integration = self.integration
        return (integration.fields, integration.required) if integration is not None else ((), ())

    def _note(self, integration: Integration | None) -> str:
        if integration is None:
            return "Pick an integration."
        lines = [f"{integration.label}: " + ("* marks the fields it requires." if integration.required
                                             else "no field to fill.")]
        connector = connector_for(integration)
        if connector is not None and connector.signs_in:
            lines.append("Authorisation: " + ("done, the refresh token is kept encrypted (a authorises again)."
                                              if self.authorised else
                                              "not yet. Save the client ID and secret, then press a to sign in."))
        if connector is not None:
            lines += connector.notes
        if connector is None or not connector.can_connect:
            lines.append(f"{integration.label} has no public API akadmin can call: Connect checks the fields, and the "
                         "connection is checked on the first delivery.")
        return "\n".join(lines)

    def take_saved(self, keys: list[str]) -> None:
        """Show values written behind the form's back (pinned host key, administration, token) as saved."""
        saved = self.editor.values(SECTION, self.record_key)
        for key in keys:
            found = self.query(f"#row-{key}")
            if found:
                row = found.first(FieldRow)
                row.set_value(saved.get(key))
                row.mark_saved(saved.get(key))
        self.show_integration()
        self.refresh_problems()

    @on(FieldRow.Changed)
    def _follow_integration(self, event: FieldRow.Changed) -> None:
        if event.row.key == "integration":
            self.show_integration()
            self.post_message(self.IntegrationChosen(self))

    def revert(self, rows: list[FieldRow] | None = None) -> int:
        """Put the saved values back, and the saved integration's fields with them."""
        count = super().revert(rows)
        # A reverted choice announces no change: follow it here.
        self.show_integration()
        self.post_message(self.IntegrationChosen(self))
        return count
