"""Constructors for the cross-field rules the seeds state, with messages that name the fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .fields import AcrossCheck, Field, Problem, Rule


def _is_set(value: Any) -> bool:
    return value not in (None, "")


def required_when(targets: list[Field], switches: list[Field]) -> Rule:
    """Each target field must be filled in while any of the switches is on."""
    names = " or ".join(f"'{s.label}'" for s in switches)

    def check(values: Mapping[str, Any]) -> list[Problem]:
        if not any(values.get(s.key) is True for s in switches):
            return []
        return [
            Problem(t.key, f"'{t.label}' is required when {names} is on.")
            for t in targets
            if not _is_set(values.get(t.key))
        ]

    return Rule(
        f"{', '.join(t.label for t in targets)} required when {names} is on",
        check,
        tuple(t.key for t in targets) + tuple(s.key for s in switches),
    )


def needs(dependent: Field, prerequisite: Field) -> Rule:
    """A switch that can only be on while another switch is on."""

    def check(values: Mapping[str, Any]) -> list[Problem]:
        if values.get(dependent.key) is True and values.get(prerequisite.key) is not True:
            return [
                Problem(
                    dependent.key,
                    f"'{dependent.label}' cannot be enabled while '{prerequisite.label}' is not.",
                )
            ]
        return []

    return Rule(
        f"{dependent.label} needs {prerequisite.label}", check, (dependent.key, prerequisite.key)
    )


def at_most_when(target: Field, limit: int, condition: Field, value: Any, why: str) -> Rule:
    """An integer field bounded more tightly while another field has a given value."""

    def check(values: Mapping[str, Any]) -> list[Problem]:
        current = values.get(target.key)
        if values.get(condition.key) == value and isinstance(current, int) and current > limit:
            return [
                Problem(
                    target.key,
                    f"'{target.label}' must be at most {limit} when '{condition.label}' is "
                    f"{value} ({why}); it is {current}.",
                )
            ]
        return []

    return Rule(
        f"{target.label} at most {limit} when {condition.label} is {value}",
        check,
        (target.key, condition.key),
    )


def custom(description: str, fields: tuple[str, ...], check: Callable[[Mapping[str, Any]], list[Problem]]) -> Rule:
    """A rule with its own check function."""
    return Rule(description, check, fields)


def across_records(description: str, fields: tuple[str, ...], check: AcrossCheck) -> Rule:
    """A rule comparing a record with the other records of the document, e.g. a SIRET used by two companies."""
    return Rule(description, fields=fields, across=check)
