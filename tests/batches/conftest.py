"""A demo config on the sandbox, a state database, and a way to run a batch and read what it did."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from akadmin_tui.batches.execute import run_batch
from akadmin_tui.batches.invoices import import_invoice
from akadmin_tui.batches.runtime import BatchSpec
from akadmin_tui.batches.state import StateStore, invoice_files_dir
from akadmin_tui.sandbox import sample_invoices
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.schedules import Schedule
from akadmin_tui.settings.store import ConfigFile

ACME_LOGIN = "TECH_1_ACME@cpro.fr"
BATCH_PASSWORD = "batch-secret-pwd"


class Mailbox:
    """A mailer that keeps what the batches would send."""

    def __init__(self) -> None:
        self.sent = []

    async def __call__(self, editor, mail) -> str:
        self.sent.append(mail)
        return "test mailbox"


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        running.piste.state.quota_per_second = 200
        yield running


@pytest.fixture
def editor(demo_path: Path, sandbox: Sandbox) -> SettingsEditor:
    editor = SettingsEditor(ConfigFile.load(demo_path, passphrase=DEMO_PASSPHRASE))
    sandbox.point(editor, demo_path.parent)
    # Production pacing so tests do not wait a second per call; the rule caps qualification at 1/s.
    editor.apply(schema.CHORUS, None, {"environment": "production", "url": sandbox.piste.api_url,
                                       "auth_url": sandbox.piste.auth_url, "max_calls_per_second": 20,
                                       "retry_delay_s": 1})
    return editor


@pytest.fixture
def state(tmp_path: Path):
    store = StateStore(tmp_path / "state" / "akadmin.state.sqlite")
    yield store
    store.close()


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as running:
        yield running


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def check_spec(**params) -> BatchSpec:
    base = {"BATCH_USER": "TECH_AKUITEO", "BATCH_PWD": BATCH_PASSWORD, "BATCH_MAIL": "support@acme.example",
            "LISTE_SOCIETES_A_TRAITER": "*****"}
    return BatchSpec("CHECK", "Statuses", "CheckFacturesClientChorus", Schedule(""), {**base, **params})


def transfer_spec(**params) -> BatchSpec:
    base = {"BATCH_USER": "TECH_AKUITEO", "BATCH_PWD": BATCH_PASSWORD, "BATCH_MAIL": "support@acme.example",
            "LISTE_SOCIETES_A_TRAITER": "ACME"}
    return BatchSpec("SEND", "Transfer", "TransfertFacturesClientChorus", Schedule(""), {**base, **params})


async def run(spec: BatchSpec, editor, state, mailbox=None, **kwargs):
    return await run_batch(spec, editor=editor, state=state, mailer=mailbox or Mailbox(), **kwargs)


def import_samples(state: StateStore, folder: Path, numbers: list[str], company: str = "ACME",
                   manager: str = "manager@acme.example") -> None:
    """Import one UBL invoice per number."""
    for number in numbers:
        path = folder / f"{number}.xml"
        path.write_bytes(sample_invoices.ubl_invoice(number))
        outcome = import_invoice(state, path, company, manager_email=manager, data_dir=invoice_files_dir(state.path))
        assert outcome.status == "imported", outcome.message


def log_of(state: StateStore, run_id: int) -> list[tuple[str, str]]:
    return [(r["level"], r["text"]) for r in state.query("SELECT level, text FROM run_log WHERE run_id = ? ORDER BY seq",
                                                         (run_id,))]


def invoice_row(state: StateStore, number: str):
    return state.query("SELECT * FROM invoices WHERE number = ?", (number,))[0]
