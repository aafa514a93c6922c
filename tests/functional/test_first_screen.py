"""The first screen at 80×24: the whole first level of the menu in view, no label cut without a way to read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from akadmin_tui.screens.menu_tree import MenuTree
from akadmin_tui.screens.views import INVOICES_ID, RUNS_ID
from akadmin_tui.settings import schema
from tests.waiting import settle, wait_for_focus, wait_until

from .conftest import make_app


def menu_lines(tree: MenuTree) -> list[str]:
    """What each line of the menu shows, as plain text."""
    return [strip.text for strip in tree.render_lines(tree.scrollable_content_region.reset_offset)]


async def test_every_heading_of_the_first_level_is_in_view_at_80x24(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        await wait_until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data == schema.SECTIONS[0].id,
                         what="the cursor on the first section")
        shown = "\n".join(menu_lines(tree))
        for group in tree.root.children:
            assert str(group.label) in shown, f"{group.label} is not in view:\n{shown}"
        assert tree.scroll_y == 0
        assert not tree.show_horizontal_scrollbar


async def test_a_label_too_long_for_the_menu_ends_in_an_ellipsis_and_its_section_names_it(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        view = app.screen.open_section(schema.BATCHES.id, focus=False)
        await wait_until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data == schema.BATCHES.id,
                         what="the cursor on Batch creation and modification")
        width = tree.scrollable_content_region.width
        lines = menu_lines(tree)
        assert all(len(line.rstrip()) <= width for line in lines)
        assert any(line.rstrip().endswith("…") and "Batch creation" in line for line in lines), lines
        assert tree.virtual_size.width <= width
        assert "Batch creation and modification" in str(view.query_one(".section-title").render())


async def test_at_120_columns_the_menu_shows_every_label_whole(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        await wait_until(pilot, lambda: app.screen.has_class("-wide"), what="the wide layout")
        await wait_until(pilot, lambda: any("Batch creation and modification" in line for line in menu_lines(tree)),
                         what="the whole label of Batch creation and modification")
        assert not any("…" in line for line in menu_lines(tree))


async def test_enter_on_a_group_opens_its_section_and_never_folds_it(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        group = tree.node_for(schema.AKUITEO_CONNECT.id)
        assert group is not None and group.allow_expand
        for _ in range(2):
            tree.focus()
            tree.move_cursor(group)
            await wait_until(pilot, lambda: tree.cursor_node is group and app.focused is tree, what="the menu on the group")
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.screen.query_one("#content").current == f"section-{schema.AKUITEO_CONNECT.id}"
                             and app.focused is not tree, what="the Akuiteo Connect form")
            assert group.is_expanded
        tree.focus()
        await wait_until(pilot, lambda: app.focused is tree and tree.cursor_node is group, what="the menu back on the group")
        await pilot.press("left")
        await wait_until(pilot, lambda: not group.is_expanded, what="← to fold the group")
        await pilot.press("right")
        await wait_until(pilot, lambda: group.is_expanded, what="→ to unfold it")
        await pilot.press("space")
        await wait_until(pilot, lambda: not group.is_expanded, what="Space to toggle it")


@pytest.mark.parametrize("section_id", [s.id for s in schema.SECTIONS] + [RUNS_ID, INVOICES_ID])
async def test_the_footer_fits_80_columns_in_every_view(demo_path: Path, section_id: str) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section(section_id)
        await wait_until(pilot, lambda: view.is_mounted and app.screen.query_one("#content").current == view.id,
                         what=f"{section_id} on screen")
        await settle(pilot)
        keys = [key for key in app.screen.query(FooterKey) if key.display]
        assert keys, "no key in the footer"
        palette = [key for key in keys if key.has_class("-command-palette")]
        end = palette[0].region.x if palette else 80
        cut = [f"{key.key_display} {key.description}" for key in keys
               if key not in palette and key.region.right > end]
        assert not cut, f"cut or hidden behind the palette entry at 80 columns: {cut}"
