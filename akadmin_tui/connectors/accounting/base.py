"""What an accounting connector is: one interface for Connect, the deliveries, the sign-in and the listings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ...settings.editor import SettingsEditor
from ..probe import StepListener
from ..result import TestResult

KIND_LABELS = {"sales_invoice": "sales invoice", "purchase_invoice": "purchase invoice",
               "expense_report": "expense report", "bank_statement": "bank statement"}
DUPLICATE = "Duplicate"  # the remote status of a document the package already had


def expand(text: str, file_id: str) -> str:
    """Replace the [accounting_file_id] variable of upload paths and e-mail subjects."""
    return text.replace("[accounting_file_id]", file_id)


@dataclass(frozen=True)
class Document:
    """One document to deliver: what it is, a key that never changes for it, and its bytes."""

    kind: str
    source_key: str
    file_name: str
    content: bytes
    reference: str
    beneficiary: str = ""  # expense reports: who spent the money

    @property
    def sha256(self) -> str:
        """The content's hash, kept with the delivery."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def label(self) -> str:
        """The document in words: its kind and file name."""
        return f"{KIND_LABELS[self.kind]} {self.file_name}"


@dataclass(frozen=True)
class Delivered:
    """What the package answered about a document: its id there, its status and the status's reason."""

    remote_id: str
    status: str = ""
    reason: str = ""


@dataclass(frozen=True, eq=False)  # compared by identity: a connector may keep a session per context
class DeliveryContext:
    """What a delivery to one configuration for one company needs."""

    editor: SettingsEditor
    values: Mapping[str, Any]  # the configuration's effective values (secrets decrypted)
    client: httpx.AsyncClient
    file_id: str = ""  # the company's accounting file id
    company_name: str = ""
    sender: str = ""  # who delivers, said in e-mails (the batch's code)


class DeliveryFailed(Exception):
    """A delivery that failed, in words (never a secret).

    `retryable`: trying again later may work. `maybe_received`: the package may have the document although its
    answer was lost, so sending it again could deliver it twice.
    """

    def __init__(self, message: str, *, retryable: bool = False, maybe_received: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.maybe_received = maybe_received


class ServiceRefused(Exception):
    """A sign-in or a listing the service refused; the text says why and may be shown (never a secret)."""


class Delivery:
    """Sends one company's documents to one configuration; a connector may keep a session in its own."""

    def __init__(self, connector: AccountingConnector, context: DeliveryContext) -> None:
        self.connector = connector
        self.context = context

    async def send(self, document: Document) -> Delivered:
        """Deliver one document, or raise DeliveryFailed."""
        return await self.connector.deliver(self.context, document)


class AccountingConnector:
    """One integration's calls; a connector implements only what its service offers, the properties say which."""

    name = ""  # the integration's id in settings/accounting.py INTEGRATIONS
    notes: tuple[str, ...] = ()  # what the form says about the integration besides its fields
    paste_prompt = ""  # sign-in: what to paste from where the service sends the admin back
    traced_kinds: frozenset[str] = frozenset()  # kinds of documents find_delivered can look up
    open_statuses: frozenset[str] = frozenset()  # remote statuses of a document still being processed
    alarming_statuses: frozenset[str] = frozenset()  # remote statuses the admin must look at

    async def connect(self, editor: SettingsEditor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        """Connect's check of the service with the saved values."""
        raise NotImplementedError

    async def deliver(self, context: DeliveryContext, document: Document) -> Delivered:
        """Deliver one document, or raise DeliveryFailed."""
        raise NotImplementedError

    def open_delivery(self, context: DeliveryContext) -> Delivery:
        """What sends a company's documents, one after the other."""
        return Delivery(self, context)

    async def find_delivered(self, context: DeliveryContext, source_key: str) -> Delivered | None:
        """The package's document delivered under `source_key`, if it has one; DeliveryFailed when it cannot say."""
        raise NotImplementedError

    async def remote_status(self, context: DeliveryContext, remote_id: str) -> Delivered:
        """The package's current status of a delivered document, with its reason."""
        raise NotImplementedError

    def authorise_url(self, values: Mapping[str, Any], state: str) -> str:
        """Where the admin signs in and lets akadmin in; `state` comes back with the code when the service says it."""
        raise NotImplementedError

    def code_from(self, pasted: str, state: str | None) -> str:
        """The authorisation code in what the admin pasted."""
        return pasted

    async def exchange_code(self, values: Mapping[str, Any], code: str, client: httpx.AsyncClient) -> dict[str, Any]:
        """Trade the authorisation code for tokens; the caller saves the returned refresh_token."""
        raise NotImplementedError

    async def administrations(self, values: Mapping[str, Any], client: httpx.AsyncClient) -> list[tuple[str, str]]:
        """The (id, name) of the administrations the saved credentials reach."""
        raise NotImplementedError

    def _implements(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(AccountingConnector, method)

    @property
    def can_connect(self) -> bool:
        """True when akadmin can call the service to check the connection."""
        return self._implements("connect")

    @property
    def delivers(self) -> bool:
        """True when the AccountingExport batch can deliver to it."""
        return self._implements("deliver") or self._implements("open_delivery")

    @property
    def finds_deliveries(self) -> bool:
        """True when the package can say whether a delivery cut short arrived."""
        return self._implements("find_delivered")

    @property
    def follows_statuses(self) -> bool:
        """True when the package reports what became of a delivered document."""
        return self._implements("remote_status")

    @property
    def signs_in(self) -> bool:
        """True when akadmin must be authorised at the service (OAuth), keeping a refresh token."""
        return self._implements("authorise_url")

    @property
    def lists_administrations(self) -> bool:
        """True when the service lists the administrations to pick from."""
        return self._implements("administrations")
