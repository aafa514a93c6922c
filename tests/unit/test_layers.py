"""The package's architecture contract: layers in order, no import cycle, no private name across modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "akadmin_tui"
LOWER_LAYERS = ("settings", "connectors", "batches")
UI_MODULES = ("textual", "akadmin_tui.screens", "akadmin_tui.widgets", "akadmin_tui.dialogs", "akadmin_tui.app")
# settings <- connectors <- batches <- the console and the CLI; a layer imports only its own rank or lower.
RANKS = {"settings": 0, "connectors": 1, "batches": 2}
UI_RANK = 3
# The emulators stand in for the services: they may read settings and batches, never the console or the connectors.
SANDBOX_MAY_USE = {"settings", "batches", "sandbox"}
# Wire libraries: only the connectors (and the emulators, which serve the same protocols) speak them.
WIRE_LIBRARIES = ("httpx", "asyncssh", "xmlrpc")


@dataclass(frozen=True)
class Import:
    """One import statement's target: the module, and the name taken from it (if any)."""

    module: str
    name: str | None
    line: int


def module_name(path: Path) -> str:
    """The dotted name of a source file of the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports_of(path: Path, package: str | None = None) -> Iterator[Import]:
    """Every import of a file (at any depth, function bodies included), relative ones made absolute."""
    package = package or _package_of(path)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


MODULES = {module_name(path): path for path in _sources()}


def _target(imported: Import) -> str | None:
    """The package module an import loads (a submodule when `from package import submodule`)."""
    if imported.name and f"{imported.module}.{imported.name}" in MODULES:
        return f"{imported.module}.{imported.name}"
    return imported.module if imported.module in MODULES else None


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(module: str) -> int:
    if module == "akadmin_tui":
        return 0  # the package itself holds only its version
    return RANKS.get(_area(module), UI_RANK)


def _relative(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_layer_source_never_imports_the_ui(layer: str) -> None:
    offenders = sorted(f"{_relative(path)}:{i.line} {i.module}" for path in sorted((PACKAGE / layer).rglob("*.py"))
                       for i in imports_of(path) if i.module.startswith(UI_MODULES))
    assert not offenders


def test_each_layer_imports_only_its_rank_or_lower() -> None:
    offenders = []
    for name, path in MODULES.items():
        for imported in imports_of(path):
            target = _target(imported)
            if target is None:
                continue
            if _area(name) == "sandbox":
                allowed = _area(target) in SANDBOX_MAY_USE
            elif _area(target) == "sandbox":
                allowed = _rank(name) == UI_RANK  # the demo and `akadmin sandbox` start the emulators
            else:
                allowed = _rank(target) <= _rank(name)
            if not allowed:
                offenders.append(f"{_relative(path)}:{imported.line} imports {target}")
    assert not offenders


def test_only_the_connectors_speak_the_wire_protocols() -> None:
    offenders = [f"{_relative(path)}:{i.line} {i.module}" for name, path in MODULES.items()
                 if _area(name) not in ("connectors", "sandbox")
                 for i in imports_of(path) if i.module.split(".")[0] in WIRE_LIBRARIES]
    assert not offenders


def test_no_private_name_is_imported_from_another_module() -> None:
    offenders = [f"{_relative(path)}:{i.line} {i.module}.{i.name}" for path in MODULES.values()
                 for i in imports_of(path)
                 if i.module.startswith("akadmin_tui") and i.name and i.name.startswith("_")
                 and not i.name.startswith("__")]
    assert not offenders


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_there_is_no_import_cycle() -> None:
    graph = {name: {t for i in imports_of(path) if (t := _target(i)) and t != name and not name.startswith(t + ".")}
             for name, path in MODULES.items()}
    assert import_cycles(graph) == []


def test_the_checkers_see_what_they_must(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text("from textual.app import App\nimport textual.widgets\nfrom ..widgets import field_row\n"
                    "def f():\n    from .vault import _private\n")
    found = list(imports_of(fake, package="akadmin_tui.settings"))
    assert {i.module for i in found} == {"textual.app", "textual.widgets", "akadmin_tui.widgets",
                                         "akadmin_tui.settings.vault"}
    assert Import("akadmin_tui.settings.vault", "_private", 5) in found
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_importing_every_lower_module_loads_no_textual() -> None:
    modules = [name for name in MODULES if _area(name) in LOWER_LAYERS] + ["akadmin_tui.sandbox.demo_config",
                                                                           "akadmin_tui.cli"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
