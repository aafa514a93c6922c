"""Which batches exist: the `[batches.<CODE>]` records plus the built-in scheduled tasks of the interfaces."""

from __future__ import annotations

import datetime as dt

from ..settings import schema
from ..settings.batch_params import PARAMETERS, TEMPLATES
from ..settings.editor import SettingsEditor
from ..settings.schedules import Schedule, ScheduleError, parse_schedule
from ..settings.time_zones import UTC_ZONE, ZoneError, resolve_zone
from .runtime import BatchSpec

SIGNATURES = "SIGNATURES"
STATEMENTS = "STATEMENTS"
SIGNATURES_TEMPLATE = "RecuperationSignaturesUniversign"
STATEMENTS_TEMPLATE = "RecuperationRelevesAkuiteoConnect"
BUILTIN_TEMPLATES = {
    SIGNATURES_TEMPLATE: "Signature retrieval: Universign statuses, then the signed documents",
    STATEMENTS_TEMPLATE: "Statement retrieval: Akuiteo Connect bank transactions, then statements",
}


def template_label(name: str) -> str:
    """What a template does, in a few words."""
    if name in TEMPLATES:
        return TEMPLATES[name].label
    return BUILTIN_TEMPLATES.get(name, name)


def plan_zone(editor: SettingsEditor) -> dt.tzinfo:
    """The zone cron schedules are read in: Batches > Batch host's Time zone, else the server's own."""
    try:
        return resolve_zone(str(editor.values(schema.SCHEDULER).get("time_zone") or ""))
    except ZoneError:
        return UTC_ZONE  # validation already reports it; UTC rather than a guess


def _record_spec(editor: SettingsEditor, code: str, zone: dt.tzinfo) -> BatchSpec:
    values = editor.values(schema.BATCHES, code)
    try:
        schedule = parse_schedule(str(values.get("schedule") or ""), zone=zone)
    except ScheduleError:
        schedule = Schedule("", zone=zone)  # validation already reports it; the batch stays runnable by hand
    params = {key: values.get(key) for key in PARAMETERS if key in values}
    return BatchSpec(code, str(values.get("label") or code), str(values.get("template") or ""), schedule, params)


def builtin_specs(editor: SettingsEditor, zone: dt.tzinfo = UTC_ZONE) -> list[BatchSpec]:
    """The signature and statement retrievals, present while their interface is switched on."""
    specs = []
    universign = editor.values(schema.UNIVERSIGN)
    if universign.get("enabled") is True:
        specs.append(BatchSpec(
            SIGNATURES, "Signature retrieval (Universign)", SIGNATURES_TEMPLATE,
            Schedule(f"every {universign['retrieval_interval_s']}s", interval_s=int(universign["retrieval_interval_s"]),
                     zone=zone),
            builtin=True, first_delay_s=int(universign["start_period_s"])))
    connect = editor.values(schema.AKUITEO_CONNECT)
    if connect.get("active") is True:
        specs.append(BatchSpec(
            STATEMENTS, "Statement retrieval (Akuiteo Connect)", STATEMENTS_TEMPLATE,
            Schedule(f"every {connect['retrieval_interval_s']}s", interval_s=int(connect["retrieval_interval_s"]),
                     zone=zone),
            builtin=True, first_delay_s=int(connect["start_period_s"]), log_mail_to=str(connect.get("email") or "")))
    return specs


def batch_specs(editor: SettingsEditor) -> list[BatchSpec]:
    """Every batch the host runs, built-in tasks first, then the configured batches by code."""
    records = [key for key in editor.record_keys(schema.BATCHES) if key is not None]
    zone = plan_zone(editor)
    return builtin_specs(editor, zone) + [_record_spec(editor, code, zone) for code in sorted(records)]


def find_spec(editor: SettingsEditor, code: str) -> BatchSpec | None:
    """One batch by code (case-sensitive), or None."""
    return next((spec for spec in batch_specs(editor) if spec.code == code), None)
