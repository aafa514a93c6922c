"""Accounting packages (seeds 003 and 004): the integrations, their fields, and which ones each needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fields import Field, Kind, Problem

INVOICES, BANK_STATEMENTS = "invoices", "bank_statements"
DOCUMENT_TYPES = {INVOICES: "Invoice export for the accounting", BANK_STATEMENTS: "Bank statement export for the accounting"}
UBL_FORMATS = ("e-FFF 3.0", "UBL 2.1", "Peppol BIS Billing 3.0")
EXACT_COUNTRIES = ("nl", "be", "de", "co.uk", "com", "es", "fr")
INQOM_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "production": {"auth_url": "https://auth.inqom.com/identity/connect/token",
                   "api_url": "https://wa-fred-accounting-documents-prod.azurewebsites.net"},
    "recette": {"auth_url": "https://staging-auth.inqom.com/identity/connect/token",
                "api_url": "https://wa-fred-accounting-documents-staging.azurewebsites.net"},
}
DEFAULT_UPLOAD_PATH = "Invoice_import/"


def _field(key: str, label: str, kind: Kind, help_text: str, default: Any = None, **extra: Any) -> Field:
    return Field(key, label, kind, default, help_text, **extra)


# Every field any integration uses, once; an integration lists the ones it shows and requires.
FIELDS: dict[str, Field] = {f.key: f for f in (
    _field("username", "User name", Kind.TEXT, "The login of the account in the accounting software (for Inqom: the "
           "e-mail address of the access account, which needs read rights on the folder)."),
    _field("password", "Password", Kind.SECRET, "The password of that account."),
    _field("api_url", "API URL", Kind.URL, "Count-e: the URL where the Count-e API instance of this account is reached."),
    _field("database", "Database", Kind.TEXT, "Count-e: the database of this account."),
    _field("customer_number", "Customer number", Kind.TEXT,
           "Count-e: the customer number shown under the company's name (Settings > Company settings > Company profile)."),
    _field("recipient_email", "Recipient e-mail", Kind.EMAIL,
           "Email: the address that receives the bank statements or invoices."),
    _field("mailbox_email", "Dossier mailbox e-mail", Kind.EMAIL,
           "Octopus: the 'Mailbox' of the dossier (Octopus Accounting > Manage > Dossiers > the dossier's details)."),
    _field("api_key", "API key", Kind.SECRET,
           "Onea: the dossier's API key (the key icon in the company settings). PingWin: the key in the file "
           "parameters. Yuki: an API key of type Domain (yukiworks > Settings > Web services)."),
    _field("clid", "CLID", Kind.TEXT, "PingWin: the identifier PingWin's support gives."),
    _field("file_id", "File ID", Kind.TEXT, "PingWin: File parameters > File information, top right."),
    _field("administration", "Administration", Kind.TEXT,
           "The administration to deliver to (Lyanthe, Zenvoices; Yuki: one of those its API lists at Connect)."),
    _field("host", "Host", Kind.TEXT, "SFTP: the host name or IP address of the SFTP server."),
    _field("port", "Port", Kind.INT, "SFTP: the port the server listens on; 22 by default.", 22, minimum=1, maximum=65535),
    _field("upload_path", "Upload path", Kind.TEXT,
           f"SFTP: where documents are uploaded; {DEFAULT_UPLOAD_PATH} when empty. [accounting_file_id] is replaced by "
           "the company's accounting file id.", DEFAULT_UPLOAD_PATH),
    _field("create_upload_path", "Create the upload path when missing", Kind.BOOL,
           "SFTP: create the upload path at Connect when the server does not have it.", False),
    _field("private_key_path", "Private key file", Kind.PATH,
           "SFTP: an OpenSSH private key file (mode 0600) to log in with instead of, or besides, the password."),
    _field("private_key_passphrase", "Private key passphrase", Kind.SECRET, "SFTP: the private key's passphrase, if any."),
    _field("host_key", "Pinned host key", Kind.TEXT,
           "SFTP: the server's host key fingerprint (SHA256:…), pinned when you accept it at the first Connect. A "
           "server presenting another key is refused."),
    _field("ubl_format", "UBL format", Kind.CHOICE,
           "Dropbox, SFTP: the UBL flavour invoices are delivered in. UBL 2.1: UBL invoices as they are, CII and "
           "Factur-X invoices (BASIC, EN 16931) converted to UBL 2.1, the PDF embedded. Peppol BIS Billing 3.0, "
           "e-FFF 3.0: only UBL invoices already in that flavour, as they are. An invoice that cannot be delivered so "
           "is refused, with the reason, in the run's log. Expense reports and bank statements go as they are.",
           "UBL 2.1", choices=UBL_FORMATS),
    _field("client_id", "Client ID", Kind.TEXT,
           "Dropbox: the app key. Exact Online: the app's client ID. Inqom: the id of your API client."),
    _field("client_secret", "Client secret", Kind.SECRET,
           "Dropbox: the app secret. Exact Online: the app's client secret. Inqom: the secret of your API client."),
    _field("redirect_uri", "Redirect URI", Kind.URL,
           "Exact Online: the redirect URI registered for the app; after signing in, paste the code from the address "
           "Exact sends you to.", "https://localhost/akadmin"),
    _field("refresh_token", "Refresh token", Kind.SECRET,
           "Dropbox, Exact Online: kept (encrypted) by Connect after you authorise akadmin; not typed by hand."),
    _field("country", "Country", Kind.CHOICE, "Exact Online: the country of the account (its host start.exactonline.<country>).",
           "nl", choices=EXACT_COUNTRIES),
    _field("administrations", "Administrations", Kind.CHOICE,
           "Exact Online: share the current and future administrations. Only the last connection to Exact Online stays "
           "valid: reuse this configuration for every Exact Online integration.", "current and future",
           choices=("current and future", "current only")),
    _field("division", "Division", Kind.TEXT, "Exact Online: the division (administration) documents go to."),
    _field("environment", "Environment", Kind.CHOICE,
           "Inqom: production or recette; choosing one fills both Inqom URLs.", "production",
           choices=tuple(INQOM_ENVIRONMENTS),
           fills={env: {"auth_url": urls["auth_url"], "documents_url": urls["api_url"]}
                  for env, urls in INQOM_ENVIRONMENTS.items()}),
    _field("auth_url", "Inqom authentication URL", Kind.URL, "Inqom: the token endpoint (seed 004).",
           INQOM_ENVIRONMENTS["production"]["auth_url"]),
    _field("documents_url", "Inqom documents API URL", Kind.URL, "Inqom: the Accounting Documents API base URL (seed 004).",
           INQOM_ENVIRONMENTS["production"]["api_url"]),
    _field("folder_id", "Accounting folder ID", Kind.TEXT, "Inqom: the id of the accounting folder documents go to."),
    # Not shown in the forms: the sandbox points Exact Online, Yuki and Dropbox at its emulators with it.
    _field("api_base", "API base URL", Kind.URL,
           "Exact Online, Yuki, Dropbox: where the service is reached; empty for the real service."),
)}

@dataclass(frozen=True)
class Integration:
    """One accounting package akadmin can deliver to: its fields and which are required.

    What akadmin can do with it (Connect, deliveries, sign-in) is its connector's, in connectors/accounting/.
    """

    name: str
    label: str
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    either: tuple[str, ...] = ()  # at least one of these must be filled
    document_types: tuple[str, ...] = (INVOICES, BANK_STATEMENTS)


INTEGRATIONS: dict[str, Integration] = {i.name: i for i in (
    Integration("bocount", "BoCount"),
    Integration("count_e", "Count-e", ("username", "password", "api_url", "database", "customer_number"),
                ("username", "password", "api_url", "database", "customer_number")),
    Integration("dropbox", "Dropbox", ("ubl_format", "client_id", "client_secret", "refresh_token"),
                ("client_id", "client_secret")),
    Integration("email", "Email", ("recipient_email",), ("recipient_email",)),
    Integration("exact_online", "Exact Online", ("country", "administrations", "client_id", "client_secret",
                                                 "redirect_uri", "refresh_token", "division"),
                ("country", "client_id", "client_secret", "redirect_uri")),
    Integration("inqom", "Inqom", ("environment", "auth_url", "documents_url", "client_id", "client_secret",
                                   "username", "password", "folder_id"),
                ("auth_url", "documents_url", "client_id", "client_secret", "username", "password", "folder_id")),
    Integration("lyanthe", "Lyanthe", ("username", "password", "administration"), ("username", "password", "administration")),
    Integration("octopus", "Octopus", ("mailbox_email",), ("mailbox_email",)),
    Integration("onea", "Onea", ("api_key",), ("api_key",)),
    Integration("pingwin", "PingWin", ("api_key", "clid", "file_id"), ("api_key", "clid", "file_id")),
    Integration("sftp", "SFTP", ("host", "port", "username", "password", "private_key_path", "private_key_passphrase",
                                 "host_key", "upload_path", "create_upload_path", "ubl_format"),
                ("host", "port", "username"), either=("password", "private_key_path")),
    Integration("wings_online", "Wings Online"),
    Integration("yuki", "Yuki", ("api_key", "administration"), ("api_key",)),
    Integration("zenvoices", "Zenvoices", ("username", "password", "administration"),
                ("username", "password", "administration")),
)}


def integration_problems(values: Mapping[str, Any]) -> list[Problem]:
    """Required fields of the chosen integration, and at least one of its `either` fields (SFTP: a password or a key)."""
    integration = INTEGRATIONS.get(str(values.get("integration") or ""))
    if integration is None:
        return []
    problems = [Problem(key, f"'{FIELDS[key].label}' is required for {integration.label}.")
                for key in integration.required if values.get(key) in (None, "")]
    if integration.either and not any(values.get(key) for key in integration.either):
        ways = " or a ".join(f"'{FIELDS[key].label}'" for key in integration.either)
        problems.append(Problem(integration.either[0], f"{integration.label} needs a {ways}."))
    return problems
