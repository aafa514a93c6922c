"""One field of a form: its label, the input of the right kind, a Save button and its message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from ..settings.fields import Field, Kind, Severity
from ..settings.validate import FieldError, format_value, parse_text
from .field_switch import FieldSwitch
from .secret_input import SecretInput

MODIFIED_MARK = "● "
NO_CHOICE = "(none)"
PICK_ONE = "(pick one)"
NOT_FOUND = "  (not found)"


def _placeholder(field: Field) -> str:
    if field.kind is Kind.DATE:
        return "YYYY-MM-DD"
    if field.example:
        return f"e.g. {field.example}"
    if field.kind is Kind.SECRET:
        return "not set"
    return ""


class FieldRow(Vertical):
    """A labelled editor for one schema field that knows its saved value and its problems."""

    class RowMessage(Message):
        """Something happened in one row; the row is the message's control."""

        def __init__(self, row: FieldRow) -> None:
            super().__init__()
            self.row = row

        @property
        def control(self) -> FieldRow:
            """The row that sent the message."""
            return self.row

    class Changed(RowMessage):
        """The admin changed the value in the editor."""

    class SaveRequested(RowMessage):
        """The admin asked to save this field alone."""

    class Focused(RowMessage):
        """The editor of this row received the focus."""

    def __init__(self, field: Field, saved: Any, *, read_only: bool = False,
                 choices: Mapping[str, str] | None = None) -> None:
        """`choices`: for a choice computed from the document (`Field.choices_from`), its values and labels."""
        super().__init__(classes="field-row", id=f"row-{field.key}")
        self.field = field
        self.saved = saved
        self.read_only = read_only
        self._choices: dict[str, str] = dict(choices or {})
        self._message = ""
        self._suppress = 0
        self._last_text = self._initial_text()
        self._editor: Widget | None = None  # found once: forms ask for it hundreds of times per cursor move
        self._severity: Severity | None = None  # of the message shown
        self._label_shown: str | None = None  # the label's text as last drawn

    @property
    def computed_choice(self) -> bool:
        """True when the field is a pick-list of other records (its options follow the document)."""
        return self.field.kind is Kind.CHOICE and self.field.choices_from is not None

    def _choice_options(self, *keep: Any) -> list[tuple[str, str]]:
        """A computed choice's options: none, each record, and the values in `keep` no record has (flagged)."""
        options = [(NO_CHOICE if not self.field.required else PICK_ONE, "")]
        options += [(label, value) for value, label in self._choices.items()]
        known = {value for _, value in options}
        for value in keep:
            text = format_value(self.field, value)
            if text not in known:
                options.append((text + NOT_FOUND, text))
                known.add(text)
        return options

    def _initial_text(self) -> str:
        """What the editor shows when built, as `raw_text` would read it."""
        if self.computed_choice:
            return format_value(self.field, self.saved)
        if self.field.kind is Kind.CHOICE:
            return str(self.saved if self.saved in self.field.choices else self.field.choices[0])
        if self.field.kind is Kind.BOOL:
            return format_value(self.field, bool(self.saved))
        return format_value(self.field, self.saved)

    @property
    def key(self) -> str:
        """The TOML key of the field."""
        return self.field.key

    def compose(self) -> ComposeResult:
        # Stacked on narrow terminals; `.-wide` on the screen lays label and input side by side.
        yield Label(self._label_text(False), classes="field-label")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        """The editor, its Save button and the line of its message."""
        with Vertical(classes="field-body"):
            with Horizontal(classes="field-line"):
                yield self._make_editor()
                if self.field.kind is Kind.BOOL:
                    yield Static(self._switch_state(bool(self.saved)), classes="switch-state")
                yield Button("Save", classes="field-save", compact=True, disabled=self.read_only)
            yield Static("", classes="field-message", markup=False)

    def on_mount(self) -> None:
        self.query_one(".field-save", Button).can_focus = False
        if self.app.is_headless:
            # A blinking cursor would make screenshots of a headless run differ from run to run.
            for editor in self.query(Input):
                editor.cursor_blink = False
        if self.read_only:
            self.editor.disabled = True
            self.can_focus = True

    @staticmethod
    def _switch_state(on: bool) -> str:
        return "on" if on else "off"

    def _label_text(self, modified: bool) -> str:
        mark = MODIFIED_MARK if modified else ""
        hint = "  (ctrl+t reveals)" if self.field.is_secret else ""
        return f"{mark}{self.field.label}{hint}"

    def _make_editor(self) -> Widget:
        field, saved = self.field, self.saved
        editor_id = f"input-{field.key}"
        if field.kind is Kind.BOOL:
            return FieldSwitch(bool(saved), id=editor_id, classes="field-input")
        if self.computed_choice:
            # A value that names no record stays, flagged, so that its error shows instead of a silent change.
            return Select(self._choice_options(saved), value=format_value(field, saved), allow_blank=False,
                          compact=True, id=editor_id, classes="field-input")
        if field.kind is Kind.CHOICE:
            value = saved if saved in field.choices else field.choices[0]
            return Select([(c, c) for c in field.choices], value=value, allow_blank=False,
                          compact=True, id=editor_id, classes="field-input")
        if field.kind is Kind.SECRET:
            return SecretInput(saved or "", placeholder=_placeholder(field), id=editor_id, classes="field-input")
        return Input(format_value(field, saved), placeholder=_placeholder(field), compact=True,
                     id=editor_id, classes="field-input", select_on_focus=False)

    @property
    def editor(self) -> Widget:
        """The input widget of this row."""
        if self._editor is None or not self._editor.is_attached:
            self._editor = self.query_one(".field-input")
        return self._editor

    def raw_text(self) -> str:
        """What the editor shows, as text."""
        editor = self.editor
        if isinstance(editor, Switch):
            return format_value(self.field, editor.value)
        if isinstance(editor, Select):
            return str(editor.value)
        return editor.value

    def current(self) -> Any:
        """The typed value in the editor; raises FieldError when it is not valid."""
        editor = self.editor
        if isinstance(editor, Switch):
            return editor.value
        if isinstance(editor, Select):
            return editor.value
        value = parse_text(self.field, editor.value)
        if value == "" and self.field.kind is Kind.DATE:
            return None
        return value

    @property
    def modified(self) -> bool:
        """True when the editor differs from what is saved."""
        try:
            return self.current() != self._normalised_saved()
        except FieldError:
            return True

    def _normalised_saved(self) -> Any:
        if self.saved is None and self.field.kind not in (Kind.DATE, Kind.BOOL):
            return ""
        return self.saved

    def set_value(self, value: Any) -> None:
        """Put `value` in the editor without treating it as typed by the admin."""
        editor = self.editor
        self._suppress += 1
        if isinstance(editor, Switch):
            editor.value = bool(value)
        elif isinstance(editor, Select):
            if self.computed_choice:
                value = format_value(self.field, value)
                if value not in {option for _, option in self._choice_options()}:
                    editor.set_options(self._choice_options(self.saved, value))
            editor.value = value
        else:
            editor.value = format_value(self.field, value)
        # The editor announces this value later (Input.Changed…); as the text already seen, it is not an edit.
        self._last_text = self.raw_text()
        if isinstance(editor, Switch):
            self.query_one(".switch-state", Static).update(self._switch_state(editor.value))
        self.call_after_refresh(self._end_suppress)
        self.refresh_marker()

    def refresh_choices(self, choices: Mapping[str, str]) -> None:
        """Offer these records in a computed choice (one was added, removed or renamed), keeping what is picked."""
        if not self.computed_choice or dict(choices) == self._choices:
            return
        self._choices = dict(choices)
        editor = self.editor
        assert isinstance(editor, Select)
        picked = self.raw_text()
        self._suppress += 1
        editor.set_options(self._choice_options(self.saved, picked))
        editor.value = picked
        self.call_after_refresh(self._end_suppress)
        self.refresh_marker()

    def _end_suppress(self) -> None:
        self._suppress = max(0, self._suppress - 1)

    def mark_saved(self, value: Any) -> None:
        """Record `value` as the saved value."""
        self.saved = value
        self.refresh_marker()

    def revert(self) -> None:
        """Put the saved value back in the editor."""
        self.set_value(self.saved)
        self.show_problem("", None)

    def refresh_marker(self) -> None:
        """Show or hide the modified-but-unsaved marker."""
        modified = self.modified
        self.set_class(modified, "-modified")
        text = self._label_text(modified)
        if text != self._label_shown:  # unchanged: no relayout (a form refreshes every row at each keypress)
            self._label_shown = text
            self.query_one(".field-label", Label).update(text)

    def show_problem(self, message: str, severity: Severity | None) -> None:
        """Show a validation message under the field (empty hides it)."""
        if message == self._message and severity == self._severity:
            return
        self._message, self._severity = message, severity
        box = self.query_one(".field-message", Static)
        box.update(message)
        self.set_class(bool(message) and severity is Severity.ERROR, "-invalid")
        self.set_class(bool(message) and severity is Severity.WARNING, "-warning")

    @property
    def problem(self) -> str:
        """The message shown under the field, if any."""
        return self._message

    def _changed(self) -> None:
        # Widgets also announce the value they were built with (a Select does on mount): only a
        # real change may fill other fields or count as an edit.
        text = self.raw_text()
        if text == self._last_text:
            return
        self._last_text = text
        if isinstance(self.editor, Switch):
            self.query_one(".switch-state", Static).update(self._switch_state(self.editor.value))
        self.refresh_marker()
        if not self._suppress:
            self.post_message(self.Changed(self))

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _on_editor_changed(self, event: Message) -> None:
        event.stop()
        self._changed()

    @on(Input.Submitted)
    @on(FieldSwitch.Submitted)
    def _on_submitted(self, event: Message) -> None:
        event.stop()
        self.post_message(self.SaveRequested(self))

    @on(Button.Pressed, ".field-save")
    def _on_save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SaveRequested(self))

    def on_descendant_focus(self) -> None:
        self.post_message(self.Focused(self))

    def on_focus(self) -> None:
        self.post_message(self.Focused(self))
