"""The menu of the Administration console: its groups fit the terminal, long labels end in an ellipsis."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..settings import schema
from .views import INVOICES_ID, RUNS_ID, SANDBOX_ID

ROOT_LABEL = "Administration console"
# Menu leaves that are views of the state database rather than sections of the config.
BATCH_LEAVES = (("Runs and logs", RUNS_ID), ("Invoices (CHORUS PRO)", INVOICES_ID))


class MenuTree(Tree[str]):
    """The menu; each leaf's data is a section id. Enter opens, ← and → fold and unfold, Space toggles."""

    BINDINGS = [
        Binding("left", "fold", "Fold", show=False, id="akadmin.menu-fold"),
        Binding("right", "unfold", "Unfold", show=False, id="akadmin.menu-unfold"),
    ]

    def __init__(self, with_sandbox: bool = False) -> None:
        super().__init__(ROOT_LABEL, id="menu")
        self.show_root = False
        self.guide_depth = 2
        # Enter must open a group's section, never fold it: folding is for ←, → and Space.
        self.auto_expand = False
        paths = [s.menu[:depth] for s in schema.SECTIONS for depth in range(1, len(s.menu) + 1)]
        parents = {path[:-1] for path in paths}
        nodes: dict[tuple[str, ...], TreeNode[str]] = {(): self.root}
        for path in dict.fromkeys(paths):
            parent = nodes[path[:-1]]
            nodes[path] = parent.add(path[-1], expand=True) if path in parents else parent.add_leaf(path[-1])
        for section in schema.SECTIONS:
            nodes[section.menu].data = section.id
        batches = nodes[schema.BATCHES.menu[:1]]
        for label, view_id in BATCH_LEAVES:
            batches.add_leaf(label, data=view_id)
        if with_sandbox:
            self.root.add_leaf("Sandbox (demo)", data=SANDBOX_ID)
        self.root.expand()

    def node_for(self, section_id: str) -> TreeNode[str] | None:
        """The tree node of a section."""
        pending = list(self.root.children)
        while pending:
            node = pending.pop(0)
            if node.data == section_id:
                return node
            pending += node.children
        return None

    def reveal(self, node: TreeNode[str]) -> None:
        """Unfold the groups above `node` and put the cursor on it."""
        folded = [parent for parent in _ancestors(node) if not parent.is_expanded]
        for parent in folded:
            parent.expand()
        if folded:
            # The lines of the unfolded groups exist once the tree is rebuilt, at its next refresh.
            self.call_after_refresh(self.move_cursor, node)
        elif self.cursor_node is not node:
            self.move_cursor(node)

    def fit_to_height(self, height: int, around: TreeNode[str]) -> None:
        """Fold the groups `around` is not in when the unfolded menu would not fit in `height` lines.

        At 80×24 the whole menu is taller than the screen: folding the other groups keeps every heading of the
        first level in view, without scrolling.
        """
        if self._unfolded_lines() <= height:
            return
        keep = {id(node) for node in [around, *_ancestors(around)]}
        for group in self.root.children:
            if group.allow_expand and id(group) not in keep:
                group.collapse()
        if self._unfolded_lines() > height:
            for group in self.root.children:
                for inner in group.children:
                    if inner.allow_expand and id(inner) not in keep:
                        inner.collapse()

    def _unfolded_lines(self) -> int:
        """How many lines the menu takes with its groups as they are now folded or not."""
        def count(node: TreeNode[str]) -> int:
            return 1 + (sum(count(child) for child in node.children) if node.is_expanded else 0)
        return sum(count(child) for child in self.root.children)

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        room = self.scrollable_content_region.width - self._guide_width(node)
        if 0 < room < text.cell_len:
            # Cut with an ellipsis; the full name is the title of the section shown on the right.
            text.truncate(room, overflow="ellipsis")
        return text

    def _guide_width(self, node: TreeNode[str]) -> int:
        return len(_ancestors(node)) * self.guide_depth

    def on_resize(self) -> None:
        # Labels are cut to the width: rebuild the lines (and the virtual width) once it is known.
        self._invalidate()

    def action_select_cursor(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()
        super().action_select_cursor()

    def action_fold(self) -> None:
        """←: fold the group under the cursor, or go up to the group the cursor is in."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_unfold(self) -> None:
        """→: unfold the group under the cursor, or go down to its first entry."""
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if not node.is_expanded:
            node.expand()
        elif node.children:
            self.move_cursor(node.children[0])


def _ancestors(node: TreeNode[str]) -> list[TreeNode[str]]:
    """The groups above `node`, nearest first, without the hidden root."""
    found = []
    parent = node.parent
    while parent is not None and parent.parent is not None:
        found.append(parent)
        parent = parent.parent
    return found
