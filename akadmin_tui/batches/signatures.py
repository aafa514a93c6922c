"""Signature retrieval: follow Universign transactions and save the signed documents once every signer has signed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ..connectors.universign import UniversignAccount
from ..connectors.universign_api import (
    Snapshot,
    UniversignApi,
    UniversignError,
    UniversignRefused,
    universign_api,
)
from ..settings import schema
from .files import write_private
from .queries import signatures as queries
from .runtime import BatchFailure, RunContext

EXPIRY_DAYS = 14  # a transaction must be completed within 14 days (CONNECTORS.md §5)
END_STATES = ("expired", "canceled", "failed")


def safe_name(name: str, fallback: str) -> str:
    """A file name that stays inside its folder: no separators, no leading dots, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w .()+,-]", "_", base).strip(" .")
    return base[:150] or fallback


def save_documents(folder: Path, documents: list[tuple[str, bytes]]) -> list[Path]:
    """Write each document into `folder` (0700), atomically and 0600; names made safe and unique."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[Path] = []
    for index, (name, content) in enumerate(documents, start=1):
        base = safe_name(name, f"document-{index}.pdf")
        path, copy = folder / base, 1
        while path in written:
            copy += 1
            stem, dot, suffix = base.rpartition(".")
            path = folder / (f"{stem} ({copy}).{suffix}" if dot and stem else f"{base} ({copy})")
        write_private(path, content)
        written.append(path)
    return written


def _followed(ctx: RunContext, listed: list[str]) -> list[str]:
    """Listed transactions plus stored ones still open, less those already ended or downloaded."""
    rows = queries.followed_transactions(ctx.state)
    done = {r.id for r in rows if r.status in END_STATES or r.downloaded_at}
    still_open = [r.id for r in rows if r.id not in done]
    return [tx_id for tx_id in dict.fromkeys(listed + still_open) if tx_id not in done]


def _record(ctx: RunContext, tx_id: str, snap: Snapshot) -> str | None:
    """Store the snapshot; returns the status stored before (None for a new transaction)."""
    before = queries.stored_status(ctx.state, tx_id=tx_id)
    queries.save_status(ctx.state, tx_id=tx_id, name=snap.name, status=snap.status, signers_total=snap.total,
                        signers_signed=snap.signed, updated_at=ctx.now().isoformat(timespec="seconds"))
    return before


def _signed_root(ctx: RunContext, configured: Any) -> Path:
    return Path(str(configured)).expanduser() if configured else ctx.state.path.parent / "signed"


async def run(ctx: RunContext) -> None:
    """Update every followed transaction's status and download the documents of the completed ones, once."""
    values = ctx.editor.values(schema.UNIVERSIGN)
    if values.get("enabled") is not True:
        raise BatchFailure("the electronic signature is not enabled (Third-party interfaces > Electronic signature)")
    if not values.get("url"):
        raise BatchFailure("Universign URL is empty (Third-party interfaces > Electronic signature)")
    account = UniversignAccount(str(values["url"]), str(values.get("universign_user") or ""),
                                str(values.get("universign_password") or ""))
    api = universign_api(account, ctx.client)
    root = _signed_root(ctx, values.get("signed_folder"))
    for name in ("followed", "completed", "downloaded", "failed"):
        ctx.count(name, 0)

    until = ctx.now()
    since = until - dt.timedelta(days=EXPIRY_DAYS + 1)  # a day more, for clocks and time zones
    try:
        listed = await api.list_ids(since, until)
        ctx.info(f"Universign ({api.label}) lists {len(listed)} transaction(s) created since {since:%Y-%m-%d}.")
    except UniversignRefused as refused:
        raise BatchFailure(str(refused)) from None
    except UniversignError as failure:
        ctx.error(f"The transactions could not be listed ({failure}); only those already followed are checked.")
        listed = []

    todo = _followed(ctx, listed)
    ctx.progress(0, len(todo))
    for done, tx_id in enumerate(todo, start=1):
        ctx.check_cancelled()
        try:
            await _follow(ctx, api, tx_id, root)
        except UniversignRefused as refused:
            raise BatchFailure(str(refused)) from None
        except (UniversignError, OSError) as failure:
            text = f"{failure.strerror or failure}" if isinstance(failure, OSError) else str(failure)
            ctx.error(f"Transaction {tx_id}: {text}; it is tried again at the next run.")
            ctx.count("failed")
        ctx.progress(done, len(todo))


async def _follow(ctx: RunContext, api: UniversignApi, tx_id: str, root: Path) -> None:
    snap = await api.info(tx_id)
    ctx.count("followed")
    before = _record(ctx, tx_id, snap)
    label = f"Transaction {tx_id}" + (f" ({snap.name})" if snap.name else "")
    signed = f"{snap.signed}/{snap.total} signed"
    if snap.status != "completed":
        # A change is news; an unchanged status is only worth a DEBUG line.
        (ctx.info if snap.status != before else ctx.debug)(f"{label}: {snap.status}, {signed}.")
        return
    ctx.count("completed")
    folder = root / safe_name(tx_id, "transaction")
    documents = await api.documents(tx_id, snap)
    save_documents(folder, documents)
    queries.mark_downloaded(ctx.state, tx_id=tx_id, folder=str(folder), documents=len(documents),
                            downloaded_at=ctx.now().isoformat(timespec="seconds"))
    ctx.count("downloaded")
    ctx.info(f"{label}: completed, {signed}; {len(documents)} signed document(s) saved in {folder}.")
