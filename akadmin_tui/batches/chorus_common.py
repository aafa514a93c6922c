"""What the CHORUS PRO batches share: the companies they serve, one session per PISTE account, ERP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..connectors.chorus_api import CallRules, ChorusSession
from ..connectors.registry import chorus_account
from ..settings import schema
from ..settings.batch_params import DEFAULT_COMPANY, split_list
from ..settings.resolve import resolve_chorus
from .queries import chorus
from .runtime import BatchFailure, Level, RunContext
from .state import StateStore

# ERP statuses of a dematerialized invoice; the seed names the third, the others follow its numbering.
ERP_TO_TRANSMIT = "1 - To be transmitted"
ERP_TRANSMITTED = "2 - Transmitted"
ERP_DENIED = "3 - Transmission denied"


class StateUsage:
    """The daily count of CHORUS PRO calls per account, kept in the state database (shared by processes)."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def add(self, account: str, day: str, calls: int = 1) -> int:
        """Count calls of `account` on `day`; returns the day's total."""
        return chorus.add_calls(self.state, account=account, day=day, calls=calls)

    def used(self, account: str, day: str) -> int:
        """How many calls `account` made on `day`."""
        return chorus.calls_made(self.state, account=account, day=day)


def selected_companies(ctx: RunContext) -> list[str]:
    """LISTE_SOCIETES_A_TRAITER as company codes: ***** (or an empty list) means every company."""
    known = [key for key in ctx.editor.record_keys(schema.COMPANIES) if key]
    asked = split_list(ctx.params.get("LISTE_SOCIETES_A_TRAITER"))
    if not asked or DEFAULT_COMPANY in asked:
        ctx.info(f"Companies: all ({', '.join(known) or 'none set up'})"
                 + (", as LISTE_SOCIETES_A_TRAITER is empty" if not asked else ""))
        return known
    chosen = []
    for code in asked:
        if code in known:
            chosen.append(code)
        else:
            ctx.warn(f"Company {code} of LISTE_SOCIETES_A_TRAITER is not in Companies: skipped.")
    ctx.info(f"Companies: {', '.join(chosen) or 'none'}")
    return chosen


@dataclass
class AccountGroup:
    """The companies whose invoices go through one CHORUS PRO setup, and its session."""

    setup: str
    companies: list[str] = field(default_factory=list)
    session: ChorusSession | None = None


def group_by_setup(ctx: RunContext, companies: list[str]) -> tuple[list[AccountGroup], list[tuple[str, str]]]:
    """Companies grouped by the setup resolution gives them; companies with none come back with the reason."""
    if ctx.editor.values(schema.CHORUS).get("active") is not True:
        raise BatchFailure("CHORUS PRO is not active (Third-party interfaces > Dematerialization)")
    document = ctx.editor.config.plain()
    groups: dict[str, AccountGroup] = {}
    skipped = []
    for company in companies:
        resolution = resolve_chorus(document, company)
        if resolution.setup is None:
            skipped.append((company, resolution.reason))
            continue
        if resolution.falls_back:
            ctx.warn(f"Company {company}: {resolution.reason}.")
        groups.setdefault(resolution.setup, AccountGroup(resolution.setup)).companies.append(company)
    rules = CallRules.from_settings(ctx.editor.values(schema.CHORUS))
    usage = StateUsage(ctx.state)
    for group in groups.values():
        account = chorus_account(ctx.editor, group.setup)
        group.session = ChorusSession(account, ctx.client, rules, usage=usage,
                                      log=lambda level, text: ctx.log(Level(level), text))
    return list(groups.values()), skipped
