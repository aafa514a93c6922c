"""The form of one batch: code, label, template, schedule, then its template's parameters as a table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, Static

from ..batches.catalog import plan_zone
from ..settings import schema
from ..settings.batch_params import PARAMETERS, TEMPLATES, Template, type_name
from ..settings.fields import Field
from ..settings.schedules import ScheduleError, parse_schedule
from ..settings.time_zones import UTC_ZONE, in_zone, zone_name
from .field_row import MODIFIED_MARK, FieldRow
from .filtered_record_form import FilteredRecordForm

SECTION = schema.BATCHES


class ParameterRow(FieldRow):
    """One parameter as a line of the table: code, type, required flag, then the usual editor and Save."""

    def __init__(self, field: Field, saved: Any, *, read_only: bool = False) -> None:
        super().__init__(field, saved, read_only=read_only)
        self.add_class("param-row")
        self.required = False
        self._required_shown = False  # the yes/no cell is filled at the first set_required

    def compose(self) -> ComposeResult:
        with Horizontal(classes="param-line"):
            yield Label(self._label_text(False), classes="field-label param-code")
            yield Static(type_name(self.field), classes="param-type")
            yield Static("", classes="param-required")
            yield from self.compose_body()
        yield Static(self.field.help, classes="param-description", markup=False)

    # A class rather than :focus-within: Textual restyles the row on focus, not the row's own children.
    def on_descendant_focus(self) -> None:
        self.add_class("-focused")  # its description opens in full
        self.call_after_refresh(self._bring_into_view)

    def on_resize(self) -> None:
        # Grown once laid out with its description open: bring all of it into view then, at its real height.
        if self.has_class("-focused"):
            self._bring_into_view()

    def _bring_into_view(self) -> None:
        # Queued after the scrolls the focus change asked for (measured before the row grew), so it wins.
        self.scroll_visible(animate=False)

    def on_descendant_blur(self) -> None:
        self.remove_class("-focused")

    def _label_text(self, modified: bool) -> str:
        # The code is the label; the secret's ctrl+t hint is in the help panel.
        return f"{MODIFIED_MARK if modified else ''}{self.field.key}"

    def set_required(self, required: bool) -> None:
        """Show whether the chosen template requires this parameter."""
        if required == self.required and self._required_shown:
            return  # unchanged: no relayout at each cursor move in the batch table
        self.required, self._required_shown = required, True
        self.set_class(required, "-required")
        self.query_one(".param-required", Static).update("yes" if required else "no")


def template_of(name: Any) -> Template | None:
    """The template called `name`, if any."""
    return TEMPLATES.get(str(name or ""))


def key_name(key: str) -> str:
    """A key as the hints write it: F5, Escape, ctrl+x, h."""
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return {"escape": "Escape", "enter": "Enter", "tab": "Tab"}.get(key, key)


def reachable_key(widget: Widget, action: str, back_action: str = "cancel_or_back") -> str | None:
    """The key that runs `widget`'s `action` from where the focus is, e.g. 'h', or 'Escape, then h' from a field.

    Read from the screen's active bindings, as the footer is: a key the focused widget types (a letter in an
    Input) or binds itself (ctrl+x cuts in an Input) is not named. None when the action is not available.
    """
    def keys_for(name: str, bindings) -> list[str]:
        return [key for key, bound in bindings if bound.action == name]

    active = [(key, found.binding) for key, found in widget.screen.active_bindings.items()
              if found.node is widget and found.enabled]
    here = keys_for(action, active)
    if here:
        return key_name(here[0])
    # Where the focus is, the key types text: the widget's own keys (as the keymap set them) work once
    # Escape has put the focus back on the table.
    own = widget._bindings.copy()
    keymap = getattr(widget.app, "_keymap", None)  # the keymap the console applied (ui.toml)
    if keymap:
        own.apply_keymap(keymap)
    declared, back = keys_for(action, own), keys_for(back_action, own)
    if not declared or not widget.check_action(action, ()):
        return None
    return f"{key_name(back[0])}, then {key_name(declared[0])}" if back else key_name(declared[0])


def _when(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """A fire time in the schedule's zone, and in the server's local time when that differs."""
    text = in_zone(moment, zone)
    local = moment.astimezone()
    if local.utcoffset() != moment.astimezone(zone).utcoffset():
        text += f" ({local:%Y-%m-%d %H:%M} server time)"
    return text


def next_fire_text(schedule_text: str, now: dt.datetime | None = None, planned: dt.datetime | None = None,
                   paused: bool = False, resume_key: str | None = "p", zone: dt.tzinfo = UTC_ZONE) -> str:
    """What the schedule means and when it fires next (`planned`: what the host has planned).

    Cron times are read in `zone` (Batches > Batch host): the hint names it, as the field's help does.
    `resume_key`: the key that resumes a paused schedule from where the focus is (None: do not name one).
    """
    try:
        schedule = parse_schedule(schedule_text, now, zone)
    except ScheduleError as error:
        return f"Not a schedule: {error}"
    if schedule.on_demand:
        return "Runs only when started by hand (F5)."
    described = schedule.describe() + (f", read in {zone_name(zone)}" if schedule.cron else "")
    if paused:
        resume = f"{resume_key} resumes it; " if resume_key else ""
        return f"{described}: paused ({resume}F5 still runs it)."
    moment = planned or schedule.next_after(now or dt.datetime.now(dt.UTC))
    return f"{described}: next fire time {_when(moment, zone) if moment else 'none'}."


class BatchForm(FilteredRecordForm):
    """A batch record's form; only the chosen template's parameters show, and a new batch is created on save."""

    CHOICE_KEY = "template"
    RECORD_NOUN = "batch"
    FILTERED_ROW = ParameterRow

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paused = False

    def compose(self) -> ComposeResult:
        read_only = self.editor.read_only
        # The selected row of the table in full (its cells are clipped to fit); the view fills it in.
        yield Static(str(self.record_key), classes="batch-code batch-summary", markup=False)
        for field in SECTION.fields:
            if field.key in PARAMETERS:
                continue
            yield FieldRow(field, self._initial.get(field.key), read_only=read_only)
            if field.key == "schedule":
                yield Static("", classes="schedule-next", markup=False)
        yield Static("Parameters", classes="params-title")
        with Horizontal(classes="params-header"):
            for text, kind in (("Code", "param-code"), ("Type", "param-type"), ("Required", "param-required"),
                               ("Value", "param-value")):
                yield Static(text, classes=kind)
        for code in sorted(PARAMETERS):
            yield ParameterRow(PARAMETERS[code], self._initial.get(code), read_only=read_only)

    def on_mount(self) -> None:
        self.show_template()
        self.show_next_fire()
        super().on_mount()

    def show_summary(self, summary: Content | str) -> None:
        """Show the selected batch's row in full above its fields."""
        self.query_one(".batch-summary", Static).update(summary)

    def load_record(self, record_key: str) -> None:
        """Show another saved batch in this form, reusing its widgets (mounting a new form takes ~0.5 s)."""
        values = self.editor.values(self.section, record_key)
        self.record_key, self._initial = record_key, values
        for row in self.rows:
            row.saved = values.get(row.key)
            row.set_value(row.saved)
        self.show_summary(str(record_key))
        self.show_template()
        self.show_next_fire()
        self.refresh_problems()

    @property
    def template(self) -> Template | None:
        """The template chosen in the form (saved or not)."""
        return template_of(self.row("template").raw_text())

    def _uses(self) -> tuple[Collection[str], Collection[str]]:
        template = self.template
        return (template.parameters, template.required) if template is not None else ((), ())

    def show_template(self) -> None:
        """Show only the chosen template's parameters, flagging the required ones."""
        self._show_used_rows()

    def _resume_key(self) -> str | None:
        """The key that resumes the schedule from where the focus is, as the view binds it."""
        view = next((node for node in self.ancestors if hasattr(node, "action_toggle_pause")), None)
        return reachable_key(view, "toggle_pause") if isinstance(view, Widget) else None

    def show_next_fire(self) -> None:
        """Under the schedule: what it means and its next fire time."""
        row = self.row("schedule")
        link = getattr(self.app, "batches", None)
        host = link.host if link is not None else None
        planned, paused = None, False
        if host is not None and not row.modified:
            # The saved schedule: what the host planned (an interval counts from the last run).
            planned, paused = host.next_run(str(self.record_key)), host.is_paused(str(self.record_key))
        self._paused = paused
        # The batches' clock (fixed in snapshots), else the wall clock.
        clock = link.now if link is not None else None
        text = next_fire_text(row.raw_text(), clock() if clock is not None else None, planned, paused,
                              self._resume_key() if paused else None, plan_zone(self.editor))
        self.query_one(".schedule-next", Static).update(text)

    def _focus_moved(self) -> None:
        # Whether `p` resumes or types into a field depends on the focus: the paused hint follows it.
        if self._paused and self.is_mounted:
            self.call_after_refresh(self.show_next_fire)

    def on_descendant_focus(self) -> None:
        self._focus_moved()

    def on_descendant_blur(self) -> None:
        self._focus_moved()

    def revert(self, rows: list[FieldRow] | None = None) -> int:
        # A reverted value is put back without a Changed message: the template's rows and the hint follow here.
        count = super().revert(rows)
        self.show_template()
        self.show_next_fire()
        return count

    @on(FieldRow.Changed)
    def _follow_template_and_schedule(self, event: FieldRow.Changed) -> None:
        if event.row.key == "template":
            self.show_template()
        elif event.row.key == "schedule":
            self.show_next_fire()

    def _creation_rows(self) -> list[FieldRow]:
        # Every row, hidden parameters too: a value typed before the template changed is still written.
        return self.rows
