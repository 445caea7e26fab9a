"""Lists read page by page at the database: a `Limit` on every query, and a cursor to go on.

What bounds a request: a page holds at most MAX_COUNT rows, and a page asked for by number (v2's
`page`) is reached by reading the rows before it, at most DEPTH rows in all; further on, a list
continues from the cursor its last page gave (`next`). Rows are then filled in by BatchGetItem.
A cursor names a position in its list only (a sort key), so a made-up one reads no more.
"""

from __future__ import annotations

import base64
import heapq
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..domain.errors import ValidationFailed
from .models import COUNTER_SHARDS, Flattr, Subscription, Thing, User

MAX_COUNT = 30  # rows per page
DEPTH = 100  # rows read to reach a page by its number (the rows before it, and its own)
_SAFE = re.compile(r"^[A-Za-z0-9#:._+\-]{1,200}$")


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next: str | None = None  # the cursor of the page after this one, if there may be one
    read: int = 0  # index rows read for it
    extra: dict = field(default_factory=dict)


def encode(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def decode(cursor: str, size: int) -> list[str]:
    """A cursor's parts; a cursor that is not one of ours is the client's mistake (400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        parts = None
    if not (
        isinstance(parts, list)
        and len(parts) == size
        and all(isinstance(p, str) and _SAFE.match(p) for p in parts)
    ):
        raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
    return parts


def skip_for(page: int, count: int, cursor: str | None) -> int:
    """Rows to pass over before the page: none after a cursor; else the pages before it, within DEPTH."""
    if count > MAX_COUNT:
        raise ValidationFailed(f"A page holds at most {MAX_COUNT} rows.", code="invalid_count")
    if cursor:
        return 0
    if page * count > DEPTH:
        raise ValidationFailed(
            f"Pages by number reach the first {DEPTH} rows; go on with the cursor the last page gave.",
            code="page_too_deep",
        )
    return (page - 1) * count


def _thing_key(thing_id: str) -> dict:
    if not thing_id.isascii() or not thing_id.isdigit():
        raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
    return {"pk": {"S": f"THING#{thing_id}"}, "sk": {"S": "THING"}}


def owned(owner_id: str, *, count: int, page: int = 1, cursor: str | None = None) -> Page:
    """A user's things, newest first, as thing ids (things_by_owner holds keys only)."""
    skip = skip_for(page, count, cursor)
    start = None
    if cursor:
        created_at, thing_id = decode(cursor, 2)
        start = {**_thing_key(thing_id), "owner_id": {"S": owner_id}, "created_at": {"S": created_at}}
    hits = Thing.by_owner.query(
        owner_id,
        scan_index_forward=False,
        limit=skip + count,
        last_evaluated_key=start,
        page_size=skip + count,
    )
    rows = [(h.pk.split("#", 1)[1], h.created_at) for h in hits]
    shown = rows[skip:]
    more = hits.last_evaluated_key is not None and len(rows) == skip + count
    nxt = encode(shown[-1][1], shown[-1][0]) if more and shown else None
    return Page([t for t, _ in shown], nxt, len(rows))


def flattrs_of(
    user_id: str, *, count: int, page: int = 1, cursor: str | None = None, month: str | None = None
) -> Page:
    """A user's flattrs, newest month first (all months, or one), as Flattr items."""
    skip = skip_for(page, count, cursor)
    pk, _ = User.key(user_id)
    prefix = Flattr.month_prefix(month) if month else "FLATTR#"
    start = {"pk": {"S": pk}, "sk": {"S": decode(cursor, 1)[0]}} if cursor else None
    if start and not start["sk"]["S"].startswith(prefix):
        raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
    hits = Flattr.query(
        pk,
        Flattr.sk.startswith(prefix),
        scan_index_forward=False,
        limit=skip + count,
        last_evaluated_key=start,
        page_size=skip + count,
    )
    rows = list(hits)
    shown = rows[skip:]
    more = hits.last_evaluated_key is not None and len(rows) == skip + count
    return Page(shown, encode(shown[-1].sk) if more and shown else None, len(rows))


@dataclass(frozen=True)
class Fan:
    user_id: str
    month: str
    at: str


CHUNK = 4  # rows read per shard at a time: the merge reads at most CHUNK past what it returns per shard


def fans(thing_id: str, *, count: int, page: int = 1, cursor: str | None = None) -> Page:
    """A thing's flattrs, newest first, merged lazily from its shards of flattrs_by_thing."""
    skip = skip_for(page, count, cursor)
    before = decode(cursor, 1)[0] if cursor else None
    need = skip + count
    read = 0

    def shard_rows(shard: int):
        nonlocal read
        start = None
        while True:
            condition = Flattr.at < before if before else None
            hits = Flattr.by_thing.query(
                Flattr.of(thing_id, shard),
                condition,
                scan_index_forward=False,
                limit=CHUNK,
                page_size=CHUNK,
                last_evaluated_key=start,
            )
            got = list(hits)
            read += len(got)
            for h in got:
                yield Fan(h.pk.split("#", 1)[1], h.sk.split("#")[1], h.at)
            start = hits.last_evaluated_key
            if start is None or len(got) < CHUNK:
                return

    merged = heapq.merge(*(shard_rows(s) for s in range(COUNTER_SHARDS)), key=lambda f: f.at, reverse=True)
    rows = []
    for fan in merged:
        rows.append(fan)
        if len(rows) > need:
            break
    more = len(rows) > need
    shown = rows[skip:need]
    return Page(shown, encode(shown[-1].at) if more and shown else None, read)


def subscriptions_of(user_id: str, *, count: int, page: int = 1, cursor: str | None = None) -> Page:
    skip = skip_for(page, count, cursor)
    pk = f"USER#{user_id}"
    start = None
    if cursor:
        (thing_id,) = decode(cursor, 1)
        start = {"pk": {"S": pk}, "sk": {"S": f"{Subscription.PREFIX}{thing_id}"}}
    hits = Subscription.query(
        pk,
        Subscription.sk.startswith(Subscription.PREFIX),
        consistent_read=True,
        limit=skip + count,
        page_size=skip + count,
        last_evaluated_key=start,
    )
    rows = list(hits)
    shown = rows[skip:]
    more = hits.last_evaluated_key is not None and len(rows) == skip + count
    return Page(shown, encode(shown[-1].thing_id) if more and shown else None, len(rows))
