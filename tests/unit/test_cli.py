"""The `akadmin` command: a contract scripts depend on (exit codes, messages, no secrets in argv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from akadmin_tui.settings.store import ConfigFile
from tests.conftest import TEST_PASSPHRASE


def test_init_with_a_key_file_then_check(akadmin, tmp_path: Path) -> None:
    config, key = tmp_path / "c" / "config.toml", tmp_path / "c" / "key"
    assert akadmin("init", "--config", str(config), "--key-file", str(key))[0] == 0
    assert key.stat().st_size == 32 and key.stat().st_mode & 0o777 == 0o600
    assert config.stat().st_mode & 0o777 == 0o600
    code, _, err = akadmin("check", "--config", str(config), "--key-file", str(key))
    assert code == 0 and "MAC valid, 0 error(s)" in err
    assert akadmin("init", "--config", str(config), "--key-file", str(key))[0] == 2


def test_init_with_a_passphrase_from_stdin(akadmin, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert akadmin("init", "--config", str(config), "--passphrase-stdin", stdin="a long passphrase\n")[0] == 0
    code, _, err = akadmin("check", "--config", str(config), "--passphrase-stdin", stdin="a long passphrase\n")
    assert code == 0, err
    code, _, err = akadmin("check", "--config", str(config), "--passphrase-stdin", stdin="wrong one\n")
    assert code == 2 and "wrong passphrase" in err and "Traceback" not in err


def test_defaults_come_from_the_environment(akadmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, key = tmp_path / "env.toml", tmp_path / "env.key"
    monkeypatch.setenv("AKADMIN_CONFIG", str(config))
    monkeypatch.setenv("AKADMIN_KEY_FILE", str(key))
    assert akadmin("init", "--key-file", str(key))[0] == 0
    assert akadmin("config", "get", "interfaces.chorus.retry_count")[1] == "3\n"


def test_xdg_default_locations(akadmin, isolated_environment: Path) -> None:
    xdg = isolated_environment / ".config" / "akadmin"
    assert akadmin("init", "--key-file", str(xdg / "key"))[0] == 0
    assert (xdg / "config.toml").exists()
    # The default key file is found without being named.
    assert akadmin("config", "get", "interfaces.chorus.environment")[1] == "production\n"


def test_get_and_set(akadmin, config_path: Path, key_file: Path) -> None:
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    assert akadmin("config", "set", "interfaces.chorus.retry_count", "5", *base)[0] == 0
    assert akadmin("config", "get", "interfaces.chorus.retry_count", *base)[1] == "5\n"
    code, _, err = akadmin("config", "set", "interfaces.chorus.retry_count", "11", *base)
    assert code == 2
    assert "must be a whole number from 0 to 10; got 11" in err
    assert akadmin("config", "get", "interfaces.chorus.retry_count", *base)[1] == "5\n"
    code, _, err = akadmin("config", "set", "interfaces.chorus.retry_cuont", "5", *base)
    assert code == 2 and "unknown key interfaces.chorus.retry_cuont" in err
    code, out, _ = akadmin("config", "get", "interfaces.chorus", "--json", *base)
    assert json.loads(out)["retry_count"] == 5


def test_secrets_are_never_taken_from_argv_and_print_masked(akadmin, config_path: Path, key_file: Path) -> None:
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    code, _, err = akadmin("config", "set", "interfaces.chorus.akuiteo_password", "hunter2", *base)
    assert code == 2 and "--stdin" in err and "hunter2" not in err
    assert akadmin("config", "set", "interfaces.chorus.akuiteo_password", "--stdin", *base, stdin="hunter2\n")[0] == 0
    assert "hunter2" not in config_path.read_text()
    assert akadmin("config", "get", "interfaces.chorus.akuiteo_password", *base)[1] == "********\n"
    assert akadmin("config", "get", "interfaces.chorus.akuiteo_password", "--reveal", *base)[1] == "hunter2\n"


def test_company_tables_are_addressed_by_code(akadmin, config_path: Path, key_file: Path) -> None:
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    code, _, err = akadmin("config", "set", 'special_parameters.chorus."*****".chorus_login', "TECH_1@cpro.fr", *base)
    assert code == 0, err
    assert akadmin("config", "get", "special_parameters.chorus.*****.chorus_login", *base)[1] == "TECH_1@cpro.fr\n"
    code, _, err = akadmin("config", "get", "special_parameters.chorus.ACME.chorus_login", *base)
    assert code == 1 and "does not exist" in err


def test_check_lists_every_problem_and_exits_2(akadmin, config_path: Path, key_file: Path) -> None:
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    text = config_path.read_text().replace("retry_count = 3", "retry_count = 30")
    config_path.write_text(text)
    code, _, err = akadmin("check", *base)
    assert code == 2 and "changed outside akadmin" in err and "[interfaces.chorus]" in err


def test_check_json(akadmin, demo_path: Path) -> None:
    code, out, _ = akadmin("check", "--config", str(demo_path), "--passphrase-stdin", "--json", stdin="akadmin-demo\n")
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_key_file_errors_exit_2(akadmin, config_path: Path, tmp_path: Path) -> None:
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(other))
    assert code == 2 and "wrong key file" in err


def test_rekey_rotates_and_keeps_every_secret(akadmin, config_path: Path, key_file: Path) -> None:
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    assert akadmin("config", "set", "configuration.sirene.token", "--stdin", *base, stdin="sirene-token\n")[0] == 0
    before = config_path.read_text()
    code, _, err = akadmin("rekey", "--config", str(config_path), "--passphrase-stdin", stdin=TEST_PASSPHRASE + "\n")
    assert code == 2 and "the key file is needed" in err
    code, _, err = akadmin("rekey", *base, "--passphrase-stdin", stdin=TEST_PASSPHRASE + "\n")
    assert code == 0, err
    after = config_path.read_text()
    token_line = lambda text: next(line for line in text.splitlines() if line.startswith("token = "))  # noqa: E731
    assert token_line(before) != token_line(after)
    assert akadmin("config", "get", "configuration.sirene.token", "--reveal", *base)[1] == "sirene-token\n"
    assert ConfigFile.load(config_path, passphrase=TEST_PASSPHRASE).reveal(("configuration", "sirene", "token")) == "sirene-token"


def test_rekey_manages_recipients(akadmin, config_path: Path, key_file: Path, tmp_path: Path) -> None:
    with_key = ["--config", str(config_path), "--key-file", str(key_file)]
    with_pass = ["--config", str(config_path), "--passphrase-stdin"]
    new_key = tmp_path / "second.key"
    code, _, err = akadmin("rekey", "--add-key-file", str(new_key), *with_key)
    assert code == 2 and "already has a key-file recipient" in err and not new_key.exists()

    code, _, err = akadmin("rekey", "--remove-key-file", *with_pass, stdin=TEST_PASSPHRASE + "\n")
    assert code == 0, err
    assert not (tmp_path / "config.toml.bak").exists()  # it would still open with the removed key
    code, _, err = akadmin("check", *with_key)
    assert code == 2 and "has no key-file recipient" in err

    assert akadmin("rekey", "--add-key-file", str(new_key), *with_pass, stdin=TEST_PASSPHRASE + "\n")[0] == 0
    with_new_key = ["--config", str(config_path), "--key-file", str(new_key)]
    assert akadmin("check", *with_new_key)[0] == 0
    assert akadmin("rekey", "--remove-passphrase", *with_new_key)[0] == 0
    code, _, err = akadmin("check", *with_pass, stdin=TEST_PASSPHRASE + "\n")
    assert code == 2 and "can only be opened with its key file" in err
    code, _, err = akadmin("rekey", "--remove-key-file", *with_new_key)
    assert code == 2 and "at least one recipient" in err

    # A vault without passphrase gets one; changing it later rotates the data key.
    code, _, err = akadmin("rekey", "--change-passphrase", "--passphrase-stdin", *with_new_key, stdin="second passphrase\n")
    assert code == 0, err
    before = config_path.read_bytes()
    code, _, err = akadmin("rekey", "--change-passphrase", "--passphrase-stdin", *with_new_key,
                           stdin="not the current one\nthird passphrase\n")
    assert code == 2 and "wrong passphrase" in err and config_path.read_bytes() == before
    code, _, err = akadmin("rekey", "--change-passphrase", "--passphrase-stdin", *with_new_key,
                           stdin="second passphrase\nthird passphrase\n")
    assert code == 0, err
    assert akadmin("check", *with_pass, stdin="second passphrase\n")[0] == 2
    assert akadmin("check", *with_pass, stdin="third passphrase\n")[0] == 0
    assert akadmin("check", *with_new_key)[0] == 0


def test_rekey_refuses_another_key_file(akadmin, config_path: Path, key_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    code, _, err = akadmin("rekey", "--config", str(config_path), "--key-file", str(other), "--passphrase-stdin",
                           stdin=TEST_PASSPHRASE + "\n")
    assert code == 2 and "wrong key file" in err


def test_rekey_checks_the_passphrase_it_rewraps(akadmin, config_path: Path, key_file: Path) -> None:
    code, _, err = akadmin("rekey", "--config", str(config_path), "--key-file", str(key_file), "--passphrase-stdin",
                           stdin="x\n")
    assert code == 2 and "wrong passphrase" in err
    assert akadmin("check", "--config", str(config_path), "--passphrase-stdin", stdin=TEST_PASSPHRASE + "\n")[0] == 0


def test_newer_format_exits_2(akadmin, config_path: Path, key_file: Path) -> None:
    config_path.write_text(config_path.read_text().replace("version = 1", "version = 2"))
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(key_file))
    assert code == 2 and "newer akadmin" in err


def test_a_locked_file_refuses_cli_changes(akadmin, config: ConfigFile, config_path: Path, key_file: Path) -> None:
    config.lock.acquire()
    try:
        code, _, err = akadmin("config", "set", "interfaces.chorus.retry_count", "4",
                               "--config", str(config_path), "--key-file", str(key_file))
        assert code == 1 and "is being edited by" in err
    finally:
        config.lock.release()


def test_the_console_script_runs_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "akadmin_tui.cli", "check", "--config", str(tmp_path / "none.toml")],
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    console = subprocess.run([sys.executable, "-m", "akadmin_tui.cli", "--config", str(tmp_path / "none.toml")],
                             capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert console.returncode == 2 and "Traceback" not in console.stderr


def test_demo_builds_its_config_and_needs_a_terminal(akadmin, isolated_environment: Path) -> None:
    code, _, err = akadmin("demo")
    demo = isolated_environment / ".local" / "state" / "akadmin" / "demo" / "config.toml"
    assert demo.exists() and "passphrase: akadmin-demo" in err
    assert code == 2 and "needs a terminal" in err
    demo.write_text(demo.read_text().replace("retry_count = 3", "retry_count = 4"))
    code, _, err = akadmin("demo")
    assert code == 2 and "changed outside akadmin" in err and "akadmin demo --reset" in err
    code, _, err = akadmin("demo", "--reset")
    assert code == 2 and "needs a terminal" in err


def test_odd_paths_and_bytes_give_messages_not_tracebacks(akadmin, config_path: Path, key_file: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    code, _, err = akadmin("check", "--config", str(not_a_dir / "x.toml"), "--key-file", str(key_file))
    assert code == 2 and "cannot be read" in err
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(not_a_dir / "k"))
    assert code == 2 and "key file" in err
    code, _, err = akadmin("check", "--config", str(config_path), "--key-file", str(tmp_path))
    assert code == 2 and "is a directory" in err
    code, _, err = akadmin("init", "--config", str(not_a_dir / "x.toml"), "--key-file", str(tmp_path / "new.key"))
    assert code in (1, 2) and "Traceback" not in err and not (tmp_path / "new.key").exists()
    assert akadmin("check", "--config", "")[0] == 2
    base = ["--config", str(config_path), "--key-file", str(key_file)]
    code, _, err = akadmin("config", "set", "interfaces.chorus.akuiteo_user", "bad\udcff", *base)
    assert code == 2 and "not valid UTF-8" in err
    code, _, err = akadmin("config", "set", "interfaces.chorus.akuiteo_password", "--stdin", *base, stdin="bad\udcff\n")
    assert code == 2 and "not valid UTF-8" in err
    code, _, err = akadmin("config", "get", "companies.NOPE", *base)
    assert code == 1 and "companies.NOPE does not exist" in err
