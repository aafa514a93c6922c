"""A production console loads neither the sandbox nor the services' heavy libraries before they are used."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("akadmin_tui.sandbox", "asyncssh", "pypdf", "aiosmtpd", "facturx")


def test_opening_the_console_module_imports_no_sandbox_ssh_or_pdf() -> None:
    probe = ("import json, sys; import akadmin_tui.app, akadmin_tui.screens.main; "
             "print(json.dumps(sorted(m for m in sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                       check=True).stdout)
    early = [name for name in loaded if name.startswith(NOT_AT_START)]
    assert not early, early
