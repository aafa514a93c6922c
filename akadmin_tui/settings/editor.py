"""Validated changes to an opened config, shared by the console and the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import tomlkit

from . import schema
from .fields import Section, Severity, Shape
from .keys import KeyPath, format_key
from .store import ConfigFile
from .validate import Finding, codepoint, effective, records_of, validate_document, visible


class ChangeRefused(Exception):
    """A change would introduce problems; nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


def record_path(section: Section, record_key: str | None) -> KeyPath:
    """The table path of one record of `section`."""
    return section.table + ((record_key,) if record_key is not None else ())


class SettingsEditor:
    """Reads records with their defaults, and applies validated changes in one atomic save."""

    def __init__(self, config: ConfigFile) -> None:
        self.config = config

    @property
    def read_only(self) -> bool:
        """True when changes cannot be saved."""
        return self.config.read_only

    def record_keys(self, section: Section) -> list[str | None]:
        """The records of a section in file order ([None] for a plain table)."""
        return list(records_of(section, self.config.plain()))

    def listed_keys(self, section: Section) -> list[str | None]:
        """The records a screen lists: stored ones, plus one per source record for linked collections."""
        keys = self.record_keys(section)
        if section.keys_from:
            # In the source's order (the fixed keys first), whichever records have their own values: a setup
            # moved to another company must not move that company's tab.
            source = self.record_keys(schema.SECTIONS_BY_ID[section.keys_from])
            fixed = [k for k in keys if k in section.fixed_keys]
            keys = fixed + source + [k for k in keys if k not in fixed and k not in source]
        return keys

    def stored(self, section: Section, record_key: str | None = None) -> dict[str, Any]:
        """What the file holds for one record (secrets still encrypted)."""
        return dict(records_of(section, self.config.plain()).get(record_key, {}))

    def exists(self, section: Section, record_key: str | None = None) -> bool:
        """True when the record is present in the file (fixed keys always are)."""
        return record_key in records_of(section, self.config.plain())

    def values(self, section: Section, record_key: str | None = None) -> dict[str, Any]:
        """The record's effective values with its secrets decrypted, for an editing form."""
        values = effective(section, self.stored(section, record_key))
        base = record_path(section, record_key)
        for field in section.fields:
            if field.is_secret:
                values[field.key] = self.config.reveal(base + (field.key,))
        return values

    def findings(self) -> list[Finding]:
        """Every problem of the document as it is in memory."""
        return validate_document(self.config.plain())

    def _transaction(self, mutate, scope: KeyPath = ()) -> list[Finding]:
        """Run `mutate`, refuse it if it adds an error, save; returns the warnings under `scope`."""
        before = {(f.where, f.message) for f in self.findings() if f.severity is Severity.ERROR}
        snapshot = tomlkit.dumps(self.config.document)
        try:
            mutate()
            after = self.findings()
            new_errors = [f for f in after if f.severity is Severity.ERROR and (f.where, f.message) not in before]
            if new_errors:
                raise ChangeRefused(new_errors)
            self.config.save()
        except BaseException:
            self.config.document = tomlkit.parse(snapshot)
            raise
        prefix = format_key(scope) if scope else ""
        return [f for f in after if f.severity is Severity.WARNING
                and (not prefix or f.where == prefix or f.where.startswith(prefix + "."))]

    def apply(self, section: Section, record_key: str | None, changes: Mapping[str, Any]) -> list[Finding]:
        """Set fields of one record and save; returns the warnings, raises ChangeRefused on errors."""
        base = record_path(section, record_key)
        changes = with_fills(section, changes)

        def mutate() -> None:
            self.config.ensure_table(base)
            for key, value in changes.items():
                field = section.field(key)
                self.config.set(base + (key,), value, secret=field.is_secret)

        return self._transaction(mutate, base)

    def code_problem(self, section: Section, code: str | None) -> str | None:
        """Why `code` cannot name a new record of a collection (empty, bad characters, already used), or None."""
        if section.shape is not Shape.COLLECTION:
            return None
        return new_code_problem(section, code, self.record_keys(section))

    def apply_all(self, changes: list[tuple[Section, str | None, Mapping[str, Any]]]) -> list[Finding]:
        """Set fields of several records (created when absent) in one save: all of them, or none on an error."""
        for section, record_key, _ in changes:
            if not self.exists(section, record_key):
                problem = self.code_problem(section, record_key)
                if problem is not None:
                    raise ChangeRefused([Finding(format_key(section.table), problem)])

        def mutate() -> None:
            for section, record_key, values in changes:
                base = record_path(section, record_key)
                self.config.ensure_table(base)
                for key, value in with_fills(section, values).items():
                    self.config.set(base + (key,), value, secret=section.field(key).is_secret)

        return self._transaction(mutate)

    def create(self, section: Section, record_key: str | None, values: Mapping[str, Any]) -> list[Finding]:
        """Add a record (a company, a bank, the Bridge user) with its values, and save."""
        if self.exists(section, record_key) and record_key not in section.fixed_keys:
            noun = section.record_noun
            raise ChangeRefused([Finding(format_key(record_path(section, record_key)), f"this {noun} already exists")])
        problem = self.code_problem(section, record_key)
        if problem is not None:
            raise ChangeRefused([Finding(format_key(section.table), problem)])
        return self.apply(section, record_key, values)

    def dependents(self, section: Section, record_key: str | None) -> list[tuple[Section, str]]:
        """Records that go with this one when it is deleted (a company's specific Chorus setup)."""
        if section is schema.COMPANIES and record_key is not None and record_key in self.record_keys(schema.CHORUS_SPECIAL):
            return [(schema.CHORUS_SPECIAL, record_key)]
        return []

    def blockers(self, section: Section, record_key: str | None) -> list[str]:
        """Why this record cannot be deleted yet, in words (empty when it can)."""
        if section is schema.BRIDGE_USER and self.record_keys(schema.BANKS):
            return ["the Bridge user cannot be deleted while banks are attached: delete the banks first"]
        if section is schema.COMPANIES:
            banks = [key for key in self.record_keys(schema.BANKS)
                     if self.stored(schema.BANKS, key).get("company") == record_key]
            if banks:
                return [f"company {record_key} is linked to bank(s) {', '.join(map(str, banks))}: change or delete them first"]
        if section is schema.ACCOUNTING:
            linked = [key for key in self.record_keys(schema.COMPANIES)
                      if self.stored(schema.COMPANIES, key).get("accounting_configuration") == record_key]
            if linked:
                return [f"configuration {record_key} is used by company(ies) {', '.join(map(str, linked))}: "
                        "link them to another configuration first"]
        if record_key in section.fixed_keys:
            return [f"{record_key} cannot be deleted"]
        return []

    def clear(self, section: Section, record_key: str) -> list[Finding]:
        """Discard a record's values: a fixed record (*****) stays as an empty table, others go."""
        if record_key not in section.fixed_keys:
            return self.remove(section, record_key)

        def mutate() -> None:
            self.config.delete(record_path(section, record_key))
            self.config.ensure_table(record_path(section, record_key))

        return self._transaction(mutate)

    def move(self, section: Section, source: str, destination: str) -> list[Finding]:
        """Move a record's values to another key in one save: the source is emptied (seed 001's copy).

        Secrets are decrypted and encrypted again, since each ciphertext is bound to its key path.
        A fixed record (*****) stays, emptied and disabled; any other source record is removed.
        """
        if source == destination:
            same = Finding(format_key(record_path(section, source)), "the source and the destination are the same")
            raise ChangeRefused([same])
        if section.keys_from:
            known = set(self.listed_keys(section))
            for key in (source, destination):
                if key not in known:
                    raise ChangeRefused([Finding(format_key(record_path(section, key)), f"{key} is not a company")])
        if not self.exists(section, source) or not self.stored(section, source):
            raise ChangeRefused([Finding(format_key(record_path(section, source)), f"{source} has nothing to move")])
        values = self.values(section, source)

        def mutate() -> None:
            self.config.delete(record_path(section, destination))
            self.config.ensure_table(record_path(section, destination))
            for field in section.fields:
                value = values.get(field.key)
                if value not in (None, ""):
                    self.config.set(record_path(section, destination) + (field.key,), value, secret=field.is_secret)
            self.config.delete(record_path(section, source))
            if source in section.fixed_keys:
                self.config.ensure_table(record_path(section, source))

        return self._transaction(mutate, record_path(section, destination))

    def remove(self, section: Section, record_key: str | None) -> list[Finding]:
        """Delete a record, and what goes with it, in one save; refused while something depends on it."""
        blockers = self.blockers(section, record_key)
        if blockers:
            raise ChangeRefused([Finding(format_key(record_path(section, record_key)), b) for b in blockers])

        def mutate() -> None:
            for dependent, key in self.dependents(section, record_key):
                self.config.delete(record_path(dependent, key))
            self.config.delete(record_path(section, record_key))

        return self._transaction(mutate)

def with_fills(section: Section, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes plus the values their choices fill in, unless given explicitly."""
    expanded = dict(changes)
    for key, value in changes.items():
        fills = section.field(key).fills
        for target, filled in (fills or {}).get(value, {}).items():
            expanded.setdefault(target, filled)
    return expanded


def _character(char: str) -> str:
    if char == " ":
        return "a space"
    if not char.isprintable():
        return codepoint(char)  # named, never printed: a terminal may act on it
    return f"'{char}'"


def new_code_problem(section: Section, code: str | None, taken: Iterable[str | None] = ()) -> str | None:
    """Why `code` cannot name a new record of `section`, in words (the New dialog shows it as it is typed)."""
    if not code:
        return f"The code is empty. {section.key_help}"
    if re.fullmatch(schema.CODE_PATTERN.removeprefix("^").removesuffix("$"), code):
        if code in taken and code not in section.fixed_keys:
            return f"{section.record_noun.capitalize()} {code} already exists: pick another code."
        return None
    bad = [char for char in dict.fromkeys(code) if not re.fullmatch(r"[A-Za-z0-9_-]", char)]
    why = "it contains " + ", ".join(map(_character, bad)) if bad else f"it has {len(code)} characters"
    return f"'{visible(code)}' is not a valid code: {why}. {section.key_help}"

def trusted_certificates(editor: SettingsEditor) -> list[str]:
    """PEM texts of the certificates imported into the config."""
    return [str(record.get("pem", "")) for record in (editor.config.plain().get("certificates") or {}).values()
            if isinstance(record, dict) and record.get("pem")]
