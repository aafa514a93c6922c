"""Every emulator at once, loaded with the demo credentials, and a config pointed at them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..settings import schema
from ..settings.editor import SettingsEditor
from .bridge import BridgeEmulator
from .demo_config import DEMO_RECORDS
from .dropbox import DropboxEmulator
from .exact_online import ExactOnlineEmulator
from .google_maps import GoogleMapsEmulator
from .google_oauth import GoogleOAuthEmulator
from .inqom import InqomEmulator
from .microsoft import MicrosoftEmulator
from .mindee import MindeeEmulator
from .piste import PisteEmulator, PisteState, TechnicalAccount
from .server import Emulator
from .sftp import SftpSandbox
from .sirene import SireneEmulator
from .smtp import SmtpSandbox
from .universign import UniversignEmulator
from .yuki import YukiEmulator

SERVICE_ACCOUNT = "akadmin-demo@akadmin-demo.iam.gserviceaccount.com"
GMAIL_KEY_FILE = "gmail-service-account.json"


@dataclass(frozen=True)
class Received:
    """One message in the sandbox's mailbox: when it came (UTC), the way it came, and the message."""

    at: dt.datetime
    via: str  # "SMTP" or "Gmail API"
    message: EmailMessage


def _demo(section, key=None) -> dict:
    return next(values for s, k, values in DEMO_RECORDS if s is section and k == key)


def _piste_state() -> PisteState:
    state = PisteState(quota_per_second=5)  # the qualification platform's quota (seed 000)
    companies: dict = {}
    for section, key, values in DEMO_RECORDS:
        if section is schema.COMPANIES:
            companies.setdefault(key, {}).update(values)
    for section, key, values in DEMO_RECORDS:
        if section is schema.CHORUS_SPECIAL and values.get("piste_client_id"):
            state.applications[values["piste_client_id"]] = values["piste_secret"]
            company = companies.get(key, {"name": "Demo", "siret": "73282932000074"})
            state.accounts[values["chorus_login"]] = TechnicalAccount(
                values["chorus_password"], 26073616 + len(state.accounts), company["siret"], company["name"])
    return state


class Sandbox:
    """The emulators of the demo, started together on free loopback ports."""

    def __init__(self) -> None:
        exchange, universign = _demo(schema.EXCHANGE), _demo(schema.UNIVERSIGN)
        connect, google, gmail = _demo(schema.AKUITEO_CONNECT), _demo(schema.GOOGLE_API), _demo(schema.GMAIL)
        # A throwaway service-account key: the demo writes it to a key file at each start.
        self._gmail_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_pem = self._gmail_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.piste = PisteEmulator(_piste_state())
        self.sirene = SireneEmulator(_demo(schema.SIRENE)["token"])
        self.mindee = MindeeEmulator(_demo(schema.OCR)["mindee_token"])
        self.microsoft = MicrosoftEmulator(
            exchange["tenant_id"], exchange["client_id"], exchange["client_secret"],
            exchange["delegated_user"], exchange["linked_password"], {exchange["test_user"]})
        self.universign = UniversignEmulator(universign["universign_user"], universign["universign_password"],
                                             "demo-universign-api-key")
        self.bridge = BridgeEmulator(connect["bridge_client_id"], connect["bridge_client_secret"])
        self.google_maps = GoogleMapsEmulator(google["place_autocomplete_key"], google["distance_matrix_key"])
        self.google_oauth = GoogleOAuthEmulator(SERVICE_ACCOUNT, public_pem, {gmail["send_as"]})
        inqom = _demo(schema.ACCOUNTING, "INQOM")
        self.inqom = InqomEmulator(inqom["client_id"], inqom["client_secret"], inqom["username"], inqom["password"],
                                   {inqom["folder_id"]: []})
        exact, dropbox = _demo(schema.ACCOUNTING, "EXACT"), _demo(schema.ACCOUNTING, "DROPBOX")
        self.exact_online = ExactOnlineEmulator(exact["client_id"], exact["client_secret"], exact["redirect_uri"],
                                                int(exact["division"]))
        self.yuki = YukiEmulator(_demo(schema.ACCOUNTING, "YUKI")["api_key"])
        self.dropbox = DropboxEmulator(dropbox["client_id"], dropbox["client_secret"])
        sftp = _demo(schema.ACCOUNTING, "SFTP")
        self.sftp_root = Path(tempfile.mkdtemp(prefix="akadmin-sftp-"))  # what the accountant's server received
        self.sftp = SftpSandbox(sftp["username"], sftp["password"], root=self.sftp_root)
        mail = _demo(schema.MAIL)
        self.smtp = SmtpSandbox(mail["username"], mail["password"])  # keeps what it receives in .mailbox

    @property
    def emulators(self) -> dict[str, Emulator]:
        """Each emulator by name."""
        return {"piste": self.piste, "sirene": self.sirene, "mindee": self.mindee, "microsoft": self.microsoft,
                "universign": self.universign, "bridge": self.bridge, "google-maps": self.google_maps,
                "google-oauth": self.google_oauth, "inqom": self.inqom, "exact-online": self.exact_online,
                "yuki": self.yuki, "dropbox": self.dropbox}

    def start(self) -> dict[str, str]:
        """Start every emulator; returns their base URLs by name."""
        urls = {name: emulator.start() for name, emulator in self.emulators.items()}
        self.smtp.start()
        urls["smtp"] = self.smtp.address
        self.sftp.start()
        urls["sftp"] = self.sftp.address
        return urls

    def stop(self) -> None:
        """Stop every emulator."""
        for emulator in self.emulators.values():
            emulator.stop()
        self.smtp.stop()
        self.sftp.stop()
        shutil.rmtree(self.sftp_root, ignore_errors=True)

    def write_gmail_key(self, folder: Path) -> Path:
        """Write the demo service-account key file (mode 0600), its token_uri on the emulator."""
        pem = self._gmail_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
        path = folder / GMAIL_KEY_FILE
        document = {"type": "service_account", "project_id": "akadmin-demo", "private_key_id": "demo",
                    "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": "100000000000000000001",
                    "token_uri": self.google_oauth.token_url}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle)
        return path

    def point(self, editor: SettingsEditor, folder: Path) -> None:
        """Save the emulators' URLs into the config (their ports change at every start)."""
        editor.apply(schema.CHORUS, None, {"auth_url": self.piste.auth_url, "url": self.piste.api_url})
        editor.apply(schema.SIRENE, None, {"url": self.sirene.api_url})
        editor.apply(schema.OCR, None, {"mindee_rest_url": self.mindee.v1_url})
        editor.apply(schema.EXCHANGE, None, {"ews_url": self.microsoft.ews_url,
                                             "authority_url": self.microsoft.authority_url,
                                             "graph_url": self.microsoft.graph_url})
        editor.apply(schema.UNIVERSIGN, None, {"url": self.universign.rpc_url})
        editor.apply(schema.AKUITEO_CONNECT, None, {"bridge_url": self.bridge.api_url})
        editor.apply(schema.GOOGLE_API, None, {"api_url": self.google_maps.api_url,
                                               "places_url": self.google_maps.places_url,
                                               "routes_url": self.google_maps.routes_url})
        editor.apply(schema.GMAIL, None, {"credential_key_path": str(self.write_gmail_key(folder))})
        editor.apply(schema.ACCOUNTING, "INQOM", {"auth_url": self.inqom.auth_url, "documents_url": self.inqom.api_url})
        # The emulators' tokens live as long as they do: the demo is authorised afresh at each start.
        editor.apply(schema.ACCOUNTING, "EXACT", {"api_base": self.exact_online.url, "refresh_token": self.exact_online.grant()})
        editor.apply(schema.ACCOUNTING, "YUKI", {"api_base": self.yuki.url})
        # A new host key at every start: left unpinned, so Connect shows it and offers to pin it.
        editor.apply(schema.ACCOUNTING, "SFTP", {"host": self.sftp.host, "port": self.sftp.port, "host_key": ""})
        editor.apply(schema.ACCOUNTING, "DROPBOX", {"api_base": self.dropbox.url, "refresh_token": self.dropbox.grant()})
        # Plain SMTP is fine on loopback; the demo's mail server settings otherwise stay as they are.
        editor.apply(schema.MAIL, None, {"smtp_host": self.smtp.host, "smtp_port": self.smtp.port, "security": "none"})

    def mailbox(self) -> list:
        """Every message the sandbox received: by SMTP, then through the Gmail API."""
        return [m.message for m in self.smtp.mailbox] + list(self.google_oauth.sent)

    def received(self) -> list[Received]:
        """Every message the sandbox received, with when it came, oldest first."""
        by_smtp = [Received(m.received_at, "SMTP", m.message) for m in list(self.smtp.mailbox)]
        gmail = self.google_oauth
        by_gmail = [Received(dt.datetime.fromtimestamp(at, dt.UTC), "Gmail API", message)
                    for message, at in zip(list(gmail.sent), list(gmail.sent_at), strict=False)]
        return sorted(by_smtp + by_gmail, key=lambda received: received.at)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
