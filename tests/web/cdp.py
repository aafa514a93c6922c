"""A small Chrome DevTools Protocol client: start headless Chromium, open a page, press keys, read websocket frames.

The protocol is Chromium's own (Target, Page, Network, Runtime and Input domains); aiohttp's websocket
client carries it, so the browser test needs nothing beyond Debian's chromium package.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# As the machine's notes advise: no sandbox as root, no GPU, and no background traffic (the network is closed).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--window-size=1280,800"]
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
# What xterm.js needs to turn a key event into the bytes it sends (F1 is ESC O P).
KEYS = {"F1": {"key": "F1", "code": "F1", "windowsVirtualKeyCode": 112}}


def chromium_path() -> str | None:
    """Debian's chromium, when installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """One browser tab, driven through a flat CDP session."""

    socket: aiohttp.ClientWebSocketResponse
    session: str
    received: list[str] = field(default_factory=list)  # text of the websocket frames the page got
    sent: list[str] = field(default_factory=list)  # and of those it sent
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _answers: dict[int, asyncio.Future] = field(default_factory=dict)

    async def call(self, method: str, **params: Any) -> dict:
        """Send one command to the tab and wait for its result."""
        return await call(self.socket, self._answers, self._ids, method, params, self.session)

    async def press(self, name: str) -> None:
        """A key press as a user makes it: keyDown then keyUp."""
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, **KEYS[name])

    async def type_text(self, text: str) -> None:
        """Characters typed into the focused element."""
        await self.call("Input.insertText", text=text)

    async def wait_for_frame(self, needle: str, timeout: float = 30.0, *, after: int = 0) -> str:
        """The first frame from index `after` whose text contains `needle` (the console's output)."""
        async def found() -> str:
            while True:
                for text in self.received[after:]:
                    if needle in text:
                        return text
                await asyncio.sleep(0.1)
        return await asyncio.wait_for(found(), timeout)


async def call(socket: aiohttp.ClientWebSocketResponse, answers: dict[int, asyncio.Future], ids: itertools.count,
               method: str, params: dict, session: str | None = None) -> dict:
    number = next(ids)
    message: dict[str, Any] = {"id": number, "method": method, "params": params}
    if session:
        message["sessionId"] = session
    answers[number] = asyncio.get_running_loop().create_future()
    await socket.send_json(message)
    answer = await asyncio.wait_for(answers[number], 30)
    answers.pop(number, None)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer.get("result", {})


def _frame_text(frame: dict) -> str:
    data = frame["response"]["payloadData"]
    if frame["response"].get("opcode") == 2:  # binary: base64 in the protocol
        return base64.b64decode(data).decode("utf-8", "replace")
    return data


class Browser:
    """Headless Chromium with its DevTools socket; `async with Browser() as browser: page = await browser.open(url)`."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="akadmin-chromium-")
        self._process: subprocess.Popen | None = None
        self._http: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future] = {}
        self._pages: dict[str, Page] = {}

    async def __aenter__(self) -> Browser:
        path = chromium_path()
        assert path, "chromium is not installed"
        self._process = subprocess.Popen([path, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        endpoint = await asyncio.wait_for(asyncio.to_thread(self._endpoint), 60)
        self._http = aiohttp.ClientSession()
        self._socket = await self._http.ws_connect(endpoint, max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        return self

    def _endpoint(self) -> str:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            match = LISTENING.search(line)
            if match:
                return match.group(1)
        raise RuntimeError("chromium exited before opening its DevTools socket")

    async def _read(self) -> None:
        assert self._socket is not None
        async for message in self._socket:
            data = message.json()
            if "id" in data and data["id"] in self._answers:
                self._answers[data["id"]].set_result(data)
                continue
            page = self._pages.get(data.get("sessionId", ""))
            if page is None:
                continue
            if "id" in data and data["id"] in page._answers:
                page._answers[data["id"]].set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                page.received.append(_frame_text(data["params"]))
            elif data.get("method") == "Network.webSocketFrameSent":
                page.sent.append(_frame_text(data["params"]))

    async def open(self, url: str) -> Page:
        """A new tab on `url`, with its websocket traffic recorded."""
        assert self._socket is not None
        target = await call(self._socket, self._answers, self._ids, "Target.createTarget", {"url": "about:blank"})
        attached = await call(self._socket, self._answers, self._ids, "Target.attachToTarget",
                              {"targetId": target["targetId"], "flatten": True})
        page = Page(self._socket, attached["sessionId"])
        self._pages[page.session] = page
        await page.call("Network.enable")
        await page.call("Page.enable")
        await page.call("Page.navigate", url=url)
        return page

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._profile.cleanup()
