"""Keys sent in one burst (a paste, a fast typist over SSH) land in the widget focused when each was typed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from akadmin_tui.screens.menu_tree import MenuTree
from akadmin_tui.settings import schema
from tests.waiting import burst, settle, wait_for_focus, wait_until

from .conftest import SIZE, make_app


async def test_text_typed_right_after_tab_goes_into_the_next_field(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.open_section(schema.MAIL.id)
        await wait_until(pilot, lambda: view.is_mounted and view.query("#input-username"), what="the Mail server form")
        user = view.query_one("#input-username", Input)
        password = view.query_one("#input-password", Input)
        user_before, password_before = user.value, password.value
        await wait_for_focus(pilot, "#input-smtp_host")  # where opening the section puts it
        user.focus()
        await wait_for_focus(pilot, "#input-username")
        burst(pilot, "end", "Q", "tab", "Z", "Z", "shift+tab", "W")
        await wait_until(pilot, lambda: password.value.endswith("ZZ") and user.value.endswith("W"),
                         what="the keys in their fields")
        assert user.value == user_before + "QW"
        assert password.value == password_before + "ZZ"
        assert app.focused is user


async def test_arrows_in_a_burst_leave_the_menu_cursor_where_they_took_it(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        start = tree.node_for(schema.SECTIONS[0].id)
        await wait_until(pilot, lambda: tree.cursor_node is start, what="the cursor on the first section")
        burst(pilot, "down", "down", "down", "up")
        wanted = tree.node_for(schema.UNIVERSIGN.id)
        await wait_until(pilot, lambda: app.screen.query_one("#content").current == f"section-{schema.UNIVERSIGN.id}",
                         what="Electronic signature shown")
        await settle(pilot)
        assert tree.cursor_node is wanted


async def test_keys_after_enter_wait_for_the_form_it_opens(demo_path: Path) -> None:
    """Enter opens a section whose first field takes the focus after a refresh: the keys after it wait for that."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = await wait_for_focus(pilot, "#menu")
        assert isinstance(tree, MenuTree)
        await wait_until(pilot, lambda: tree.cursor_node is tree.node_for(schema.SECTIONS[0].id), what="the first section")
        # Exchange, into its form, back to the menu, up to the heading, down to Akuiteo Connect and into its form.
        burst(pilot, "down", "enter", "escape", "up", "up", "enter", "down", "down", "down", "down", "enter")
        await wait_for_focus(pilot, "#section-akuiteo_connect Switch")
        await settle(pilot)
        assert tree.cursor_node is tree.node_for(schema.AKUITEO_CONNECT.id)
        assert app.screen.query_one("#content").current == "section-akuiteo_connect"
        assert app.focused in app.screen.query("#section-akuiteo_connect Switch")


async def test_a_new_sftp_configuration_starts_at_its_host_and_typed_text_lands_in_order(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.open_section(schema.ACCOUNTING.id)
        await wait_until(pilot, lambda: view.is_mounted and app.focused is not None, what="the accounting view")
        view._start_draft(("NEWSFTP", "sftp", "invoices"))
        host = await wait_for_focus(pilot, "#section-accounting #input-host")
        form = view.form
        assert [row.key for row in form.visible_rows()][2:6] == ["host", "port", "username", "password"]
        burst(pilot, *"sftp.example", "tab", "tab", *"ops", "tab", *"pw")
        await wait_until(pilot, lambda: form.row("password").editor.value == "pw", what="the password typed")
        assert host.value == "sftp.example"
        assert form.row("username").editor.value == "ops"
