"""Batch templates and their parameters (seed 002), declared once for the schema, the forms and the runners."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .chorus_statuses import INVOICE_STATUSES, SEED_ALERT_STATUSES
from .fields import Field, Kind, Problem, Severity

DEFAULT_COMPANY = "*****"

LOG_LEVELS = ("DEBUG", "LOG", "WARN", "ERROR")
DEFAULT_LOG_LEVELS = ("LOG", "WARN", "ERROR")


def split_list(value: Any) -> list[str]:
    """The items of a semicolon list, stripped, empty ones left out."""
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.split(";") if item.strip()]


def _list_of(allowed: Collection[str], what: str, among: str = ""):
    def check(value: Any) -> str | None:
        unknown = [item for item in split_list(value) if item.upper() not in allowed]
        if unknown:
            return (f"must be {what} separated by semicolons, among {among or ', '.join(allowed)}; "
                    f"{', '.join(repr(u) for u in unknown)} is not one of them")
        return None
    return check


def _company_list(value: Any) -> str | None:
    import re

    bad = [item for item in split_list(value) if item != DEFAULT_COMPANY and not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", item)]
    if bad:
        return f"must be company codes separated by semicolons (or {DEFAULT_COMPANY} for all); {bad[0]!r} is not a code"
    return None


def _param(code: str, kind: Kind, description: str, example: str = "", check=None) -> Field:
    default = False if kind is Kind.BOOL else None
    return Field(code, code, kind, default, description, example=example, check=check)


TYPE_NAMES = {Kind.BOOL: "Boolean", Kind.SECRET: "String (secret)", Kind.EMAIL: "String (e-mail)",
              Kind.PATH: "String (folder)"}

PARAMETERS: dict[str, Field] = {f.key: f for f in (
    _param("ALERTER_RESPONSABLE_FACTURE", Kind.BOOL,
           "When the parameter is set to True, the invoice manager will be alerted by email when the invoice's "
           "CHORUS status is updated to one of the statuses specified in the LISTE_ETATS_CHORUS_A_ALERTER parameter."),
    _param("BATCH_DEBUG_PARAMS", Kind.BOOL,
           "When the parameter is set to True, details about the batch parameters are displayed in the logs "
           "(secrets masked)."),
    _param("BATCH_LOG_CONSOLE", Kind.BOOL,
           "When the parameter is set to True, logs are displayed in the console (the standard error of the "
           "host running the batch)."),
    _param("BATCH_LOG_FILE", Kind.PATH, "Name of the directory where the log file is saved.",
           "/var/log/akadmin"),
    _param("BATCH_LOG_ID", Kind.TEXT, "Log file ID: the log file is named <ID>_<date and time>.log.",
           "CHORUS_STATUS"),
    _param("BATCH_LOG_LEVEL", Kind.TEXT,
           "Log level: the levels written, separated by semicolons, among DEBUG, LOG, WARN and ERROR "
           "(errors are always written). Empty: LOG;WARN;ERROR.", "LOG;WARN",
           _list_of(LOG_LEVELS, "log levels")),
    _param("BATCH_MAIL", Kind.EMAIL, "Email address of the logs' recipient in case of an error.",
           "support@akuiteo.com"),
    _param("BATCH_MAIL_CC", Kind.EMAIL, "Email address of the logs' cc recipient in case of an error.",
           "support@akuiteo.com"),
    _param("BATCH_MAIL_CCI", Kind.EMAIL, "Email address of the logs' bcc recipient in case of an error.",
           "support@akuiteo.com"),
    _param("BATCH_MAIL_FROM", Kind.EMAIL, "Email address of the logs' sender in case of an error.",
           "support@akuiteo.com"),
    _param("BATCH_MAIL_REPLY_TO", Kind.EMAIL,
           "Email address to use when answering the email sent with the logs.", "support@akuiteo.com"),
    _param("BATCH_PWD", Kind.SECRET,
           "Password of the user who starts the batch. This password must be linked to the BATCH_USER specified."),
    _param("BATCH_USER", Kind.TEXT, "Login of the user who starts the batch."),
    _param("LISTE_ETATS_CHORUS_A_ALERTER", Kind.TEXT,
           "List of the CHORUS invoice statuses that will trigger an email alert to the invoice manager. Each "
           "status must be separated by a semicolon. The following values are available: "
           + ", ".join(SEED_ALERT_STATUSES) + "; any other CHORUS PRO invoice status (e.g. SERVICE_FAIT, "
           "PRISE_EN_COMPTE_DESTINATAIRE, A_COMPLETER) may be named too.", "REJETEE;MISE_EN_PAIEMENT",
           _list_of(INVOICE_STATUSES, "CHORUS statuses",
                    "the CHORUS PRO invoice statuses (" + ", ".join(SEED_ALERT_STATUSES) + ", SERVICE_FAIT, …)")),
    _param("LISTE_SOCIETES_A_TRAITER", Kind.TEXT,
           "List of codes of the companies concerned by the dematerialization of invoices. Each company code "
           "must be separated by a semicolon. Enter the ***** company code so the batch is executed on all the "
           "companies set up in Akuiteo.", "ACME;BETA", _company_list),
    _param("DOSSIER_PIECES_COMPTABLES", Kind.PATH,
           "Folder of the documents the ERP leaves for the accountant: one sub-folder per company code, with "
           "purchases/ (purchase invoices) and expenses/ (expense reports; in expenses/<Full Name>/ they are that "
           "person's); sales invoices come from the invoices "
           "akadmin holds, bank statements from the statement retrieval.", "/srv/akuiteo/accounting-outbox"),
    _param("DOSSIER_FACTURES_A_DEPOSER", Kind.PATH,
           "Outbox folder scanned before each transfer: one sub-folder per company code holding Factur-X PDF, "
           "UBL or CII XML files (e.g. <folder>/ACME/F-2025-001.pdf). Imported files move to <company>/imported.",
           "/srv/akuiteo/chorus-outbox"),
)}

COMMON = ("BATCH_DEBUG_PARAMS", "BATCH_LOG_CONSOLE", "BATCH_LOG_FILE", "BATCH_LOG_ID", "BATCH_LOG_LEVEL",
          "BATCH_MAIL", "BATCH_MAIL_CC", "BATCH_MAIL_CCI", "BATCH_MAIL_FROM", "BATCH_MAIL_REPLY_TO",
          "BATCH_PWD", "BATCH_USER")


@dataclass(frozen=True)
class Template:
    """A batch template: its name in the drop-down, what it does, its parameters and which are required."""

    name: str
    label: str
    description: str
    parameters: tuple[str, ...]
    required: tuple[str, ...] = ("BATCH_MAIL", "BATCH_PWD", "BATCH_USER")

    def fields(self) -> list[Field]:
        """The parameter fields of this template, in the seed's (alphabetical) order."""
        return [PARAMETERS[code] for code in sorted(self.parameters)]


CHECK_INVOICES = Template(
    "CheckFacturesClientChorus", "CHORUS statuses of invoices",
    "Retrieves the CHORUS status of the dematerialized invoices with an empty or non-final status; REJETEE sets "
    "the invoice to 3 - Transmission denied; alerts invoice managers on the chosen statuses.",
    COMMON + ("ALERTER_RESPONSABLE_FACTURE", "LISTE_ETATS_CHORUS_A_ALERTER", "LISTE_SOCIETES_A_TRAITER"),
)
CHORUS_TRANSFER = Template(
    "TransfertFacturesClientChorus", "Chorus transfer",
    "Deposits the pending invoices of the chosen companies on CHORUS PRO (deposer/flux), records each flow "
    "number, then follows the flow reports until CHORUS PRO gives each invoice its identifiantFactureCPP.",
    COMMON + ("LISTE_SOCIETES_A_TRAITER", "DOSSIER_FACTURES_A_DEPOSER"),
)
ACCOUNTING_EXPORT = Template(
    "AccountingExport", "Accounting export",
    "Delivers each linked company's new sales invoices, purchase invoices, expense reports and bank statements to "
    "its accounting package configuration, once each, and follows what became of them.",
    COMMON + ("LISTE_SOCIETES_A_TRAITER", "DOSSIER_PIECES_COMPTABLES"),
)
TEMPLATES: dict[str, Template] = {t.name: t for t in (CHECK_INVOICES, CHORUS_TRANSFER, ACCOUNTING_EXPORT)}


def type_name(field: Field) -> str:
    """The seed's name for a parameter's type."""
    return TYPE_NAMES.get(field.kind, "String")


def parameter_problems(values: Mapping[str, Any]) -> list[Problem]:
    """Required parameters of the chosen template that are missing; parameters it does not use."""
    template = TEMPLATES.get(values.get("template") or "")
    if template is None:
        return []
    problems = [Problem(code, f"'{code}' is required by the {template.name} template: "
                              f"{PARAMETERS[code].help.rstrip('.')}.")
                for code in template.required if values.get(code) in (None, "")]
    problems += [Problem(code, f"'{code}' is not a parameter of {template.name}; it is ignored.", Severity.WARNING)
                 for code in PARAMETERS if code not in template.parameters
                 and values.get(code) not in (None, "", False)]
    return problems
