"""Octopus: no API to call, but each dossier has a mailbox that takes documents by e-mail."""

from __future__ import annotations

from .base import AccountingConnector, Delivered, DeliveryContext, Document
from .email import mail_document


class OctopusConnector(AccountingConnector):
    """Documents by e-mail to the dossier's mailbox (Connect cannot check it: the first delivery does)."""

    name = "octopus"

    async def deliver(self, context: DeliveryContext, document: Document) -> Delivered:
        return await mail_document(context, document, str(context.values.get("mailbox_email")))


CONNECTOR = OctopusConnector()
