"""The schema is consistent, and what is generated from it (README, sample) is up to date."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from akadmin_tui.readme import BLOCKS, block_of
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.fields import Kind, Severity, Shape
from akadmin_tui.settings.store import ConfigFile
from akadmin_tui.settings.validate import check_value, records_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("section", schema.SECTIONS, ids=lambda s: s.id)
def test_fields_are_unique_and_defaults_valid(section) -> None:
    keys = [f.key for f in section.fields]
    assert len(keys) == len(set(keys))
    for field in section.fields:
        assert field.label and field.help, field.key
        if field.default not in (None, ""):
            check_value(field, field.default)
        if field.kind is Kind.CHOICE and field.choices_from is None:  # a pick-list of records has no fixed default
            assert field.default in field.choices


def test_the_file_format_names_of_the_issue_are_kept() -> None:
    tables = {s.id: ".".join(s.table) for s in schema.SECTIONS}
    assert tables["chorus"] == "interfaces.chorus"
    assert tables["sirene"] == "configuration.sirene"
    assert tables["chorus_special"] == "special_parameters.chorus"
    assert tables["bridge_user"] == "interfaces.akuiteo_connect.bridge_user"
    assert tables["banks"] == "interfaces.akuiteo_connect.banks"
    assert [f.key for f in schema.CHORUS_SPECIAL.fields] == [
        "enabled", "piste_client_id", "piste_secret", "chorus_login", "chorus_password", "id"]


def test_seed_defaults() -> None:
    chorus = schema.CHORUS.defaults()
    assert (chorus["retry_count"], chorus["retry_delay_s"], chorus["max_calls_per_second"]) == (3, 10, 20)
    for section in (schema.UNIVERSIGN, schema.AKUITEO_CONNECT):
        assert (section.defaults()["retrieval_interval_s"], section.defaults()["start_period_s"]) == (21600, 20)
    assert schema.SIRENE.defaults()["url"] == "https://api.insee.fr/api-sirene/3.11"
    assert schema.AKUITEO_CONNECT.defaults()["bridge_url"] == "https://api.bridgeapi.io"
    assert schema.MAIL.defaults()["smtp_port"] == 587


def test_locate_picks_the_longest_table() -> None:
    section, record, field = schema.locate(("interfaces", "akuiteo_connect", "bridge_user", "password"))
    assert (section.id, record, field.key) == ("bridge_user", None, "password")
    section, record, field = schema.locate(("special_parameters", "chorus", "*****", "piste_secret"))
    assert (section.id, record, field.key) == ("chorus_special", "*****", "piste_secret")
    assert schema.locate(("interfaces", "chorus", "nope")) is None


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_readme_generated_blocks_are_up_to_date(block: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert block_of(readme, block).strip() == BLOCKS[block]().strip(), "run: python -m akadmin_tui.readme README.md"


def test_sample_config_is_complete_valid_and_encrypted() -> None:
    path = ROOT / "sample_config.toml"
    config = ConfigFile.load(path, passphrase=DEMO_PASSPHRASE, read_only=True)
    editor = SettingsEditor(config)
    assert [f for f in editor.findings() if f.severity is Severity.ERROR] == []
    plain = config.plain()
    for section in schema.SECTIONS:
        records = records_of(section, plain)
        assert records, f"sample has no {section.id}"
        for record in records.values():
            if section.shape is Shape.TABLE:
                missing = [f.key for f in section.fields if f.key not in record]
                assert not missing, f"{section.id} lacks {missing}"
    text = path.read_text()
    assert "demo-akuiteo-password" not in text and "ENC[AES256_GCM," in text
    assert tomllib.loads(text)["vault"]["version"] == 1
    assert config.reveal(("interfaces", "chorus", "akuiteo_password")) == "demo-akuiteo-password"
