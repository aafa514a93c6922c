"""The lower layers never import Textual, directly or through another module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "akadmin_tui"
LOWER_LAYERS = ("settings", "connectors", "batches")
UI_MODULES = ("textual", "akadmin_tui.screens", "akadmin_tui.widgets", "akadmin_tui.app")


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _package_of(path: Path) -> str:
    return "akadmin_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts[:-1])


def _imports(path: Path, package: str | None = None) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    package = package or _package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_layer_source_never_imports_the_ui(layer: str) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in _imports(path) if n.startswith(UI_MODULES))
        for path in _modules(layer)
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_checker_sees_textual_and_ui_imports(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text("from textual.app import App\nimport textual.widgets\nfrom ..widgets import field_row\n")
    found = _imports(fake, package="akadmin_tui.settings")
    assert {"textual.app", "textual.widgets", "akadmin_tui.widgets"} <= found
    assert all(name.startswith(UI_MODULES) for name in found)
    assert not any(n.startswith(UI_MODULES) for n in _imports(PACKAGE / "settings" / "keys.py"))


def test_importing_every_lower_module_loads_no_textual() -> None:
    modules = [
        "akadmin_tui." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for layer in LOWER_LAYERS for p in _modules(layer)
    ] + ["akadmin_tui.sandbox.demo_config", "akadmin_tui.cli"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
