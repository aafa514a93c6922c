"""`akadmin completion bash|zsh`: the scripts complete the real commands."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def completions(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of `words` after sourcing `script`."""
    line = " ".join(words)
    program = (f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE="{line}"; '
               'COMP_POINT=${#COMP_LINE}; _shtab_akadmin; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_bash_completes_commands_and_their_actions(akadmin, tmp_path: Path) -> None:
    code, script, _ = akadmin("completion", "bash")
    assert code == 0
    path = tmp_path / "akadmin.bash"
    path.write_text(script)
    assert completions(path, "akadmin", "bat") == ["batch"]
    assert completions(path, "akadmin", "batch", "st") == ["status"]
    assert "--json" in completions(path, "akadmin", "batch", "status", "--")


def test_zsh_gets_a_completion_function_too(akadmin) -> None:
    code, script, _ = akadmin("completion", "zsh")
    assert code == 0 and script.startswith("#compdef akadmin") and "scheduler" in script


def test_an_unknown_shell_is_a_usage_error(akadmin) -> None:
    code, _, err = akadmin("completion", "fish")
    assert code == 2 and "bash" in err
