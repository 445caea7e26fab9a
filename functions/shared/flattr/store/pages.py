"""Lists read page by page at the database: a `Limit` on every query, and a cursor to go on.

What bounds a request: a page holds at most MAX_COUNT rows, and a page asked for by number (v2's
`page`) is reached by reading the rows before it, at most DEPTH rows in all; further on, a list
continues from the cursor its last page gave (`next`). Rows are then filled in by BatchGetItem.
A cursor names a position in its list only (a sort key), so a made-up one reads no more.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import ValidationFailed
from ..domain.months import previous
from . import cards, things
from .models import Subscription, Thing

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


@dataclass(frozen=True)
class Made:
    """One of a user's flattrs, as their month card holds it."""

    thing_id: str
    month: str
    at: str  # ISO 8601
    via: str


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def flattrs_of(
    user_id: str, *, count: int, page: int = 1, cursor: str | None = None, month: str | None = None
) -> Page:
    """A user's flattrs, newest first (all months, or one), read from their month cards: a card
    holds a whole month, so a page reads a few cards (at most DEPTH rows are passed over)."""
    skip = skip_for(page, count, cursor)
    need = skip + count
    after = None
    if cursor:
        at_month, at, thing_id = decode(cursor, 3)
        if not (at.isdigit() and thing_id.isdigit()) or (month and at_month != month):
            raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
        after = (at_month, -int(at), -int(thing_id))
    through = after[0] if after else month
    rows: list[tuple[str, cards.Entry]] = []
    read = 0
    while len(rows) <= need:
        found = cards.months_of(user_id, through=through, limit=1 if month else 3)
        if month:
            found = [c for c in found if c.month == month]
        read += len(found)
        for card in found:
            for e in card.newest_first():
                if after is None or (card.month, -e.at, -int(e.thing_id)) > after or card.month < after[0]:
                    rows.append((card.month, e))
        if month or len(found) < 3:
            break
        through = previous(found[-1].month)
    shown = rows[skip:need]
    more = len(rows) > need
    nxt = encode(shown[-1][0], str(shown[-1][1].at), shown[-1][1].thing_id) if more and shown else None
    return Page([Made(e.thing_id, m, _iso(e.at), e.via) for m, e in shown], nxt, read)


@dataclass(frozen=True)
class Fan:
    user_id: str
    month: str
    at: str


def fans(thing_id: str, *, count: int, page: int = 1, cursor: str | None = None) -> Page:
    """A thing's latest flattrs, newest first: the short list its counter keeps (ThingCount.FANS,
    written by the stream tally). Older fans are not listed: no index of every flattr is kept."""
    skip = skip_for(page, count, cursor)
    before = decode(cursor, 1)[0] if cursor else None
    if before is not None and not before.isdigit():
        raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
    rows = [(u, at) for u, at in things.latest_fans(thing_id) if before is None or at < int(before)]
    shown = rows[skip : skip + count]
    more = len(rows) > skip + count
    out = [Fan(u, _iso(at)[:7], _iso(at)) for u, at in shown]
    return Page(out, encode(str(shown[-1][1])) if more and shown else None, 1)


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
