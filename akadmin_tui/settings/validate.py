"""Parsing and validation of values against the schema, with messages that name the field."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import schema
from .certificates import CertificateError, parse_certificate
from .fields import Field, Kind, Problem, Section, Severity, Shape
from .keys import format_key
from .vault import VAULT_TABLE, is_ciphertext

MAX_TEXT = 500
MAX_SECRET = 4096  # far above any token or password a service issues, far below what would bloat the file
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: a terminal may act on them
# Bidi embeddings, overrides and isolates show text in another order than it is stored ("Trojan Source").
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class FieldError(ValueError):
    """A value that does not fit its field; the text names the field and what is expected."""

    def __init__(self, field: Field, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Finding:
    """A problem located in the document by its dotted key path."""

    where: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def codepoint(char: str) -> str:
    """A character named as U+XXXX, for messages that must not print it."""
    return f"U+{ord(char):04X}"


def visible(text: str) -> str:
    """`text` with its control and bidi characters written as <U+XXXX>, safe to print on a terminal."""
    return _BIDI.sub(lambda m: f"<{codepoint(m[0])}>", _CONTROL.sub(lambda m: f"<{codepoint(m[0])}>", text))


def _control_problem(field: Field, value: str, *, bidi: bool = True) -> FieldError | None:
    """The first control (or, with `bidi`, direction) character of `value`, named by code and position, never shown."""
    if found := _CONTROL.search(value):
        return FieldError(field, f"'{field.label}' must be a single line without control characters; "
                                 f"found {codepoint(found[0])} at position {found.start() + 1}.")
    if bidi and (found := _BIDI.search(value)):
        return FieldError(field, f"'{field.label}' must not contain the invisible direction control "
                                 f"{codepoint(found[0])} (at position {found.start() + 1}): it makes the text "
                                 "read differently from what it is.")
    return None


def _expected(field: Field, got: str, choices: Collection[str] | None = None) -> FieldError:
    return FieldError(field, f"'{field.label}' must be {field.describe_expected(choices)}; got {got}.")


LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"


def siret_is_valid(digits: str) -> bool:
    """Luhn check of a SIRET; La Poste's establishments follow their own rule (sum of digits divisible by 5)."""
    if not re.fullmatch(r"[0-9]{14}", digits):
        return False
    if digits.startswith(LA_POSTE_SIREN) and digits != LA_POSTE_HEAD_OFFICE:
        return sum(int(c) for c in digits) % 5 == 0
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(field: Field, text: str) -> None:
    if any(c.isspace() for c in text):
        raise FieldError(field, f"'{field.label}' must be a URL without spaces; got {text!r}.")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _expected(field, repr(text)) from None
    example = f" (e.g. {field.example or field.default})" if (field.example or field.default) else ""
    if parts.username is not None or parts.password is not None:
        raise FieldError(field, f"'{field.label}' must not carry a user name or password: they go in their own "
                                "fields, where the password is encrypted.")
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and _is_loopback(host):
        return
    if parts.scheme == "http" and host:
        raise FieldError(field, f"'{field.label}' must use https:// (http:// is only accepted on "
                                f"127.0.0.1 or localhost){example}; got {text!r}.")
    raise FieldError(field, f"'{field.label}' must be an https:// URL{example}; got {text!r}.")


def check_value(field: Field, value: Any, choices: Collection[str] | None = None) -> None:
    """Raise FieldError unless `value` (already typed) is acceptable for `field`.

    `choices`: the values a choice computed from the document offers (`Field.choices_from`); without them,
    such a choice is only checked as text, and the document's validation judges it.
    """
    kind = field.kind
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _expected(field, repr(value))
        return
    if kind is Kind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _expected(field, repr(value))
        if (field.minimum is not None and value < field.minimum) or (
            field.maximum is not None and value > field.maximum
        ):
            raise _expected(field, str(value))
        return
    if kind is Kind.DATE:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise _expected(field, repr(value))
        return
    if not isinstance(value, str):
        raise _expected(field, repr(value))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(field, f"'{field.label}' must be valid UTF-8 text.") from None
    if kind is Kind.CERTIFICATE:
        try:
            parse_certificate(value.encode("ascii", "replace"))
        except CertificateError as error:
            raise FieldError(field, f"'{field.label}' is {error}.") from None
        return
    if kind is Kind.SECRET:
        if is_ciphertext(value):
            return  # already checked in clear when it was entered
        # Any character a password manager can hold is welcome; only those a terminal or a line reader acts on are not.
        if (problem := _control_problem(field, value, bidi=False)) is not None:
            raise problem
        if len(value) > MAX_SECRET:
            raise FieldError(field, f"'{field.label}' must be at most {MAX_SECRET} characters; got {len(value)}.")
        return
    if (problem := _control_problem(field, value)) is not None:
        raise problem
    if len(value) > MAX_TEXT:
        raise FieldError(field, f"'{field.label}' must be at most {MAX_TEXT} characters; got {len(value)}.")
    if value == "":
        if kind is Kind.CHOICE and field.choices_from is None:
            raise FieldError(field, f"'{field.label}' must be {field.describe_expected()}; got an empty value.")
        return  # emptiness is judged by the required rules, not here
    if kind is Kind.URL:
        _check_url(field, value)
    elif kind is Kind.EMAIL:
        if len(value) > 254 or not _EMAIL.match(value):
            raise _expected(field, repr(value))
    elif kind is Kind.CHOICE:
        allowed = field.choices if field.choices_from is None else choices
        if allowed is not None and value not in allowed:
            raise _expected(field, repr(value), choices if field.choices_from is not None else None)
    elif kind is Kind.SIRET:
        if not re.fullmatch(r"[0-9]{14}", value):
            raise FieldError(field, f"'{field.label}' must be 14 digits; got {value!r}.")
        if not siret_is_valid(value):
            raise FieldError(field, f"'{field.label}' {value} fails its check digit (Luhn): check for a typo.")
    if field.check is not None:
        message = field.check(value)
        if message:
            raise FieldError(field, f"'{field.label}' {message}.")


def parse_text(field: Field, text: str, choices: Collection[str] | None = None) -> Any:
    """Turn what an admin typed into a typed value for `field`, then check it (`choices`: see check_value)."""
    kind = field.kind
    value: Any
    if kind is Kind.SECRET:
        value = text
    else:
        stripped = text.strip()
        if kind is Kind.BOOL:
            lowered = stripped.lower()
            if lowered not in _TRUE | _FALSE:
                raise _expected(field, repr(text))
            value = lowered in _TRUE
        elif kind is Kind.INT:
            if not re.fullmatch(r"[+-]?[0-9]+", stripped):
                raise _expected(field, repr(text))
            value = int(stripped)
        elif kind is Kind.DATE:
            if stripped == "":
                return None
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", stripped):
                    raise ValueError(stripped)
                value = dt.date.fromisoformat(stripped)
            except ValueError:
                raise _expected(field, repr(text)) from None
        elif kind is Kind.CHOICE and field.choices_from is not None:
            value = stripped  # record codes: ACME and acme may be two companies
        elif kind is Kind.CHOICE:
            match = [c for c in field.choices if c.lower() == stripped.lower()]
            value = match[0] if match else stripped
        elif kind is Kind.SIRET:
            value = re.sub(r"[\s.]", "", stripped)
        else:
            value = stripped
    check_value(field, value, choices)
    return value


def format_value(field: Field, value: Any) -> str:
    """The text form of a value, as an input shows it and `config get` prints it."""
    if value is None:
        return ""
    if field.kind is Kind.BOOL:
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _may_be_empty(field: Field) -> bool:
    """True when an empty text is no value (judged by `required`) rather than a bad one."""
    # An empty static choice is no choice at all: check_value refuses it, naming the choices.
    return field.kind is not Kind.BOOL and (field.kind is not Kind.CHOICE or field.choices_from is not None)


def record_problems(section: Section, values: Mapping[str, Any], document: Mapping[str, Any] | None = None,
                    record_key: str | None = None) -> list[Problem]:
    """Every field-level and rule-level problem of one record's effective values.

    With the plain `document` (and the record's code), choices computed from it are checked against it and the
    rules comparing the record with the other records run; without it, only what the record alone tells.
    """
    problems: list[Problem] = []
    for field in section.fields:
        value = values.get(field.key)
        if value is None or (value == "" and _may_be_empty(field)):
            if field.required:
                problems.append(Problem(field.key, f"'{field.label}' is required."))
            continue
        choices = list(field.choice_labels(document)) if field.choices_from is not None and document is not None else None
        try:
            check_value(field, value, choices)
        except FieldError as error:
            problems.append(Problem(field.key, str(error)))
    bad_fields = {p.field_key for p in problems}
    for rule in section.rules:
        if bad_fields.intersection(rule.fields):
            continue  # a rule over a malformed value would only repeat the field's own message
        problems.extend(rule.check(values))
        if rule.across is not None and document is not None:
            problems.extend(rule.across(values, document, record_key))
    return problems


def effective(section: Section, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values a record means: the seed's defaults overlaid by what is stored."""
    values = section.defaults()
    values.update({k: v for k, v in (stored or {}).items() if not isinstance(v, Mapping)})
    return values


def _table_at(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = document
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def records_of(section: Section, document: Mapping[str, Any]) -> dict[str | None, Mapping[str, Any]]:
    """The stored records of a section: {None: table} for tables, {code: table} for collections."""
    table = _table_at(document, section.table)
    if section.shape is Shape.COLLECTION:
        found = {k: v for k, v in (table or {}).items() if isinstance(v, Mapping)} if isinstance(table, Mapping) else {}
        for key in section.fixed_keys:
            found.setdefault(key, {})
        return found
    if section.shape is Shape.OPTIONAL_TABLE and table is None:
        return {}
    return {None: table if isinstance(table, Mapping) else {}}


def codes_of(section: Section, document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The stored records of a collection by code (companies, banks, Chorus setups, ...)."""
    assert section.shape is Shape.COLLECTION, f"{section.id} is a table, not a collection"
    return {str(code): record for code, record in records_of(section, document).items()}


def _child_tables(section: Section) -> set[str]:
    """Names of other sections' tables nested directly under this section's table."""
    n = len(section.table)
    return {s.table[n] for s in schema.SECTIONS if len(s.table) > n and s.table[:n] == section.table}


def _code_finding(section: Section, base: tuple[str, ...], code: str) -> Finding:
    """Why a record code is refused; an invisible character is named, never printed."""
    where = format_key(base[:-1]) + "." + visible(code) if visible(code) != code else format_key(base)
    hidden = _CONTROL.search(code) or _BIDI.search(code)
    if hidden is not None:
        return Finding(where, f"the code contains the invisible character {codepoint(hidden[0])}: {section.key_help}")
    return Finding(where, f"'{code}' is not a valid code: {section.key_help}")


def _structure_findings(document: Mapping[str, Any]) -> list[Finding]:
    findings = []
    known_roots = {s.table[0] for s in schema.SECTIONS} | {VAULT_TABLE}
    for key in document:
        if key not in known_roots:
            findings.append(Finding(format_key((key,)), "unknown table or key (not part of the akadmin format)"))
    for section in schema.SECTIONS:
        table = _table_at(document, section.table)
        if table is not None and not isinstance(table, Mapping):
            findings.append(Finding(format_key(section.table), "must be a table"))
            continue
        allowed_children = _child_tables(section)
        for record_key, record in records_of(section, document).items():
            base = section.table + ((record_key,) if record_key is not None else ())
            for key in record:
                if section.has_field(key):
                    continue
                if record_key is None and key in allowed_children:
                    continue
                findings.append(Finding(format_key(base + (key,)), f"unknown key in the {section.title} section"))
            free_key = section.shape is Shape.COLLECTION and record_key not in section.fixed_keys
            if free_key and not re.match(schema.CODE_PATTERN, record_key or ""):
                findings.append(_code_finding(section, base, record_key or ""))
    return findings


def _secret_storage_findings(section: Section, base: tuple[str, ...], record: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for field in section.fields:
        value = record.get(field.key)
        if field.is_secret and value not in (None, "") and not is_ciphertext(value):
            findings.append(Finding(
                format_key(base + (field.key,)),
                "holds a clear-text value where an encrypted secret is expected; "
                f"set it with: akadmin config set {format_key(base + (field.key,))} --stdin",
            ))
    return findings


def _cross_section_findings(document: Mapping[str, Any]) -> list[Finding]:
    findings = []
    companies = set(codes_of(schema.COMPANIES, document))
    for code in codes_of(schema.CHORUS_SPECIAL, document):
        if code != schema.DEFAULT_COMPANY and code not in companies:
            findings.append(Finding(format_key(schema.CHORUS_SPECIAL.table + (code,)),
                                    f"refers to company {code}, which is not in [companies]"))
    # A bank's company and a company's accounting configuration are choices computed from the document:
    # record_problems refuses one that names no record, listing those it may name.
    banks = codes_of(schema.BANKS, document)
    for code, company in codes_of(schema.COMPANIES, document).items():
        chosen = company.get("accounting_configuration")
        where = format_key(schema.COMPANIES.table + (code, "accounting_configuration"))
        if company.get("share_documents") is True and not chosen:
            findings.append(Finding(where, "'Accounting software' is required when 'Share documents with your "
                                           "accounting firm' is on"))
    if banks and not records_of(schema.BRIDGE_USER, document):
        findings.append(Finding(format_key(schema.BANKS.table),
                                "banks are attached but there is no Bridge user"))
    gmail = effective(schema.GMAIL, records_of(schema.GMAIL, document).get(None))
    if gmail.get("credential_key_path"):
        findings.extend(
            Finding("interfaces.gmail", message, Severity.WARNING) for message in gmail_precondition_problems(document)
        )
    return findings


def gmail_precondition_problems(document: Mapping[str, Any]) -> list[str]:
    """The seed's Gmail preconditions that do not hold, in words."""
    rules = effective(schema.MANAGEMENT_RULES, records_of(schema.MANAGEMENT_RULES, document).get(None))
    office = effective(schema.OFFICE_AUTOMATION, records_of(schema.OFFICE_AUTOMATION, document).get(None))
    problems = []
    if rules.get("google_mail") is not True:
        problems.append("the GOOGLE_MAIL management rule is not enabled (Configuration > Management rules)")
    if office.get("email_application") != "gmail":
        problems.append("Gmail is not the selected email application (Configuration > Office automation)")
    return problems


def validate_document(document: Mapping[str, Any]) -> list[Finding]:
    """Every problem of a parsed document: structure, values, rules and references."""
    findings = _structure_findings(document)
    for section in schema.SECTIONS:
        if _table_at(document, section.table) is not None and not isinstance(_table_at(document, section.table), Mapping):
            continue
        for record_key, record in records_of(section, document).items():
            base = section.table + ((record_key,) if record_key is not None else ())
            findings.extend(_secret_storage_findings(section, base, record))
            for problem in record_problems(section, effective(section, record), document, record_key):
                where = format_key(base + ((problem.field_key,) if problem.field_key else ()))
                findings.append(Finding(where, problem.message, problem.severity))
    findings.extend(_cross_section_findings(document))
    return findings
