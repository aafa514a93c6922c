"""systemd's notification protocol (sd_notify(3)): READY, WATCHDOG and STOPPING, sent to $NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    """Tells systemd how the service is doing; does nothing when not started by systemd with Type=notify."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        # An abstract socket is written with a leading '@' and sent with a leading NUL.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        try:
            usec = int(env.get("WATCHDOG_USEC", "0"))
        except ValueError:
            usec = 0
        # Twice per watchdog period, as sd_watchdog_enabled(3) advises.
        self.watchdog_every_s = usec / 2_000_000 if usec > 0 else None
        self._last_ping = 0.0

    def send(self, message: str) -> bool:
        """Send one notification; False when there is no socket or it cannot be reached."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self.address)
        except OSError:
            return False
        return True

    def ready(self, status: str) -> None:
        """The service is up: systemd's start job ends here."""
        self.send(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        """The service is stopping on request."""
        self.send("STOPPING=1")

    def watchdog(self) -> None:
        """Keep the watchdog fed when its period is due (call it often)."""
        if self.watchdog_every_s is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog_every_s:
            self._last_ping = now
            self.send("WATCHDOG=1")
