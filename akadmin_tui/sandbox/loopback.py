"""What the sandbox's loopback servers share: their address, their fault switch, `with` to start and stop them."""

from __future__ import annotations

from typing import Self

HOST = "127.0.0.1"


class LoopbackServer:
    """A sandbox server on 127.0.0.1 that keeps its port while a fault has it down; `with` starts and stops it."""

    name = ""  # the protocol: the address's scheme, and the server's name in messages
    FAULTS: tuple[str, ...] = ("none", "down")  # what `set_fault` accepts; None means "none"
    _fault: str | None = None
    _port = 0

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return HOST

    @property
    def port(self) -> int:
        """The port the server listens on (kept while the "down" fault has it stopped)."""
        assert self._port, f"start() the {self.name.upper()} sandbox first"
        return self._port

    @property
    def address(self) -> str:
        """Where the server is, for display: PROTOCOL://127.0.0.1:PORT."""
        return f"{self.name}://{HOST}:{self.port}"

    @property
    def fault(self) -> str | None:
        """The fault switched on, None when none is."""
        return self._fault

    @fault.setter
    def fault(self, fault: str | None) -> None:
        self.set_fault(fault)

    def set_fault(self, fault: str | None) -> None:
        """Switch a fault on ("none" or None switches it off)."""
        raise NotImplementedError

    def _switch_fault(self, fault: str | None) -> bool:
        """Check and record the fault `set_fault` was given; True when the server was down before."""
        fault = None if fault in (None, "none") else fault
        if fault is not None and fault not in self.FAULTS:
            raise ValueError(f"unknown {self.name.upper()} fault {fault!r}: use one of {', '.join(self.FAULTS)}")
        was_down, self._fault = self._fault == "down", fault
        return was_down

    def start(self) -> tuple[str, int]:
        """Listen on a free port (or the same one again after stop()); returns (host, port)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop listening."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
