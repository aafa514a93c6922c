"""The README's reference of every setting, generated from the schema (`python -m akadmin_tui.readme`)."""

from __future__ import annotations

from . import schema
from .fields import Field, Kind, Section, Shape
from .keys import format_key
from .validate import format_value


def _table_heading(section: Section) -> str:
    if section.shape is Shape.COLLECTION:
        noun = "CODE" if section is not schema.CHORUS_SPECIAL else "COMPANY"
        return f"[{format_key(section.table)}.<{noun}>]"
    return f"[{format_key(section.table)}]"


def _kind(field: Field) -> str:
    if field.kind is Kind.INT:
        if field.minimum is not None and field.maximum is not None:
            return f"int {field.minimum}–{field.maximum}"
        if field.minimum is not None:
            return f"int ≥ {field.minimum}"
    if field.kind is Kind.CHOICE and field.choices_from is not None:
        return f"choice: a code of {field.choices_source}" + ("" if field.required else ", or empty")
    if field.kind is Kind.CHOICE:
        return "choice: " + ", ".join(f"`{c}`" for c in field.choices)
    return str(field.kind)


def _default(field: Field) -> str:
    if field.default in (None, ""):
        return ""
    return f"`{format_value(field, field.default)}`"


def markdown_reference() -> str:
    """One table per section: key, label, kind, default; then the section's rules."""
    out: list[str] = []
    for section in schema.SECTIONS:
        out.append(f"#### {' > '.join(section.menu)} — `{_table_heading(section)}`")
        out.append("")
        out.append("| key | label | kind | default |")
        out.append("|---|---|---|---|")
        for field in section.fields:
            required = " (required)" if field.required else ""
            out.append(f"| `{field.key}` | {field.label}{required} | {_kind(field)} | {_default(field)} |")
        rules = [rule.description for rule in section.rules]
        if rules:
            out.append("")
            out.append("Rules: " + "; ".join(rules) + ".")
        out.append("")
    return "\n".join(out).rstrip() + "\n"

