"""The demo configuration: every section filled with believable values, secrets encrypted.

`python -m akadmin_tui.sandbox.demo_config sample_config.toml` regenerates the repository's
sample file; `akadmin demo` builds its working copy the same way. The demo passphrase is public
on purpose: the demo credentials only open the local emulators.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..settings import schema
from ..settings.certificates import to_pem
from ..settings.editor import SettingsEditor
from ..settings.fields import Section
from ..settings.lifecycle import init_config
from ..settings.store import ConfigFile
from ..settings.vault import ScryptParams

DEMO_PASSPHRASE = "akadmin-demo"

# (section, record key, values); secrets here are demo credentials of the local emulators.
DEMO_RECORDS: list[tuple[Section, str | None, dict[str, Any]]] = [
    (schema.COMPANIES, "ACME", {"name": "ACME Ingénierie", "siret": "73282932000074",
                                "invoice_manager_email": "factures@acme.example"}),
    (schema.ACCOUNTING, "INQOM", {
        "document_type": "invoices", "integration": "inqom", "environment": "recette",
        "client_id": "demo-inqom-client", "client_secret": "demo-inqom-secret",
        "username": "comptable@cabinet-durand.example", "password": "demo-inqom-password", "folder_id": "48213",
        "terms_accepted": True,
    }),
    (schema.ACCOUNTING, "SFTP", {
        "document_type": "invoices", "integration": "sftp", "host": "sftp.cabinet-durand.example", "port": 22,
        "username": "acme", "password": "demo-sftp-password", "upload_path": "Invoice_import/[accounting_file_id]/",
        "create_upload_path": True, "terms_accepted": True,
    }),
    (schema.ACCOUNTING, "EMAIL", {
        "document_type": "bank_statements", "integration": "email",
        "recipient_email": "releves@cabinet-durand.example", "terms_accepted": True,
    }),
    (schema.ACCOUNTING, "EXACT", {
        "document_type": "invoices", "integration": "exact_online", "country": "nl",
        "client_id": "demo-exact-client", "client_secret": "demo-exact-secret",
        "redirect_uri": "https://localhost/akadmin", "division": "3401789", "terms_accepted": True,
    }),
    (schema.ACCOUNTING, "YUKI", {
        "document_type": "invoices", "integration": "yuki", "api_key": "demo-yuki-domain-key",
        "administration": "ACME Ingénierie B.V.", "terms_accepted": True,
    }),
    (schema.ACCOUNTING, "DROPBOX", {
        "document_type": "invoices", "integration": "dropbox", "client_id": "demo-dropbox-app",
        "client_secret": "demo-dropbox-secret", "terms_accepted": True,
    }),
    (schema.COMPANIES, "ACME", {"share_documents": True, "accounting_configuration": "INQOM",
                                "accounting_file_id": "ACME-2026"}),
    (schema.COMPANIES, "BETA", {"name": "Beta Conseil", "siret": "55210055400013",
                                "invoice_manager_email": "compta@beta-conseil.example"}),
    (schema.CHORUS, None, {
        "active": True, "environment": "qualification",
        "auth_url": schema.CHORUS_ENVIRONMENTS["qualification"]["auth_url"],
        "url": schema.CHORUS_ENVIRONMENTS["qualification"]["url"],
        "akuiteo_user": "TECH_AKUITEO", "akuiteo_password": "demo-akuiteo-password",
        "akuiteo_company_code": "ACME", "max_calls_per_second": 1,
    }),
    (schema.CHORUS_SPECIAL, "ACME", {
        "enabled": True, "piste_client_id": "demo-acme-client", "piste_secret": "demo-acme-secret",
        "chorus_login": "TECH_1_ACME@cpro.fr", "chorus_password": "demo-acme-chorus", "id": "AKUITEO-ACME",
    }),
    (schema.EXCHANGE, None, {
        "delegated_user": "akuiteo.sync@acme.example", "linked_password": "demo-exchange-password",
        "ews_url": "https://outlook.office365.com/EWS/exchange.asmx", "use_impersonation": True,
        "test_user": "jeanne.martin@acme.example", "use_graph": True,
        "tenant_id": "11111111-2222-3333-4444-555555555555",
        "client_id": "66666666-7777-8888-9999-000000000000", "client_secret": "demo-graph-secret",
        "client_secret_expires_on": dt.date(2027, 11, 1),
    }),
    (schema.UNIVERSIGN, None, {
        "enabled": True, "url": "https://api.alpha.universign.com", "universign_user": "demo@acme.example",
        "universign_password": "demo-universign-password", "akuiteo_user": "TECH_AKUITEO",
        "akuiteo_password": "demo-akuiteo-password", "signed_folder": "",
    }),
    (schema.AKUITEO_CONNECT, None, {
        "active": True, "akuiteo_user": "TECH_AKUITEO", "akuiteo_password": "demo-akuiteo-password",
        "email": "finance@acme.example", "bridge_client_id": "demo-bridge-client",
        "bridge_client_secret": "demo-bridge-secret",
    }),
    (schema.BRIDGE_USER, None, {"name": "ACME Finance", "email": "finance@acme.example",
                                "password": "demo-bridge-user-password"}),
    (schema.BANKS, "BNP-ACME", {"name": "BNP Paribas", "company": "ACME"}),
    (schema.GMAIL, None, {"credential_key_path": "c:/keys/gmail.json", "send_as": "noreply@acme.example"}),
    (schema.GOOGLE_API, None, {
        "place_autocomplete_enabled": True, "place_autocomplete_key": "demo-places-key",
        "distance_matrix_enabled": True, "distance_matrix_key": "demo-matrix-key",
    }),
    (schema.OCR, None, {
        "ocr_enabled": True, "mindee_enabled": True, "mindee_rest_url": "https://api.mindee.net",
        "mindee_token": "demo-mindee-token", "akuiteo_user": "OCR_AKUITEO", "akuiteo_password": "demo-ocr-password",
    }),
    (schema.SIRENE, None, {"enabled": True, "token": "demo-sirene-key"}),
    (schema.MAIL, None, {
        "smtp_host": "smtp.acme.example", "smtp_port": 587, "security": "starttls",
        "username": "akadmin@acme.example", "password": "demo-smtp-password", "from_address": "akadmin@acme.example",
    }),
    (schema.STATE, None, {"path": ""}),
    (schema.MANAGEMENT_RULES, None, {"google_mail": True}),
    (schema.OFFICE_AUTOMATION, None, {"email_application": "gmail"}),
    (schema.BATCHES, "CHORUS_STATUS", {
        "label": "CHORUS statuses of invoices", "template": "CheckFacturesClientChorus", "schedule": "every 1h",
        "ALERTER_RESPONSABLE_FACTURE": True, "LISTE_ETATS_CHORUS_A_ALERTER": "REJETEE;SUSPENDUE;MISE_EN_PAIEMENT",
        "LISTE_SOCIETES_A_TRAITER": "*****", "BATCH_MAIL": "support@acme.example", "BATCH_USER": "TECH_AKUITEO",
        "BATCH_PWD": "demo-batch-password", "BATCH_LOG_LEVEL": "LOG;WARN",
    }),
    (schema.BATCHES, "CHORUS_SEND", {
        "label": "Transfer invoices to CHORUS PRO", "template": "TransfertFacturesClientChorus",
        "schedule": "*/15 7-19 * * 1-5", "LISTE_SOCIETES_A_TRAITER": "ACME", "BATCH_MAIL": "support@acme.example",
        "BATCH_USER": "TECH_AKUITEO", "BATCH_PWD": "demo-batch-password",
    }),
]


def demo_authority_pem() -> str:
    """A self-signed authority certificate to show the Certificates section (its key is thrown away)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "akadmin demo"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "akadmin demo root CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return to_pem(cert)


def build_demo_config(path: Path, passphrase: str = DEMO_PASSPHRASE, scrypt: ScryptParams | None = None,
                      key_file: Path | None = None) -> ConfigFile:
    """Write a complete demo config at `path` (which must not exist) and return it opened.

    It opens with the public demo passphrase, and also with `key_file` when one is given.
    """
    config = init_config(path, passphrase=passphrase, scrypt=scrypt, key_file=key_file)
    editor = SettingsEditor(config)
    for section, record_key, values in DEMO_RECORDS:
        editor.apply(section, record_key, values)
    editor.create(schema.CERTIFICATES, "akadmin-demo-ca", {"pem": demo_authority_pem()})
    return config


def main(argv: list[str]) -> int:
    """Regenerate a sample file: `python -m akadmin_tui.sandbox.demo_config PATH`."""
    if len(argv) != 1:
        print("usage: python -m akadmin_tui.sandbox.demo_config PATH", file=sys.stderr)
        return 2
    target = Path(argv[0])
    target.unlink(missing_ok=True)
    build_demo_config(target)
    for leftover in (target.with_name(target.name + ".bak"), target.with_name(target.name + ".lock")):
        leftover.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
