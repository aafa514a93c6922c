"""The Sandbox (demo) screen: the mailbox lists each message with its time and opens it whole; the SFTP faults."""

from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Select

from akadmin_tui.app import AkadminApp
from akadmin_tui.connectors.try_its import SAMPLE_RECEIPT
from akadmin_tui.dialogs.mail_message import MailMessageScreen
from akadmin_tui.sandbox.demo_config import DEMO_PASSPHRASE
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.screens.sandbox_view import SandboxView
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.session import ConfigOpener
from tests.waiting import settle, shown_text, wait_for_focus, wait_for_screen, wait_until

from .conftest import QUIET_CLOCK, SIZE, reload

BODY_LINES = 120  # more than any terminal shows: the message must scroll


@pytest.fixture
def sandbox(demo_path: Path):
    with Sandbox() as running:
        running.point(SettingsEditor(reload(demo_path)), demo_path.parent)
        yield running


@pytest.fixture
def tokyo_clock():
    """The host's clock on Tokyo time (UTC+9, no daylight saving): a local time cannot pass for UTC."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        yield
    time.tzset()


def app_on(demo_path: Path, sandbox: Sandbox) -> AkadminApp:
    opener = ConfigOpener(demo_path)
    return AkadminApp(opener, opener.open(DEMO_PASSPHRASE), host_name="test-host", sandbox=sandbox,
                      batch_clock=lambda: QUIET_CLOCK)


def send(sandbox: Sandbox, subject: str, body: str) -> None:
    """Mail the sandbox's SMTP server, as the batches do."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@acme.example", "finance@acme.example", subject
    message["Date"] = "Tue, 05 Mar 2030 08:15:00 +0100"
    message.set_content(body)
    with smtplib.SMTP(sandbox.smtp.host, sandbox.smtp.port, timeout=5) as smtp:
        smtp.login(sandbox.smtp.user, sandbox.smtp.password)
        smtp.send_message(message)


def mailbox_text(app: AkadminApp) -> str:
    mailbox = app.screen.query_one("#sandbox-mailbox", OptionList)
    return "\n".join(str(mailbox.get_option_at_index(i).prompt) for i in range(mailbox.option_count))


async def open_sandbox(app: AkadminApp, pilot) -> SandboxView:
    await settle(pilot)
    view = app.screen.open_section("sandbox")
    await settle(pilot)
    return view


async def test_each_message_shows_its_local_time_and_enter_opens_it_whole(demo_path, sandbox, tokyo_clock) -> None:
    await asyncio.to_thread(send, sandbox, "[akadmin] CHORUS_STATUS — failed", "\n".join(
        f"line {n} of the run log" for n in range(1, BODY_LINES + 1)))
    await asyncio.to_thread(send, sandbox, "[akadmin] STATEMENTS — ok", "Ended ok.")
    first, second = sandbox.smtp.wait_for(2)
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_sandbox(app, pilot)
        await wait_until(pilot, lambda: "STATEMENTS" in mailbox_text(app), what="the mailbox to list both messages")
        shown = mailbox_text(app).splitlines()
        tokyo = dt.timezone(dt.timedelta(hours=9))
        # Newest first, each with the time it was received on the host's clock, then who sent it to whom.
        assert shown[0] == f"{second.received_at.astimezone(tokyo):%H:%M:%S}  [akadmin] STATEMENTS — ok"
        assert shown[2] == f"{first.received_at.astimezone(tokyo):%H:%M:%S}  [akadmin] CHORUS_STATUS — failed"
        assert shown[3].strip() == "noreply@acme.example → finance@acme.example"
        assert view.query_one("#sandbox-mailbox-empty").display is False

        view.query_one("#sandbox-mailbox", OptionList).focus()
        await wait_for_focus(pilot, "#sandbox-mailbox")
        await pilot.press("down", "enter")
        await wait_for_screen(pilot, MailMessageScreen)
        text = shown_text(app.screen.query_one("#mail-text"))
        for expected in ("From: noreply@acme.example", "To: finance@acme.example",
                         "Subject: [akadmin] CHORUS_STATUS — failed", "Date: Tue, 05 Mar 2030 08:15:00 +0100",
                         f"Received: {first.received_at.astimezone(tokyo):%Y-%m-%d %H:%M:%S} (local time), by SMTP",
                         "line 1 of the run log", f"line {BODY_LINES} of the run log"):
            assert expected in text, expected
        box = app.screen.query_one("#mail-box")
        await wait_for_focus(pilot, "#mail-box")
        await pilot.press("pagedown", "pagedown")
        await wait_until(pilot, lambda: box.scroll_y > 0, what="the message to scroll")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MailMessageScreen), what="the message to close")
        await wait_for_focus(pilot, "#sandbox-mailbox")


async def test_the_cursor_stays_on_its_message_when_new_mail_arrives(demo_path, sandbox) -> None:
    await asyncio.to_thread(send, sandbox, "older", "1")
    await asyncio.to_thread(send, sandbox, "newer", "2")
    sandbox.smtp.wait_for(2)
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_sandbox(app, pilot)
        mailbox = view.query_one("#sandbox-mailbox", OptionList)
        await wait_until(pilot, lambda: mailbox.option_count == 2, what="two messages listed")
        mailbox.focus()
        await pilot.press("down")  # on "older"
        await asyncio.to_thread(send, sandbox, "newest", "3")
        sandbox.smtp.wait_for(3)
        view.refresh_mailbox()
        await wait_until(pilot, lambda: mailbox.option_count == 3, what="the third message listed")
        await pilot.press("enter")
        await wait_for_screen(pilot, MailMessageScreen)
        assert "Subject: older" in shown_text(app.screen.query_one("#mail-text"))


async def test_an_empty_mailbox_says_where_mail_comes_from(demo_path, sandbox) -> None:
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_sandbox(app, pilot)
        assert "Nothing received yet" in shown_text(view.query_one("#sandbox-mailbox-empty"))
        assert view.query_one("#sandbox-mailbox").display is False


async def test_the_sftp_fault_switch_drives_the_sftp_server(demo_path, sandbox, notes) -> None:
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_sandbox(app, pilot)
        switch = view.query_one("#sftp-fault", Select)
        assert switch.value == "none" and sandbox.sftp.fault is None
        for fault in ("auth", "read_only", "drop", "down", "none"):
            switch.value = fault
            await wait_until(pilot, lambda fault=fault: (sandbox.sftp.fault or "none") == fault, what=f"sftp {fault}")
        assert "sftp: every login refused." in notes and "sftp: server stopped." in notes
        assert sandbox.sftp.host_key_fingerprint in shown_text(view.query_one("#sandbox-sftp-key"))


async def test_the_ocr_try_it_offers_the_sample_receipt_and_reads_it(demo_path, sandbox) -> None:
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.open_section("ocr", focus=False)
        await settle(pilot)
        field = view.query_one("#try-0", Input)
        assert field.value == str(SAMPLE_RECEIPT) and SAMPLE_RECEIPT.is_file()
        field.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "CAFE DE LA GARE" in shown_text(view.query_one(".try-answer")),
                         what="the sample receipt's reading")
        assert shown_text(view.query_one(".try-answer")) == "CAFE DE LA GARE, 2024-03-14, total 42.5 (3.86 at 10.0%)"
        assert sandbox.mindee.calls[-1].body.count(SAMPLE_RECEIPT.read_bytes()) == 1


async def test_each_emulator_and_its_address_fit_on_one_line_at_120_columns(demo_path, sandbox) -> None:
    app = app_on(demo_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_sandbox(app, pilot)
        await wait_until(pilot, lambda: view.query(".sandbox-row .field-label").first().size.width > 0,
                         what="the emulators listed")
        wrapped = [str(label.render()) for label in view.query(".sandbox-row .field-label") if label.size.height > 1]
        assert not wrapped, wrapped
