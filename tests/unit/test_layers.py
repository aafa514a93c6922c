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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    package = "akadmin_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts[:-1])
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


def test_the_checker_sees_a_textual_import(tmp_path: Path) -> None:
    sample = PACKAGE / "settings" / "keys.py"
    assert "textual" not in _imports(sample)
    fake = tmp_path / "fake.py"
    fake.write_text("from textual.app import App\nimport textual.widgets\n")
    tree_names = set()
    for node in ast.walk(ast.parse(fake.read_text())):
        if isinstance(node, ast.ImportFrom):
            tree_names.add(node.module)
        elif isinstance(node, ast.Import):
            tree_names.update(a.name for a in node.names)
    assert any(n.startswith(UI_MODULES) for n in tree_names)


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
