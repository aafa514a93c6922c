"""Configuration > State database says where the database is, how big it is, and how long history is kept."""

from __future__ import annotations

import re
from pathlib import Path

from tests.waiting import shown_text, wait_for_focus, wait_until

from .conftest import SIZE, make_app


async def test_the_state_database_view_shows_its_size(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_focus(pilot, "#menu")
        view = app.screen.open_section("state")
        await wait_until(pilot, lambda: "run(s) in the history" in shown_text(view.query_one("#state-size")),
                         what="the database's size")
        text = shown_text(view.query_one("#state-size"))
        assert str(app.state.path) in text and re.search(r": \d+(\.\d)? (KB|MB), \d+ run\(s\)", text), text
        assert view.form.row("keep_runs_days").editor.value == "90"
