"""Every key binding of the console by id: what a `[keymap]` may name, and the README's table of them."""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode


def console_bindings() -> dict[str, list[tuple[str, Binding]]]:
    """The bindings that carry an id, by id, with the class that declares each (App, screens, views, widgets)."""
    found: dict[str, list[tuple[str, Binding]]] = {}
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if kind.__module__.startswith("akadmin_tui."):
            for binding in vars(kind).get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.id:
                    found.setdefault(binding.id, []).append((kind.__name__, binding))
    return found


def binding_ids() -> set[str]:
    """The ids a keymap may name."""
    return set(console_bindings())


def keymap_reference() -> str:
    """The Markdown table of binding ids, their default keys and what they do (once the console's modules are loaded)."""
    lines = ["| id | default keys | action |", "|---|---|---|"]
    for binding_id, declared in sorted(console_bindings().items()):
        keys = sorted({key for _, binding in declared for key in binding.key.split(",")})
        actions = sorted({binding.tooltip or binding.description or binding.action for _, binding in declared})
        lines.append(f"| `{binding_id}` | {', '.join(f'`{k}`' for k in keys)} | {'; '.join(actions)} |")
    return "\n".join(lines)
