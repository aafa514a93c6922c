"""Statement retrieval against the Bridge emulator: pagination, no duplicates, statements, 429s, refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from akadmin_tui.batches import statements
from akadmin_tui.batches.runtime import (
    BatchCancelled,
    BatchFailure,
    BatchSpec,
    RunContext,
    begin_run,
)
from akadmin_tui.batches.state import StateStore
from akadmin_tui.connectors import bridge_api
from akadmin_tui.sandbox.server import Fault
from akadmin_tui.settings import schema
from akadmin_tui.settings.schedules import Schedule

SPEC = BatchSpec("STATEMENTS", "Statement retrieval (Akuiteo Connect)", "RecuperationRelevesAkuiteoConnect",
                 Schedule("every 21600s", interval_s=21600), builtin=True, first_delay_s=20,
                 log_mail_to="finance@acme.example")


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits after a 429, recorded instead of slept."""
    recorded: list[float] = []

    async def no_wait(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(bridge_api, "sleep", no_wait)
    return recorded


async def run(editor, state, client, events: list | None = None) -> RunContext:
    run_id = begin_run(state, SPEC, "manual", dt.datetime.now(dt.UTC))
    ctx = RunContext(SPEC, run_id, editor=editor, state=state, client=client,
                     listener=events.append if events is not None else None)
    await statements.run(ctx)
    return ctx


def expected_total(bridge, account_id: int) -> Decimal:
    return sum((Decimal(str(t["amount"])) for t in bridge.transactions if t["account_id"] == account_id), Decimal(0))


def statement_of(state: StateStore, account_id: int) -> list:
    return state.query("SELECT * FROM statements WHERE account_id = ? ORDER BY id", (str(account_id),))


def transaction_calls(bridge, account_id: int) -> list:
    return [c for c in bridge.calls
            if c.path == "/v3/aggregation/transactions" and c.query.get("account_id") == [str(account_id)]]


async def test_pagination_is_followed_and_one_statement_per_account(editor, sandbox, state, client) -> None:
    bridge = sandbox.bridge
    big = bridge.add_account("Compte pro ACME", iban="FR7630004000035555555555555")
    bridge.add_transactions(big, 1200)
    events: list = []
    ctx = await run(editor, state, client, events)

    calls = transaction_calls(bridge, big)
    assert len(calls) == 3 and [c.query["limit"] for c in calls] == [["500"]] * 3
    assert "after" not in calls[0].query and all("after" in c.query for c in calls[1:])
    assert all(c.header("authorization").startswith("Bearer ") and c.header("client-id") == "demo-bridge-client"
               for c in calls)
    assert ctx.counts == {"accounts": 3, "new_transactions": 1227, "statements": 3, "failed": 0}
    assert state.query("SELECT COUNT(*) AS n FROM bank_transactions WHERE statement_id IS NULL")[0]["n"] == 0

    for account in bridge.accounts:
        (made,) = statement_of(state, account["id"])
        mine = [t for t in bridge.transactions if t["account_id"] == account["id"]]
        assert made["transactions"] == len(mine) and made["company"] == "ACME"
        assert Decimal(made["total"]) == expected_total(bridge, account["id"])
        dates = sorted(t["date"] for t in mine)
        assert (made["period_start"], made["period_end"]) == (dates[0], dates[-1])
        assert made["run_id"] == ctx.run_id
    stored = state.query("SELECT * FROM bank_accounts WHERE id = ?", (str(big),))[0]
    assert (stored["name"], stored["iban"], stored["company"], stored["currency"]) == (
        "Compte pro ACME", "FR7630004000035555555555555", "ACME", "EUR")
    assert stored["last_sync_at"]
    assert any(f"Account Compte pro ACME ({big}): 1200 new transaction(s); statement" in line for line in ctx.lines)
    progress = [e for e in events if e.kind == "progress"]
    assert (progress[-1].done, progress[-1].total) == (3, 3)
    assert not any("demo-bridge-secret" in line for line in ctx.lines)


async def test_second_run_stores_no_duplicate(editor, sandbox, state, client) -> None:
    bridge = sandbox.bridge
    current = bridge.accounts[0]["id"]
    await run(editor, state, client)
    before = len(bridge.calls)
    again = await run(editor, state, client)
    assert again.counts == {"accounts": 2, "new_transactions": 0, "statements": 0, "failed": 0}
    assert state.query("SELECT COUNT(*) AS n FROM statements")[0]["n"] == 2
    later = [c for c in list(bridge.calls)[before:] if c.path == "/v3/aggregation/transactions"]
    assert later and all("since" in c.query for c in later)  # the lower bound comes from the last sync

    # Transactions Bridge adds later come in, even back-dated ones (since follows updated_at, not the date).
    added = bridge.add_transactions(current, 5, start=dt.date.today() - dt.timedelta(days=40), days=5)
    third = await run(editor, state, client)
    assert third.counts == {"accounts": 2, "new_transactions": 5, "statements": 1, "failed": 0}
    _first, second = statement_of(state, current)
    assert second["transactions"] == 5
    assert Decimal(second["total"]) == sum(Decimal(str(t["amount"])) for t in bridge.transactions if t["id"] in added)
    linked = state.query("SELECT COUNT(*) AS n FROM bank_transactions WHERE statement_id = ?", (second["id"],))
    assert linked[0]["n"] == 5
    assert state.query("SELECT COUNT(*) AS n FROM bank_transactions")[0]["n"] == 24 + 3 + 5


async def test_account_at_an_unlisted_bank_has_no_company(editor, sandbox, state, client) -> None:
    bridge = sandbox.bridge
    qonto = bridge.add_account("Compte Qonto", provider="Qonto")
    bridge.add_transactions(qonto, 4)
    ctx = await run(editor, state, client)
    (made,) = statement_of(state, qonto)
    assert made["company"] == "" and made["transactions"] == 4
    assert any("Qonto" in line and "matches no bank" in line and "WARN" in line for line in ctx.lines)
    assert ctx.warnings == 1 and ctx.errors == 0


async def test_rate_limit_then_success(editor, sandbox, state, client, waits) -> None:
    sandbox.bridge.rate_limit(2, retry_after_s=7)
    ctx = await run(editor, state, client)
    assert waits == [7, 7]
    assert sum("rate limit is reached (429)" in line for line in ctx.lines) == 2 and ctx.warnings == 2
    assert ctx.counts == {"accounts": 2, "new_transactions": 27, "statements": 2, "failed": 0}


async def test_a_429_is_waited_out_by_the_bridge_connector_once(editor, sandbox, state, client, waits,
                                                                monkeypatch) -> None:
    asked: list[str] = []

    def spy(response) -> int:
        asked.append(response.headers["Retry-After"])
        return wait_s(response)

    wait_s = bridge_api.rate_limit_wait_s
    monkeypatch.setattr(bridge_api, "rate_limit_wait_s", spy)
    sandbox.bridge.rate_limit(1, retry_after_s=4)
    ctx = await run(editor, state, client)
    assert asked == ["4"] and waits == [4]
    (throttled,) = [line for line in ctx.lines if "(429)" in line]
    assert "while getting the Bridge user's token; waiting 4 s before retry 1 of 3." in throttled
    assert ctx.warnings == 1 and ctx.counts == {"accounts": 2, "new_transactions": 27, "statements": 2, "failed": 0}
    assert not {"sleep", "httpx", "MAX_RETRIES"} & set(vars(statements))  # no second 429 loop in the batch


async def test_rate_limit_that_lasts_fails_only_that_account(editor, sandbox, state, client, waits) -> None:
    bridge = sandbox.bridge
    first, second = (a["id"] for a in bridge.accounts)
    # Token, accounts and the bank's name pass; the first account's transactions stay throttled.
    bridge.rate_limit(4, retry_after_s=600, after=3)
    ctx = await run(editor, state, client)
    assert waits == [60, 60, 60]  # Retry-After bounded
    assert ctx.errors == 1 and ctx.counts == {"accounts": 1, "new_transactions": 3, "statements": 1, "failed": 1}
    assert any(f"({first}): Bridge's rate limit was still reached after 3 retries" in line for line in ctx.lines)
    assert statement_of(state, first) == [] and len(statement_of(state, second)) == 1
    assert state.query("SELECT last_sync_at FROM bank_accounts WHERE id = ?", (str(first),))[0][0] is None

    retried = await run(editor, state, client)
    assert retried.counts["new_transactions"] == 24 and len(statement_of(state, first)) == 1


async def test_permanent_rate_limit_stops_the_run(editor, sandbox, state, client, waits) -> None:
    sandbox.bridge.set_fault(Fault.BURST_429, retry_after_s=2)
    with pytest.raises(BatchFailure, match="rate limit was still reached"):
        await run(editor, state, client)
    assert waits == [2, 2, 2]


async def test_inactive_akuiteo_connect_stops(editor, state, client) -> None:
    editor.apply(schema.AKUITEO_CONNECT, None, {"active": False})
    with pytest.raises(BatchFailure, match="Akuiteo Connect is not active"):
        await run(editor, state, client)


async def test_no_bridge_user_stops(editor, state, client) -> None:
    editor.remove(schema.BANKS, "BNP-ACME")
    editor.remove(schema.BRIDGE_USER, None)
    with pytest.raises(BatchFailure, match="no Bridge user exists"):
        await run(editor, state, client)


async def test_unknown_bridge_user_stops(editor, state, client) -> None:
    editor.apply(schema.BRIDGE_USER, None, {"email": "nobody@acme.example"})
    with pytest.raises(BatchFailure, match="Bridge knows no user 'nobody-acme-example'"):
        await run(editor, state, client)


async def test_wrong_client_secret_stops(editor, state, client) -> None:
    editor.apply(schema.AKUITEO_CONNECT, None, {"bridge_client_secret": "not-the-secret"})
    with pytest.raises(BatchFailure, match="check Bridge client ID and Bridge client secret"):
        await run(editor, state, client)


async def test_cancel_stops_between_accounts(editor, state, client) -> None:
    run_id = begin_run(state, SPEC, "manual", dt.datetime.now(dt.UTC))
    ctx = RunContext(SPEC, run_id, editor=editor, state=state, client=client)
    ctx.cancel.set()
    with pytest.raises(BatchCancelled):
        await statements.run(ctx)
    assert state.query("SELECT COUNT(*) AS n FROM statements")[0]["n"] == 0


def test_external_user_id_is_made_from_the_email() -> None:
    assert bridge_api.external_user_id(" Finance@ACME.example ") == "finance-acme-example"
    assert bridge_api.external_user_id("jean+compta@acme.fr") == "jean-compta-acme-fr"
