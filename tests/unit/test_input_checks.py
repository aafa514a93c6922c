"""Issue 12: input checks of the command line and of the shared validation (choices, stdin secrets, bidi, pipes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from akadmin_tui.batches.queries.runs import add_log_line, start_run
from akadmin_tui.batches.state import StateStore, state_path_for
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.accounting import INTEGRATIONS
from akadmin_tui.settings.store import ConfigFile
from akadmin_tui.settings.validate import MAX_SECRET, FieldError, parse_text, validate_document

PASS = DEMO_PASSPHRASE + "\n"
ENVIRONMENT = "interfaces.chorus.environment"
SECRET = "interfaces.chorus.akuiteo_password"


def demo_args(demo_path: Path) -> list[str]:
    return ["--config", str(demo_path), "--passphrase-stdin"]


def key_args(config_path: Path, key_file: Path) -> list[str]:
    return ["--config", str(config_path), "--key-file", str(key_file)]


# --- 1. choice fields -----------------------------------------------------------------------------

def test_an_empty_choice_is_refused_naming_the_choices(akadmin, config_path: Path, key_file: Path) -> None:
    code, _, err = akadmin("config", "set", ENVIRONMENT, "", *key_args(config_path, key_file))
    assert code == 2
    assert "production, qualification" in err and "empty" in err
    assert akadmin("config", "get", ENVIRONMENT, *key_args(config_path, key_file))[1] == "production\n"


def test_an_empty_choice_is_refused_by_the_console_parser_too() -> None:
    with pytest.raises(FieldError, match="one of production, qualification"):
        parse_text(schema.CHORUS.field("environment"), "  ")


def test_check_reports_an_empty_or_unknown_choice_already_in_the_file(akadmin, config_path: Path,
                                                                    key_file: Path) -> None:
    config = ConfigFile.load(config_path, key_file=key_file)
    config.set(("interfaces", "chorus", "environment"), "")
    config.set(("interfaces", "exchange", "server_version"), "Exchange1999")
    config.save()
    code, _, err = akadmin("check", *key_args(config_path, key_file))
    assert code == 2
    assert f"{ENVIRONMENT}: 'Environment' must be one of production, qualification" in err
    assert "interfaces.exchange.server_version" in err and "Exchange1999" in err


# --- 2. values from --stdin, control and bidi characters ------------------------------------------

def test_a_secret_of_several_lines_is_refused(akadmin, config_path: Path, key_file: Path) -> None:
    code, _, err = akadmin("config", "set", SECRET, "--stdin", *key_args(config_path, key_file),
                           stdin="first\nsecond\n")
    assert code == 2 and "expected one line" in err and "2 lines" in err
    assert "first" not in err and "second" not in err
    assert akadmin("config", "get", SECRET, "--reveal", *key_args(config_path, key_file))[1] == "\n"


def test_a_secret_with_one_trailing_newline_or_none_is_taken(akadmin, config_path: Path, key_file: Path) -> None:
    base = key_args(config_path, key_file)
    assert akadmin("config", "set", SECRET, "--stdin", *base, stdin="hunter2\n")[0] == 0
    assert akadmin("config", "get", SECRET, "--reveal", *base)[1] == "hunter2\n"
    assert akadmin("config", "set", SECRET, "--stdin", *base, stdin="hunter3")[0] == 0
    assert akadmin("config", "get", SECRET, "--reveal", *base)[1] == "hunter3\n"


@pytest.mark.parametrize(("char", "name"), [("\x1b", "U+001B"), ("\x07", "U+0007"), ("\r", "U+000D"),
                                            ("\t", "U+0009"), ("\x85", "U+0085"), ("\x9b", "U+009B")])
def test_a_secret_with_a_control_character_is_refused(akadmin, config_path: Path, key_file: Path,
                                                      char: str, name: str) -> None:
    code, _, err = akadmin("config", "set", SECRET, "--stdin", *key_args(config_path, key_file),
                           stdin=f"Zq9{char}Xv7\n")
    assert code == 2 and "control character" in err and name in err
    assert "Zq9" not in err and "Xv7" not in err  # the secret itself is never echoed


def test_a_secret_is_bounded_in_length(akadmin, config_path: Path, key_file: Path) -> None:
    base = key_args(config_path, key_file)
    code, _, err = akadmin("config", "set", SECRET, "--stdin", *base, stdin="x" * (MAX_SECRET + 1) + "\n")
    assert code == 2 and f"at most {MAX_SECRET} characters" in err and str(MAX_SECRET + 1) in err
    assert akadmin("config", "set", SECRET, "--stdin", *base, stdin="x" * MAX_SECRET + "\n")[0] == 0
    assert akadmin("check", *base)[0] == 0  # the long secret's ciphertext is not judged by the clear bound


@pytest.mark.parametrize("key", ["interfaces.chorus.url", "interfaces.chorus.akuiteo_user",
                                 "interfaces.gmail.credential_key_path", "interfaces.chorus.akuiteo_company_code",
                                 "companies.ACME.accounting_configuration"])
def test_bidi_controls_are_refused_in_text_path_code_and_url_fields(akadmin, demo_path: Path, key: str) -> None:
    value = "https://erp.example/\u202eevil" if key.endswith(".url") else "abc\u202edef"
    code, _, err = akadmin("config", "set", key, value, *demo_args(demo_path), stdin=PASS)
    assert code == 2 and "U+202E" in err
    assert "\u202e" not in err  # the message names it, never prints it


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_every_bidi_override_and_isolate_is_refused(char: str) -> None:
    with pytest.raises(FieldError, match=f"U\\+{ord(char):04X}"):
        parse_text(schema.CHORUS.field("akuiteo_user"), f"login{char}")


def test_c1_controls_are_refused_in_text_fields() -> None:
    with pytest.raises(FieldError, match="U\\+009B"):
        parse_text(schema.CHORUS.field("akuiteo_user"), "login\x9b31m")


def test_check_names_a_bidi_control_in_a_record_code(config_path: Path, key_file: Path) -> None:
    config = ConfigFile.load(config_path, key_file=key_file)
    config.set(("companies", "AC\u202eME", "name"), "Acme")
    findings = [str(f) for f in validate_document(config.plain())]
    assert any("U+202E" in f for f in findings), findings


# --- 3. invoices list --status --------------------------------------------------------------------

def test_an_unknown_invoice_status_is_a_usage_error(akadmin, demo_path: Path) -> None:
    code, out, err = akadmin("invoices", "list", "--status", "bogus", *demo_args(demo_path), stdin=PASS)
    assert code == 2 and out == ""
    assert "bogus" in err and "REJETEE" in err and "MISE_EN_PAIEMENT" in err


def test_a_known_invoice_status_is_accepted_in_any_case(akadmin, demo_path: Path) -> None:
    code, out, _ = akadmin("invoices", "list", "--status", "rejetee", *demo_args(demo_path), stdin=PASS)
    assert code == 0 and "invoice(s)" in out


# --- 4. config get prints the fields that apply ---------------------------------------------------

def test_config_get_of_an_accounting_configuration_shows_only_its_integration_fields(akadmin, demo_path: Path) -> None:
    code, out, _ = akadmin("config", "get", "interfaces.accounting.EMAIL", "--json", *demo_args(demo_path), stdin=PASS)
    assert code == 0
    table = json.loads(out)
    assert set(table) == {"document_type", "integration", "terms_accepted", *INTEGRATIONS["email"].fields}
    assert None not in table.values()
    code, out, _ = akadmin("config", "get", "interfaces.accounting.EMAIL", *demo_args(demo_path), stdin=PASS)
    assert code == 0
    assert [line.split(" = ")[0] for line in out.splitlines()] == list(table)
    assert "null" not in out


def test_config_get_of_every_accounting_configuration(akadmin, demo_path: Path) -> None:
    api_base = "http://127.0.0.1:9/exact"
    set_base = ("config", "set", "interfaces.accounting.EXACT.api_base", api_base)
    assert akadmin(*set_base, *demo_args(demo_path), stdin=PASS)[0] == 0
    code, out, _ = akadmin("config", "get", "interfaces.accounting", "--json", *demo_args(demo_path), stdin=PASS)
    assert code == 0
    tables = json.loads(out)
    assert set(tables["SFTP"]) >= {"host", "port", "private_key_path"} and "folder_id" not in tables["SFTP"]
    assert "host" not in tables["INQOM"] and "folder_id" in tables["INQOM"]
    assert tables["EXACT"]["api_base"] == api_base  # the sandbox's emulator address is shown where it is set
    assert "api_base" not in tables["EMAIL"]


# --- 5. a reader that closes early ----------------------------------------------------------------

def test_a_reader_that_closes_early_ends_the_command_quietly(demo_path: Path) -> None:
    config = ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE)
    state = StateStore(state_path_for(demo_path, config.plain()))
    run_id = start_run(state, code="CHORUS_STATUS", template="CheckFacturesClientChorus", trigger="command",
                       started_by="test", host="test", started_at="2026-01-05T10:00:00+00:00")
    for seq in range(4000):  # far more than a pipe buffers, so the command is still writing when the reader leaves
        add_log_line(state, run_id=run_id, seq=seq, at="2026-01-05T10:00:00+00:00", level="LOG",
                     text=f"line {seq} " + "x" * 60)
    state.close()
    command = [sys.executable, "-m", "akadmin_tui.cli", "batch", "log", str(run_id), *demo_args(demo_path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        child.stdin.write(PASS.encode())
        child.stdin.close()
        first = child.stdout.readline()
        child.stdout.close()
        err = child.stderr.read().decode()
        child.wait(30)
    assert first.startswith(b"Run ")
    assert err == ""
    assert child.returncode == 141
