"""The building blocks of the schema: field kinds, fields, cross-field rules and sections."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .keys import KeyPath

# The values a choice computed from the document offers, each with the label its list shows: {"ACME": "ACME — Acme SA"}.
ChoicesFrom = Callable[[Mapping[str, Any]], Mapping[str, str]]

class Kind(StrEnum):
    """What a field holds; it picks the widget, the parser and the TOML type."""

    BOOL = "bool"
    TEXT = "text"
    URL = "url"
    EMAIL = "email"
    INT = "int"
    SECRET = "secret"
    PATH = "path"
    CHOICE = "choice"
    DATE = "date"
    SIRET = "siret"
    CERTIFICATE = "certificate"


class Shape(StrEnum):
    """How a section's table is laid out in the file."""

    TABLE = "table"  # one fixed table, e.g. [interfaces.chorus]
    OPTIONAL_TABLE = "optional_table"  # a table that may be absent, e.g. the single Bridge user
    COLLECTION = "collection"  # one sub-table per code, e.g. [companies.<CODE>]


class Severity(StrEnum):
    """Errors block a save; warnings are shown and let it through."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Field:
    """One setting: its TOML key, the seed's label and help, its kind, default and bounds."""

    key: str
    label: str
    kind: Kind
    default: Any = None
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    # Choosing a value fills other fields of the record, e.g. environment → the PISTE URLs.
    fills: Mapping[Any, Mapping[str, Any]] | None = field(default=None, hash=False, compare=False)
    # A further check of a non-empty text value: returns what is wrong ("must be …"), or None.
    check: Callable[[Any], str | None] | None = field(default=None, hash=False, compare=False)
    # A choice whose values are other records of the document (a bank's company): computed from the plain
    # document instead of `choices`; an optional one may be left empty. `choices_source` names where they come from.
    choices_from: ChoicesFrom | None = field(default=None, hash=False, compare=False)
    choices_source: str = ""

    @property
    def is_secret(self) -> bool:
        """True when the value is stored encrypted."""
        return self.kind is Kind.SECRET

    def choice_labels(self, document: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The values this choice offers, each with its label: computed from `document` when declared so."""
        if self.choices_from is not None:
            return dict(self.choices_from(document or {}))
        return {choice: choice for choice in self.choices}

    def describe_expected(self, choices: Collection[str] | None = None) -> str:
        """Say in a few words what a valid value looks like (`choices`: those computed from the document)."""
        match self.kind:
            case Kind.BOOL:
                return "true or false"
            case Kind.INT:
                if self.minimum is not None and self.maximum is not None:
                    return f"a whole number from {self.minimum} to {self.maximum}"
                if self.minimum is not None:
                    return f"a whole number of at least {self.minimum}"
                return "a whole number"
            case Kind.URL:
                return "an https:// URL (http:// only on 127.0.0.1 or localhost)"
            case Kind.EMAIL:
                return "an e-mail address such as name@example.com"
            case Kind.CHOICE if self.choices_from is not None:
                source = self.choices_source or "the records it lists"
                empty = ", or empty" if not self.required else ""
                if choices is None:
                    return f"a code of {source}{empty}"
                if not choices:
                    return f"a code of {source}, and there is none yet"
                return f"one of {', '.join(choices)} ({source}){empty}"
            case Kind.CHOICE:
                return "one of " + ", ".join(self.choices)
            case Kind.DATE:
                return "a date written YYYY-MM-DD"
            case Kind.SIRET:
                return "a SIRET: 14 digits with a valid check digit"
            case Kind.PATH:
                return "a file path"
            case Kind.SECRET:
                return "a secret (entered masked)"
            case Kind.CERTIFICATE:
                return "an X.509 certificate in PEM form (imported from a DER or PEM file)"
            case _:
                return "a single line of text"


@dataclass(frozen=True)
class Problem:
    """A validation finding, tied to a field key of a record (or to the record itself)."""

    field_key: str | None
    message: str
    severity: Severity = Severity.ERROR


RuleCheck = Callable[[Mapping[str, Any]], list[Problem]]
# A check of one record against the others of the document: (the record's values, the plain document, its code).
AcrossCheck = Callable[[Mapping[str, Any], Mapping[str, Any], str | None], list[Problem]]


def _no_problem(values: Mapping[str, Any]) -> list[Problem]:
    return []


@dataclass(frozen=True)
class Rule:
    """A rule across fields of one record, e.g. 'Distance Matrix needs Place Autocomplete'.

    `across` compares the record with the other records of the document (a SIRET used twice); it runs only
    where the document is known (validation of the file, the console's forms), after `check`.
    """

    description: str
    check: RuleCheck = _no_problem
    fields: tuple[str, ...] = ()
    across: AcrossCheck | None = None


@dataclass(frozen=True)
class Section:
    """One menu entry of the Administration console and the TOML table it edits."""

    id: str
    table: KeyPath
    menu: tuple[str, ...]
    fields: tuple[Field, ...]
    intro: str = ""
    guide: str = ""
    rules: tuple[Rule, ...] = ()
    shape: Shape = Shape.TABLE
    record_noun: str = "record"
    fixed_keys: tuple[str, ...] = ()
    key_help: str = ""
    # A collection whose records follow another section's records (Chorus setups follow companies).
    keys_from: str | None = None
    # Fields the New dialog asks for besides the required ones (a company's SIRET).
    new_fields: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The menu label of this section."""
        return self.menu[-1]

    def field(self, key: str) -> Field:
        """Return the field named `key` (KeyError when it does not exist)."""
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    @property
    def uses_document(self) -> bool:
        """True when its choices or rules look at other records of the document (validation needs the document)."""
        return any(f.choices_from is not None for f in self.fields) or any(r.across is not None for r in self.rules)

    def has_field(self, key: str) -> bool:
        """True when the section declares a field named `key`."""
        return any(candidate.key == key for candidate in self.fields)

    def defaults(self) -> dict[str, Any]:
        """The seed's defaults of this section's fields (fields without one are left out)."""
        return {f.key: f.default for f in self.fields if f.default is not None}
