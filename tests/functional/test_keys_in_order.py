"""Keys sent in one burst (a paste, a fast typist over SSH) land in the widget focused when each was typed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from akadmin_tui.settings import schema
from tests.waiting import burst, wait_for_focus, wait_until

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
