"""Data entry: a SIRET used twice is warned about, the pick-lists of companies and accounting configurations, new codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import ChangeRefused, SettingsEditor
from akadmin_tui.settings.fields import Kind, Severity
from akadmin_tui.settings.store import ConfigFile
from akadmin_tui.settings.validate import FieldError, effective, parse_text, record_problems, validate_document

PASS = DEMO_PASSPHRASE + "\n"
ACME_SIRET = "73282932000074"  # the demo's ACME Ingénierie
OTHER_SIRET = "55210055400013"  # the demo's Beta Conseil
BANK = ("interfaces", "akuiteo_connect", "banks")


def demo_args(demo_path: Path) -> list[str]:
    return ["--config", str(demo_path), "--passphrase-stdin"]


@pytest.fixture
def editor(config: ConfigFile) -> SettingsEditor:
    """A fresh config with two companies of their own SIRET, and two accounting configurations."""
    editor = SettingsEditor(config)
    editor.create(schema.COMPANIES, "ACME", {"name": "Acme SA", "siret": ACME_SIRET})
    editor.create(schema.COMPANIES, "BETA", {"name": "Beta SAS", "siret": OTHER_SIRET})
    editor.create(schema.ACCOUNTING, "MAILBOX", {"integration": "email", "recipient_email": "books@example.com"})
    editor.create(schema.ACCOUNTING, "SPARE", {"integration": "bocount", "document_type": "bank_statements"})
    return editor


def findings_at(editor: SettingsEditor, where: str) -> list:
    return [f for f in editor.findings() if f.where == where]


# --- 1. a SIRET used by two companies --------------------------------------------------------------

def test_a_siret_of_another_company_is_saved_with_a_warning_naming_that_company(editor: SettingsEditor) -> None:
    editor.create(schema.COMPANIES, "GAMMA", {"name": "Gamma"})
    editor.create(schema.COMPANIES, "DELTA", {"name": "Delta"})  # two companies without a SIRET are no duplicate
    assert [f for f in editor.findings() if f.where.endswith(".siret")] == []
    warnings = editor.apply(schema.COMPANIES, "BETA", {"siret": ACME_SIRET})
    assert editor.stored(schema.COMPANIES, "BETA")["siret"] == ACME_SIRET  # a warning: the save goes through
    [warning] = [w for w in warnings if w.where == "companies.BETA.siret"]
    assert warning.severity is Severity.WARNING
    assert "ACME" in warning.message and "Acme SA" in warning.message and ACME_SIRET in warning.message
    # Both companies are flagged, each naming the other; nothing of it is an error.
    [other] = findings_at(editor, "companies.ACME.siret")
    assert other.severity is Severity.WARNING and "BETA" in other.message and "Beta SAS" in other.message
    assert [f for f in editor.findings() if f.severity is Severity.ERROR] == []


def test_the_duplicate_is_found_from_the_values_being_typed(editor: SettingsEditor) -> None:
    """The forms judge what is typed, before it is saved: the rule compares it with the document."""
    plain = editor.config.plain()
    values = effective(schema.COMPANIES, {"name": "Beta SAS", "siret": ACME_SIRET})
    [problem] = record_problems(schema.COMPANIES, values, plain, "BETA")
    assert (problem.field_key, problem.severity) == ("siret", Severity.WARNING) and "ACME (Acme SA)" in problem.message
    # The company's own stored SIRET is not a duplicate of itself.
    assert record_problems(schema.COMPANIES, effective(schema.COMPANIES, {"name": "A", "siret": ACME_SIRET}), plain,
                           "ACME") == []


def test_check_and_config_set_print_the_duplicate_siret(akadmin, demo_path: Path) -> None:
    code, _, err = akadmin("config", "set", "companies.BETA.siret", ACME_SIRET, *demo_args(demo_path), stdin=PASS)
    assert code == 0
    assert "warning: companies.BETA.siret: SIRET 73282932000074 is already the SIRET of company ACME (ACME Ingénierie)" in err
    code, _, err = akadmin("check", *demo_args(demo_path), stdin=PASS)
    assert code == 0  # warnings only
    assert "warning: companies.BETA.siret:" in err and "ACME (ACME Ingénierie)" in err
    assert "warning: companies.ACME.siret:" in err and "BETA (Beta Conseil)" in err


# --- 2. choices computed from the document ------------------------------------------------------------

def test_the_bank_company_and_the_accounting_software_are_pick_lists_of_records(editor: SettingsEditor) -> None:
    plain = editor.config.plain()
    company = schema.BANKS.field("company")
    software = schema.COMPANIES.field("accounting_configuration")
    assert company.kind is Kind.CHOICE and software.kind is Kind.CHOICE
    assert company.choice_labels(plain) == {"ACME": "ACME — Acme SA", "BETA": "BETA — Beta SAS"}
    assert list(software.choice_labels(plain)) == ["MAILBOX", "SPARE"]
    assert software.choice_labels(plain)["MAILBOX"].startswith("MAILBOX — Email")
    # They follow the document: a new company is offered at once.
    editor.create(schema.COMPANIES, "GAMMA", {"name": "Gamma"})
    assert list(company.choice_labels(editor.config.plain())) == ["ACME", "BETA", "GAMMA"]


def test_a_value_outside_the_list_is_an_error_naming_the_valid_ones(editor: SettingsEditor) -> None:
    editor.create(schema.BRIDGE_USER, None, {"name": "Finance", "email": "finance@example.com", "password": "pw"})
    with pytest.raises(ChangeRefused) as refused:
        editor.create(schema.BANKS, "B1", {"name": "Bank", "company": "ZZZ"})
    assert "must be one of ACME, BETA (Companies); got 'ZZZ'" in str(refused.value)
    with pytest.raises(ChangeRefused) as refused:
        editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "NOPE"})
    assert "must be one of MAILBOX, SPARE (Accounting packages), or empty; got 'NOPE'" in str(refused.value)
    # Values that name a record are valid, and the optional one may stay empty; the required one may not.
    editor.create(schema.BANKS, "B1", {"name": "Bank", "company": "BETA"})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": "SPARE"})
    editor.apply(schema.COMPANIES, "ACME", {"accounting_configuration": ""})
    assert [f for f in editor.findings() if f.severity is Severity.ERROR] == []
    problems = record_problems(schema.BANKS, {"name": "Bank", "company": ""}, editor.config.plain(), "B2")
    assert [p.message for p in problems] == ["'Company' is required."]


def test_a_dangling_reference_in_the_file_is_an_error_naming_the_valid_ones(editor: SettingsEditor) -> None:
    plain = editor.config.plain()
    plain["companies"]["ACME"]["accounting_configuration"] = "GONE"
    messages = [str(f) for f in validate_document(plain) if f.severity is Severity.ERROR]
    assert messages == ["companies.ACME.accounting_configuration: 'Accounting software' must be one of MAILBOX, SPARE "
                        "(Accounting packages), or empty; got 'GONE'."]


def test_parsing_takes_the_computed_choices_when_given() -> None:
    field = schema.BANKS.field("company")
    assert parse_text(field, " ACME ", ["ACME", "BETA"]) == "ACME"
    with pytest.raises(FieldError, match="one of ACME, BETA"):
        parse_text(field, "acme", ["ACME", "BETA"])  # codes are not matched regardless of case
    with pytest.raises(FieldError, match="there is none yet"):
        parse_text(field, "ACME", [])
    assert parse_text(field, "ACME") == "ACME"  # without the document, the file's validation judges it


def test_config_set_refuses_a_company_that_is_not_configured(akadmin, demo_path: Path) -> None:
    key = "interfaces.akuiteo_connect.banks.BNP-ACME.company"
    code, _, err = akadmin("config", "set", key, "NOPE", *demo_args(demo_path), stdin=PASS)
    assert code == 2 and "refused" in err and "must be one of ACME, BETA (Companies); got 'NOPE'" in err
    assert akadmin("config", "set", key, "BETA", *demo_args(demo_path), stdin=PASS)[0] == 0
    reloaded = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    assert reloaded.get((*BANK, "BNP-ACME", "company")) == "BETA"


# --- 3. the code of a new record -----------------------------------------------------------------

@pytest.mark.parametrize(("code", "words"), [
    ("", "The code is empty"),
    ("AC ME", "it contains a space"),
    ("ACME/2", "it contains '/'"),
    ("AC\u202eME", "it contains U+202E"),
    ("X" * 21, "it has 21 characters"),
    ("ACME", "Company ACME already exists"),
])
def test_a_new_code_is_refused_saying_what_is_wrong(editor: SettingsEditor, code: str, words: str) -> None:
    problem = editor.code_problem(schema.COMPANIES, code)
    assert problem is not None and words in problem
    assert "\u202e" not in problem  # an invisible character is named, never printed
    with pytest.raises(ChangeRefused, match="already exists" if code == "ACME" else "code"):
        editor.create(schema.COMPANIES, code, {"name": "Someone"})


def test_a_free_code_is_accepted(editor: SettingsEditor) -> None:
    assert editor.code_problem(schema.COMPANIES, "GAMMA-2") is None
    editor.create(schema.COMPANIES, "GAMMA-2", {"name": "Gamma", "siret": "44306184100047"})
    assert editor.stored(schema.COMPANIES, "GAMMA-2")["siret"] == "44306184100047"
