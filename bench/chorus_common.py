"""What the CHORUS benchmarks share: the sandbox, a demo config on it, a call recorder and the figures."""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from akadmin_tui.batches.execute import run_batch
from akadmin_tui.batches.runtime import BatchSpec
from akadmin_tui.batches.state import StateStore
from akadmin_tui.sandbox.demo_config import build_demo_config
from akadmin_tui.sandbox.fleet import Sandbox
from akadmin_tui.settings import schema
from akadmin_tui.settings.editor import SettingsEditor
from akadmin_tui.settings.schedules import Schedule
from akadmin_tui.settings.vault import ScryptParams

ACME_LOGIN = "TECH_1_ACME@cpro.fr"
RATE = 20  # production: 20 calls a second, the settings' default and PISTE's quota
PARAMS = {"BATCH_USER": "BENCH", "BATCH_PWD": "bench-password", "BATCH_MAIL": "bench@acme.example",
          "LISTE_SOCIETES_A_TRAITER": "ACME", "BATCH_LOG_LEVEL": "WARN"}


class CallRecorder:
    """When each CHORUS PRO API call reached the sandbox (server side, so the limiter is judged honestly)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.stamps: deque[float] = deque()
        self.throttled = 0
        self._lock = threading.Lock()
        piste = sandbox.piste
        original_gate = piste._gate

        def gate(request):
            with self._lock:
                self.stamps.append(time.monotonic())
            answer = original_gate(request)
            if getattr(answer, "status", 200) == 429:
                with self._lock:
                    self.throttled += 1
            return answer

        piste._gate = gate

    def reset(self) -> None:
        with self._lock:
            self.stamps.clear()
            self.throttled = 0

    def peak_per_second(self) -> int:
        stamps = sorted(self.stamps)
        best, start = 0, 0
        for end, moment in enumerate(stamps):
            while moment - stamps[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


@dataclass
class Bench:
    """A sandbox, a config on it and a state database, in a temporary folder."""

    sandbox: Sandbox
    editor: SettingsEditor
    state: StateStore
    recorder: CallRecorder
    folder: Path


def open_bench() -> Bench:
    folder = Path(tempfile.mkdtemp(prefix="akadmin-bench-"))
    sandbox = Sandbox()
    sandbox.start()
    sandbox.piste.state.quota_per_second = RATE
    config = build_demo_config(folder / "config.toml", scrypt=ScryptParams(n=2**10, r=8, p=1))
    editor = SettingsEditor(config)
    sandbox.point(editor, folder)
    editor.apply(schema.CHORUS, None, {"environment": "production", "url": sandbox.piste.api_url,
                                       "auth_url": sandbox.piste.auth_url, "max_calls_per_second": RATE,
                                       "retry_delay_s": 1})
    return Bench(sandbox, editor, StateStore(folder / "state.sqlite"), CallRecorder(sandbox), folder)


async def _mailer(editor, mail) -> str:
    return "nowhere"


def run(bench: Bench, template: str, *, now: dt.datetime | None = None, **params):
    """Run one batch and return (summary, wall seconds, peak RSS in MiB)."""
    spec = BatchSpec("BENCH", "bench", template, Schedule(""), {**PARAMS, **params})
    bench.recorder.reset()
    started = time.perf_counter()
    summary = asyncio.run(run_batch(spec, editor=bench.editor, state=bench.state, mailer=_mailer,
                                    now=(lambda: now) if now else None))
    wall = time.perf_counter() - started
    return summary, wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(title: str, bench: Bench, invoices: int, wall: float, rss: float, per_invoice_calls: int) -> None:
    calls = len(bench.recorder.stamps)
    naive_s = per_invoice_calls / RATE
    print(f"{title}")
    print(f"  calls made                 {calls}")
    print(f"  invoices per call          {invoices / calls:.1f}" if calls else "  invoices per call          -")
    print(f"  peak calls in any 1 s      {bench.recorder.peak_per_second()} (limit {RATE})")
    print(f"  429 received               {bench.recorder.throttled}")
    print(f"  wall time                  {wall:.2f} s")
    print(f"  peak memory (RSS)          {rss:.0f} MiB")
    print(f"  wall / per-invoice polling {wall / naive_s:.4f}  ({per_invoice_calls} calls at {RATE}/s = {naive_s:.0f} s)")
