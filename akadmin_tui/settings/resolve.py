"""Which CHORUS PRO setup applies to a company, and why (seed 001)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import schema
from .validate import codes_of, effective, records_of


@dataclass(frozen=True)
class ChorusResolution:
    """The setup used for a company's invoices (None: not transferred) and the reason, in words."""

    company: str | None
    setup: str | None
    reason: str

    @property
    def falls_back(self) -> bool:
        """True when a company's invoices would go through the ***** default setup."""
        return self.setup == schema.DEFAULT_COMPANY and self.company not in (None, schema.DEFAULT_COMPANY)


def resolve_chorus(document: Mapping[str, Any], company: str | None) -> ChorusResolution:
    """Apply the seed's rule: specific setup if enabled, else ***** if enabled, else nothing."""
    chorus = effective(schema.CHORUS, records_of(schema.CHORUS, document).get(None))
    if chorus.get("active") is not True:
        return ChorusResolution(company, None, "CHORUS PRO is not active (Third-party interfaces > "
                                               "Dematerialization): no invoice is transferred")
    setups = codes_of(schema.CHORUS_SPECIAL, document)
    default = setups.get(schema.DEFAULT_COMPANY, {})
    if company is None or company == schema.DEFAULT_COMPANY:
        if default.get("enabled") is True:
            return ChorusResolution(company, schema.DEFAULT_COMPANY, "the ***** default setup is enabled")
        return ChorusResolution(company, None, "the ***** default setup is not enabled")
    if company not in codes_of(schema.COMPANIES, document):
        return ChorusResolution(company, None, f"company {company} is not in Companies")
    if setups.get(company, {}).get("enabled") is True:
        return ChorusResolution(company, company, f"company {company} has its own enabled setup")
    if default.get("enabled") is True:
        return ChorusResolution(company, schema.DEFAULT_COMPANY,
                                f"company {company} has no enabled specific setup: the ***** default setup is "
                                "used, which it should not be (each company needs its own CHORUS PRO account)")
    return ChorusResolution(company, None, f"neither company {company} nor ***** has an enabled setup: "
                                           "its invoices are not transferred")
