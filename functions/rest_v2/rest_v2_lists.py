"""v2's lists and search, each read page by page at the database (flattr.store.pages, .search).

v2's `page` and `count` keep working: a page by number is reached by reading the rows before it,
within the first pages.DEPTH rows. Past that, and on any page, the cursor in `X-Next-Cursor` (and,
in search's object, `next`) goes on: pass it back as `cursor`.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response
from flattr.store import pages, search, things, users
from rest_v2_shapes import Shapes

SORTED_BY = {"relevance": "newest", "flattrs": "flattrs"}  # week, day, trend: this month


def answer(rows: list, page: pages.Page) -> Response:
    headers = {"X-Next-Cursor": page.next} if page.next else None
    return Response(200, "application/json", json.dumps(rows), headers=headers)


def search_things(
    shapes: Shapes, *, query, url, tags, language, category, user, sort, page, count, cursor, named_by
) -> dict:
    """Public things only. Week, day and trend sort by this month: months are what is counted."""
    asked = search.Query.parse(query, tags, language, category)
    keep = asked.keep
    if url:
        found = [t for t in [named_by(url)] if t and keep(t)]
        first = found[:count] if page == 1 and not cursor else []
        result = pages.Page(first, None, 1, {"matched": len(found)})
    elif user:
        owned = pages.owned(user, count=count, page=page, cursor=cursor)
        shown = [t for t in things.get_many(owned.rows) if keep(t)]
        result = pages.Page(shown, owned.next, owned.read, {"matched": (page - 1) * count + len(shown)})
    else:
        result = search.search(
            SORTED_BY.get(sort, "flattrs_month"), keep, count=count, page=page, cursor=cursor
        )
    shown = asked.by_relevance(result.rows) if sort == "relevance" else list(result.rows)
    body = {
        # Matches among the rows read for this page: with `next`, more may follow.
        "total_items": result.extra.get("matched", len(shown)),
        "items": len(shown),
        "page": page,
        "things": shapes.things(shown),
    }
    if result.next:
        body["next"] = result.next
    return body


def things_of(user_id: str, shapes: Shapes, page: int, count: int, cursor: str | None) -> Response:
    owned = pages.owned(user_id, count=count, page=page, cursor=cursor)
    shown = [t for t in things.get_many(owned.rows) if things.listed_to(t, shapes.viewer)]
    return answer(shapes.things(shown), owned)


def flattrs_of(user_id: str, shapes: Shapes, page: int, count: int, cursor: str | None) -> Response:
    """Empty when the user keeps their flattrs private, as v2 documents."""
    if users.hides_flattrs_from(user_id, shapes.viewer):
        return answer([], pages.Page([]))
    made = pages.flattrs_of(user_id, count=count, page=page, cursor=cursor)
    return answer(shapes.flattrs([(user_id, f.thing_id, f.at) for f in made.rows]), made)


def fans_of(thing, shapes: Shapes, page: int, count: int, cursor: str | None) -> Response:
    fans = pages.fans(thing.thing_id, count=count, page=page, cursor=cursor)
    rows = [(f.user_id, thing.thing_id, f.at) for f in fans.rows]
    return answer(shapes.flattrs(rows, of_thing=True), fans)


def subscriptions_of(user_id: str, shapes: Shapes, page: int, count: int, cursor: str | None) -> Response:
    subs = pages.subscriptions_of(user_id, count=count, page=page, cursor=cursor)
    found = {t.thing_id: t for t in things.get_many([s.thing_id for s in subs.rows]) if things.reachable(t)}
    listed = [s for s in subs.rows if s.thing_id in found]
    shaped = {t["id"]: t for t in shapes.things([found[s.thing_id] for s in listed])}
    return answer([shapes.subscription(s, shaped[int(s.thing_id)]) for s in listed], subs)
