"""The outcome of a Test: ordered steps, each with its request line, duration and diagnosis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How one step ended."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Step:
    """One check of a Test: what was asked, how long it took, what came of it."""

    name: str
    outcome: Outcome = Outcome.PASSED
    duration_ms: float = 0.0
    request: str = ""
    detail: str = ""
    diagnosis: str = ""
    # Something the admin should know although the step passed (e.g. a slow answer); "" when nothing.
    warning: str = ""

    @property
    def passed(self) -> bool:
        """True when the step succeeded."""
        return self.outcome is Outcome.PASSED


@dataclass
class TestResult:
    """Every step of one Test of one section (and company, for Chorus)."""

    __test__ = False  # not a pytest test class, despite its name

    section: str
    target: str = ""
    steps: list[Step] = field(default_factory=list)
    # The record the Test checked, as the state database keys its passes (the Chorus setup of a CHORUS Test).
    checked: str = ""
    # Something the admin may accept to go on, e.g. {"host_key": "SHA256:…"} from an unknown SFTP server.
    offer: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when at least one step ran and none failed."""
        return bool(self.steps) and all(step.outcome is not Outcome.FAILED for step in self.steps)

    @property
    def verdict(self) -> str:
        """PASSED, FAILED, or NOT CHECKED when nothing failed but the last step could not be run (no API to call)."""
        if not self.passed:
            return "FAILED"
        return "NOT CHECKED" if self.steps[-1].outcome is Outcome.SKIPPED else "PASSED"

    @property
    def warnings(self) -> list[str]:
        """The warnings of the steps, in order: a Test may pass with some."""
        return [step.warning for step in self.steps if step.warning]

    @property
    def failed_step(self) -> Step | None:
        """The step that failed, if any."""
        return next((step for step in self.steps if step.outcome is Outcome.FAILED), None)

    def to_json(self) -> dict[str, Any]:
        """A plain structure for `akadmin test --json`."""
        return {"section": self.section, "target": self.target, "passed": self.passed, "verdict": self.verdict,
                "warnings": self.warnings,
                "steps": [{**asdict(step), "outcome": str(step.outcome)} for step in self.steps]}

    def to_text(self) -> str:
        """Human-readable lines, one block per step."""
        count = len(self.warnings)
        warned = f" with {count} warning{'s' if count > 1 else ''}" if count else ""
        lines = [f"{self.section}{f' ({self.target})' if self.target else ''}: "
                 f"{self.verdict}{warned}"]
        for step in self.steps:
            mark = {"passed": "✓", "failed": "✗", "skipped": "-"}[str(step.outcome)]
            lines.append(f"  {mark} {step.name}  ({step.duration_ms:.0f} ms)")
            if step.request:
                lines.append(f"      {step.request}")
            if step.detail:
                lines.append(f"      {step.detail}")
            if step.warning:
                lines.append(f"      ⚠ {step.warning}")
            if step.diagnosis:
                lines.append(f"      → {step.diagnosis}")
        return "\n".join(lines)
