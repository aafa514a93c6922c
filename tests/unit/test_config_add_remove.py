"""Records added and removed from the shell, validated and confirmed as in the console."""

from __future__ import annotations

from pathlib import Path

from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.store import ConfigFile

GOOD_SIRET = "73282932000074"  # passes the Luhn check (the demo's ACME)


def cli(akadmin, key: Path, config: Path, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    return akadmin(*argv, "--config", str(config), "--key-file", str(key), stdin=stdin)


def test_a_server_is_provisioned_from_a_shell_script(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "config.toml", tmp_path / "akadmin.key"
    assert akadmin("init", "--config", str(config), "--key-file", str(key))[0] == 0
    steps = [
        ("config", "add", "companies.DELTA", "--set", "name=Delta SA", "--set", f"siret={GOOD_SIRET}"),
        ("config", "add", "special_parameters.chorus.DELTA", "--set", "piste_client_id=delta-client",
         "--set", "chorus_login=TECH_DELTA"),
        ("config", "set", "special_parameters.chorus.DELTA.piste_secret", "--stdin"),
    ]
    for argv in steps:
        code, _, err = cli(akadmin, key, config, *argv, stdin="piste-secret-of-delta\n")
        assert code == 0, (argv, err)
    opened = SettingsEditor(ConfigFile.load(config, key_file=key))
    assert opened.values(schema.COMPANIES, "DELTA")["name"] == "Delta SA"
    assert opened.values(schema.CHORUS_SPECIAL, "DELTA")["piste_secret"] == "piste-secret-of-delta"
    assert "piste-secret-of-delta" not in config.read_text()


def test_bad_records_are_refused_with_exit_2_and_nothing_written(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "config.toml", tmp_path / "akadmin.key"
    akadmin("init", "--config", str(config), "--key-file", str(key))
    before = config.read_bytes()
    for argv, said in [
        (("config", "add", "companies.DELTA", "--set", "siret=123"), "siret"),
        (("config", "add", "companies.bad code"), "it contains a space"),
        (("config", "add", "companies.DELTA", "--set", "nope=1"), "expected FIELD=VALUE"),
        (("config", "add", "special_parameters.chorus.DELTA", "--set", "piste_secret=x"), "never taken from the command line"),
        (("config", "add", "interfaces.chorus"), "names no record"),
        (("config", "set", "companies.NOPE.name", "x"), "config add companies.NOPE"),
        (("config", "remove", "companies.NOPE", "--yes"), "no such company"),
    ]:
        code, _, err = cli(akadmin, key, config, *argv)
        assert code == 2 and said in err, (argv, code, err)
    assert config.read_bytes() == before


def test_remove_asks_yes_and_takes_the_companys_chorus_setup_with_it(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "config.toml", tmp_path / "akadmin.key"
    akadmin("init", "--config", str(config), "--key-file", str(key))
    cli(akadmin, key, config, "config", "add", "companies.DELTA", "--set", "name=Delta SA")
    cli(akadmin, key, config, "config", "add", "special_parameters.chorus.DELTA")
    code, _, err = cli(akadmin, key, config, "config", "remove", "companies.DELTA")
    assert code == 2 and "--yes" in err and "special_parameters.chorus.DELTA" in err
    code, _, err = cli(akadmin, key, config, "config", "remove", "companies.DELTA", "--yes")
    assert code == 0, err
    opened = SettingsEditor(ConfigFile.load(config, key_file=key))
    assert not opened.exists(schema.COMPANIES, "DELTA") and not opened.exists(schema.CHORUS_SPECIAL, "DELTA")


def test_a_batch_with_its_secret_and_an_accounting_configuration_are_added(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "config.toml", tmp_path / "akadmin.key"
    akadmin("init", "--config", str(config), "--key-file", str(key))
    code, _, err = cli(akadmin, key, config, "config", "add", "batches.CHK", "--set", "label=CHORUS statuses",
                       "--set", "template=CheckFacturesClientChorus", "--set", "schedule=every 1h",
                       "--set", "BATCH_MAIL=support@acme.example", "--set", "BATCH_USER=batch",
                       "--secret-stdin", "BATCH_PWD", stdin="the batch password\n")
    assert code == 0, err
    code, _, err = cli(akadmin, key, config, "config", "add", "interfaces.accounting.ONEA", "--set", "integration=onea")
    assert code == 2 and "'API key' is required for Onea" in err  # the integration's own rules, as in the console
    code, _, err = cli(akadmin, key, config, "config", "add", "interfaces.accounting.ONEA", "--set", "integration=onea",
                       "--secret-stdin", "api_key", stdin="onea-api-key\n")
    assert code == 0, err
    opened = SettingsEditor(ConfigFile.load(config, key_file=key))
    assert opened.values(schema.BATCHES, "CHK")["BATCH_PWD"] == "the batch password"
    assert opened.exists(schema.ACCOUNTING, "ONEA")
    assert "the batch password" not in config.read_text()
    code, _, err = cli(akadmin, key, config, "config", "add", "batches.CHK2", "--secret-stdin", "label", stdin="x\n")
    assert code == 2 and "not a secret" in err
