"""Every kind of field and every rule of the seeds gives a message naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from akadmin_tui.settings import schema
from akadmin_tui.settings.fields import Severity
from akadmin_tui.settings.validate import (
    FieldError,
    effective,
    parse_text,
    record_problems,
    siret_is_valid,
    validate_document,
)

CHORUS = schema.CHORUS


def test_int_bounds_name_the_field_and_the_range() -> None:
    field = CHORUS.field("retry_count")
    assert parse_text(field, " 7 ") == 7
    with pytest.raises(FieldError) as error:
        parse_text(field, "11")
    assert str(error.value) == (
        "'Number of successive test runs in case of an error' must be a whole number from 0 to 10; got 11."
    )
    with pytest.raises(FieldError, match="whole number"):
        parse_text(field, "three")


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://api.piste.gouv.fr/cpro/", True),
        ("http://127.0.0.1:8443/token", True),
        ("http://localhost/x", True),
        ("http://[::1]:9000/", True),
        ("http://api.piste.gouv.fr/cpro/", False),
        ("ftp://example.com", False),
        ("api.piste.gouv.fr", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com:99999/", False),
    ],
)
def test_urls_must_be_https_except_on_loopback(url: str, ok: bool) -> None:
    field = CHORUS.field("url")
    if ok:
        assert parse_text(field, url) == url
    else:
        with pytest.raises(FieldError, match="'URL' must"):
            parse_text(field, url)


def test_plain_http_message_says_why() -> None:
    with pytest.raises(FieldError, match=r"must use https:// \(http:// is only accepted on 127.0.0.1 or localhost\)"):
        parse_text(CHORUS.field("url"), "http://api.piste.gouv.fr/cpro/")


@pytest.mark.parametrize("email, ok", [("a.b@acme.fr", True), ("a@b", False), ("no at.fr", False), ("x@@y.fr", False)])
def test_emails(email: str, ok: bool) -> None:
    field = schema.EXCHANGE.field("test_user")
    if ok:
        assert parse_text(field, email) == email
    else:
        with pytest.raises(FieldError, match="an e-mail address"):
            parse_text(field, email)


def test_siret_luhn_and_la_poste() -> None:
    assert siret_is_valid("73282932000074")
    assert not siret_is_valid("73282932000075")
    # La Poste's establishments: sum of digits divisible by 5, Luhn not required.
    assert siret_is_valid("35600000012346")
    assert not siret_is_valid("35600000012347")
    field = schema.COMPANIES.field("siret")
    assert parse_text(field, "732 829 320 00074") == "73282932000074"
    with pytest.raises(FieldError, match="fails its check digit"):
        parse_text(field, "73282932000075")
    with pytest.raises(FieldError, match="must be 14 digits"):
        parse_text(field, "7328293200007")


def test_choices_dates_booleans_and_paths() -> None:
    assert parse_text(CHORUS.field("environment"), "Qualification") == "qualification"
    with pytest.raises(FieldError, match="one of production, qualification"):
        parse_text(CHORUS.field("environment"), "staging")
    expiry = schema.EXCHANGE.field("client_secret_expires_on")
    assert parse_text(expiry, "2027-03-01") == dt.date(2027, 3, 1)
    with pytest.raises(FieldError, match="YYYY-MM-DD"):
        parse_text(expiry, "01/03/2027")
    assert parse_text(CHORUS.field("active"), "yes") is True
    # The seed's own example must be accepted as a value, even on a Linux host.
    assert parse_text(schema.GMAIL.field("credential_key_path"), "c:/keys/gmail.json") == "c:/keys/gmail.json"
    with pytest.raises(FieldError, match="single line"):
        parse_text(schema.CHORUS.field("akuiteo_user"), "a\nb")


def test_qualification_allows_at_most_one_call_per_second() -> None:
    values = effective(CHORUS, {"environment": "qualification", "max_calls_per_second": 20})
    problems = record_problems(CHORUS, values)
    assert [p.field_key for p in problems] == ["max_calls_per_second"]
    assert "at most 1" in problems[0].message and "qualification" in problems[0].message
    assert record_problems(CHORUS, effective(CHORUS, {"environment": "qualification", "max_calls_per_second": 1})) == []
    assert record_problems(CHORUS, effective(CHORUS, {"environment": "production", "max_calls_per_second": 20})) == []


def test_exchange_oauth_or_graph_needs_tenant_client_and_secret() -> None:
    section = schema.EXCHANGE
    assert record_problems(section, effective(section, {})) == []
    for switch in ("use_oauth", "use_graph"):
        problems = record_problems(section, effective(section, {switch: True}))
        assert sorted(p.field_key for p in problems) == ["client_id", "client_secret", "tenant_id"]
    complete = {"use_graph": True, "tenant_id": "t", "client_id": "c", "client_secret": "ENC[AES256_GCM,AA==]"}
    assert record_problems(section, effective(section, complete)) == []


def test_client_secret_expiry_warns_before_and_after() -> None:
    soon = dt.date.today() + dt.timedelta(days=10)
    problems = record_problems(schema.EXCHANGE, effective(schema.EXCHANGE, {"client_secret_expires_on": soon}))
    assert [(p.field_key, p.severity) for p in problems] == [("client_secret_expires_on", Severity.WARNING)]
    past = dt.date.today() - dt.timedelta(days=1)
    problems = record_problems(schema.EXCHANGE, effective(schema.EXCHANGE, {"client_secret_expires_on": past}))
    assert "expired" in problems[0].message


def test_distance_matrix_needs_place_autocomplete() -> None:
    section = schema.GOOGLE_API
    problems = record_problems(section, effective(section, {"distance_matrix_enabled": True, "distance_matrix_key": "k"}))
    assert [p.message for p in problems] == [
        "'Enable Distance Matrix API' cannot be enabled while 'Enable Place Autocomplete API' is not."
    ]


def test_small_signature_interval_is_a_warning_and_below_60_an_error() -> None:
    section = schema.UNIVERSIGN
    warn = record_problems(section, effective(section, {"retrieval_interval_s": 600}))
    assert [(p.field_key, p.severity) for p in warn] == [("retrieval_interval_s", Severity.WARNING)]
    error = record_problems(section, effective(section, {"retrieval_interval_s": 30}))
    assert [p.severity for p in error] == [Severity.ERROR]


def test_document_level_checks(config) -> None:
    plain = config.plain()
    assert [f for f in validate_document(plain) if f.severity is Severity.ERROR] == []
    plain["interfaces"]["chorus"]["retry_cuont"] = 3
    plain["interfaces"]["chorus"]["akuiteo_password"] = "clear text"
    plain["special_parameters"]["chorus"]["NOPE"] = {"enabled": False}
    plain["interfaces"]["akuiteo_connect"]["banks"] = {"B1": {"name": "Bank", "company": "ZZZ"}}
    text = "\n".join(str(f) for f in validate_document(plain))
    assert "interfaces.chorus.retry_cuont: unknown key in the Dematerialization section" in text
    assert "interfaces.chorus.akuiteo_password: holds a clear-text value" in text
    assert "special_parameters.chorus.NOPE: refers to company NOPE, which is not in [companies]" in text
    assert ("interfaces.akuiteo_connect.banks.B1.company: 'Company' must be a code of Companies, and there is none yet; "
            "got 'ZZZ'") in text
    assert "banks are attached but there is no Bridge user" in text


def test_gmail_preconditions_are_reported_as_warnings(config) -> None:
    plain = config.plain()
    plain["interfaces"]["gmail"]["credential_key_path"] = "c:/keys/gmail.json"
    findings = [f for f in validate_document(plain) if f.where == "interfaces.gmail"]
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert len(findings) == 2


@pytest.mark.parametrize("text", ["7328293200007²", "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"])
def test_only_ascii_digits_make_a_siret(text: str) -> None:
    with pytest.raises(FieldError, match="must be 14 digits"):
        parse_text(schema.COMPANIES.field("siret"), text)


def test_only_ascii_digits_make_an_int_and_a_date() -> None:
    with pytest.raises(FieldError):
        parse_text(CHORUS.field("retry_count"), "٣")
    for text in ("20261201", "2026-W48-2"):
        with pytest.raises(FieldError, match="YYYY-MM-DD"):
            parse_text(schema.EXCHANGE.field("client_secret_expires_on"), text)


def test_la_poste_follows_its_own_rule_only() -> None:
    assert siret_is_valid("35600000000048")  # the head office passes Luhn
    assert not siret_is_valid("35600000000014")  # Luhn-valid, but not by La Poste's rule


def test_urls_with_credentials_are_refused() -> None:
    with pytest.raises(FieldError, match="must not carry a user name or password"):
        parse_text(CHORUS.field("url"), "https://user:pw@api.piste.gouv.fr/cpro/")


def test_text_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(FieldError, match="valid UTF-8"):
        parse_text(CHORUS.field("akuiteo_user"), "bad\udcff")
    with pytest.raises(FieldError, match="valid UTF-8"):
        parse_text(CHORUS.field("akuiteo_password"), "bad\udcff")


def test_certificates_are_checked_and_described() -> None:
    from akadmin_tui.sandbox.demo_config import demo_authority_pem
    from akadmin_tui.settings.certificates import describe, parse_certificate

    field = schema.CERTIFICATES.field("pem")
    pem = demo_authority_pem()
    assert parse_text(field, pem) == pem.strip()
    with pytest.raises(FieldError, match=r"not an X\.509 certificate"):
        parse_text(field, "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    info = describe(parse_certificate(pem.encode()))
    assert info.is_ca and not info.expired and info.subject == "CN=akadmin demo root CA,O=akadmin demo"
