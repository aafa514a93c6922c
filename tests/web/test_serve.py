"""`akadmin serve`: loopback only, a token on every request, and the console working in a real headless Chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from akadmin_tui.web_server import NotLoopback, loopback_address

from .cdp import Browser, chromium_path

URL = re.compile(r"(http://127\.0\.0\.1:[0-9]+)/\?token=(\S+)")


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.10", "::", "example.org", ""])
def test_addresses_off_the_loopback_are_refused(address: str) -> None:
    with pytest.raises(NotLoopback, match="ssh -L"):
        loopback_address(address)


@pytest.mark.parametrize("address, bound", [("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("localhost", "127.0.0.1")])
def test_loopback_addresses_are_taken(address: str, bound: str) -> None:
    assert loopback_address(address) == bound


def test_the_command_refuses_a_public_address(akadmin) -> None:
    code, _out, err = akadmin("serve", "--demo", "--bind", "0.0.0.0")
    assert code == 2 and "loopback only" in err


def status(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def served():
    """`akadmin serve --demo --port 0` in its own process group; yields (base address, token)."""
    process = subprocess.Popen([sys.executable, "-m", "akadmin_tui", "serve", "--demo", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = URL.search(line)
        assert match, (line, process.stderr.read() if process.poll() is not None and process.stderr else "")
        yield match.group(1), match.group(2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def test_every_request_needs_the_token(served) -> None:
    base, token = served
    assert status(f"{base}/") == 403
    assert status(f"{base}/?token=not-{token}") == 403
    assert status(f"{base}/static/js/textual.js") == 403
    assert status(f"{base}/?token={token}") == 200
    # Another site's page in the admin's browser cannot open the console's socket, token or not.
    assert status(f"{base}/ws?token={token}", Origin="http://evil.example") == 403


needs_browser = pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"),
                                   reason="chromium is not installed (tests/web/install_browser.sh installs it)")


@needs_browser
async def test_the_console_opens_in_a_real_browser_and_takes_keys(served) -> None:
    base, token = served
    async with Browser() as browser:
        page = await browser.open(f"{base}/?token={token}")
        # The console's first screen, drawn through the page's websocket: the menu and its headings.
        await page.wait_for_frame("Third-party interfaces", timeout=60)
        await page.wait_for_frame("Batches")
        seen = len(page.received)
        await page.call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
        await page.press("F1")
        await page.wait_for_frame("command palette: jump to any section", after=seen)
        assert any("\\u001bOP" in text or "\x1bOP" in text for text in page.sent), page.sent[-5:]
