"""Email: Connect sends a test message, deliveries go as attachments, both the way the mail settings say (mail.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ...settings.editor import SettingsEditor
from .. import mail
from ..probe import StepListener
from ..result import TestResult
from .base import KIND_LABELS, AccountingConnector, Delivered, DeliveryContext, DeliveryFailed, Document, expand


async def mail_document(context: DeliveryContext, document: Document, recipient: str) -> Delivered:
    """Send one document to `recipient` as an attachment; the subject names the company's accounting file."""
    subject = f"[accounting_file_id] {KIND_LABELS[document.kind]} {document.reference}".strip()
    message = mail.OutgoingMail(
        to=(recipient,), subject=expand(subject, context.file_id).strip(),
        body=f"{KIND_LABELS[document.kind].capitalize()} {document.reference}, sent by akadmin "
             f"(batch {context.sender}).\n", attachments=((document.file_name, document.content),))
    try:
        where = await mail.send_mail(context.editor, message)
    except mail.MailError as error:
        raise DeliveryFailed(str(error)) from None
    return Delivered(f"e-mail to {recipient} via {where}")


class EmailConnector(AccountingConnector):
    """Documents by e-mail to the configuration's recipient."""

    name = "email"

    async def connect(self, editor: SettingsEditor, name: str, values: Mapping[str, Any], client: httpx.AsyncClient,
                      on_step: StepListener | None = None) -> TestResult:
        return await mail.connect(editor, name, dict(values), client, on_step)

    async def deliver(self, context: DeliveryContext, document: Document) -> Delivered:
        return await mail_document(context, document, str(context.values.get("recipient_email")))


CONNECTOR = EmailConnector()
