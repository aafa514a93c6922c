"""Retry-After read as the real services send it: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from akadmin_tui.connectors.bridge_api import rate_limit_wait_s as bridge_wait
from akadmin_tui.connectors.diagnose import asked_wait_s, retry_after, retry_after_s

DATE = "Thu, 03 Dec 2026 10:00:00 GMT"


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


@pytest.mark.parametrize("headers, wait", [
    ({"Retry-After": "120"}, 120.0),
    ({"Retry-After": "Thu, 03 Dec 2026 10:02:00 GMT", "Date": DATE}, 120.0),
    ({"Retry-After": "Thursday, 03-Dec-26 10:00:30 GMT", "Date": DATE}, 30.0),  # the obsolete RFC 850 form
    ({"Retry-After": "Thu Dec  3 10:00:05 2026", "Date": DATE}, 5.0),  # asctime form
    ({"Retry-After": "Thu, 03 Dec 2026 09:59:00 GMT", "Date": DATE}, 0.0),  # already past: no wait
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_the_asked_wait(headers, wait) -> None:
    assert asked_wait_s(answer(**headers)) == wait


def test_a_date_without_a_date_header_is_measured_from_now() -> None:
    until = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= asked_wait_s(answer(**{"Retry-After": until})) <= 90


def test_the_wait_honoured_is_capped_and_defaults() -> None:
    assert retry_after_s(answer(**{"Retry-After": "86400"}), 10.0, 300.0) == 300.0
    assert retry_after_s(answer(), 10.0, 300.0) == 10.0
    assert retry_after_s(answer(**{"Retry-After": "Thu, 03 Dec 2026 10:00:20 GMT", "Date": DATE}), 10.0, 300.0) == 20.0


def test_bridge_statements_wait_what_a_date_asks() -> None:
    assert bridge_wait(answer(**{"Retry-After": "Thu, 03 Dec 2026 10:00:03 GMT", "Date": DATE})) == 3


def test_the_words_name_the_wait_and_the_date() -> None:
    assert retry_after(answer(**{"Retry-After": "30"})) == "it asks to wait 30 s"
    said = retry_after(answer(**{"Retry-After": "Thu, 03 Dec 2026 10:01:00 GMT", "Date": DATE}))
    assert said == "it asks to wait 60 s (until Thu, 03 Dec 2026 10:01:00 GMT)"
    assert "not a delay akadmin can read" in retry_after(answer(**{"Retry-After": "later"}))
