"""The form of one batch: code, label, template, schedule, then its template's parameters as a table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static

from ..settings import schema
from ..settings.batch_params import PARAMETERS, TEMPLATES, Template, type_name
from ..settings.fields import Field
from ..settings.schedules import ScheduleError, parse_schedule
from .field_row import MODIFIED_MARK, FieldRow
from .filtered_record_form import FilteredRecordForm

SECTION = schema.BATCHES


class ParameterRow(FieldRow):
    """One parameter as a line of the table: code, type, required flag, then the usual editor and Save."""

    def __init__(self, field: Field, saved: Any, *, read_only: bool = False) -> None:
        super().__init__(field, saved, read_only=read_only)
        self.add_class("param-row")
        self.required = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="param-line"):
            yield Label(self._label_text(False), classes="field-label param-code")
            yield Static(type_name(self.field), classes="param-type")
            yield Static("", classes="param-required")
            yield from self.compose_body()
        yield Static(self.field.help, classes="param-description", markup=False)

    def _label_text(self, modified: bool) -> str:
        # The code is the label; the secret's ctrl+t hint is in the help panel.
        return f"{MODIFIED_MARK if modified else ''}{self.field.key}"

    def set_required(self, required: bool) -> None:
        """Show whether the chosen template requires this parameter."""
        self.required = required
        self.set_class(required, "-required")
        self.query_one(".param-required", Static).update("yes" if required else "no")


def template_of(name: Any) -> Template | None:
    """The template called `name`, if any."""
    return TEMPLATES.get(str(name or ""))


def next_fire_text(schedule_text: str, now: dt.datetime | None = None, planned: dt.datetime | None = None,
                   paused: bool = False) -> str:
    """What the schedule means and when it fires next, in local time (`planned`: what the host has planned)."""
    try:
        schedule = parse_schedule(schedule_text)
    except ScheduleError as error:
        return f"Not a schedule: {error}"
    if schedule.on_demand:
        return "Runs only when started by hand (F5)."
    if paused:
        return f"{schedule.describe()}: paused (p resumes it; F5 still runs it)."
    moment = planned or schedule.next_after(now or dt.datetime.now(dt.UTC))
    when = moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "never"
    return f"{schedule.describe()}: next fire time {when} (local time)."


class BatchForm(FilteredRecordForm):
    """A batch record's form; only the chosen template's parameters show, and a new batch is created on save."""

    CHOICE_KEY = "template"
    RECORD_NOUN = "batch"
    FILTERED_ROW = ParameterRow

    def compose(self) -> ComposeResult:
        read_only = self.editor.read_only
        yield Static(f"Code  {self.record_key}", classes="batch-code", markup=False)
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

    def show_next_fire(self) -> None:
        """Under the schedule: what it means and its next fire time."""
        row = self.row("schedule")
        link = getattr(self.app, "batches", None)
        host = link.host if link is not None else None
        planned, paused = None, False
        if host is not None and not row.modified:
            # The saved schedule: what the host planned (an interval counts from the last run).
            planned, paused = host.next_run(str(self.record_key)), host.is_paused(str(self.record_key))
        # The batches' clock (fixed in snapshots), else the wall clock.
        clock = link.now if link is not None else None
        text = next_fire_text(row.raw_text(), clock() if clock is not None else None, planned, paused)
        self.query_one(".schedule-next", Static).update(text)

    @on(FieldRow.Changed)
    def _follow_template_and_schedule(self, event: FieldRow.Changed) -> None:
        if event.row.key == "template":
            self.show_template()
        elif event.row.key == "schedule":
            self.show_next_fire()

    def _creation_rows(self) -> list[FieldRow]:
        # Every row, hidden parameters too: a value typed before the template changed is still written.
        return self.rows
