"""Things: register, read, look up by URL, and a QR code for offline works."""

from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from flattr.clock import now
from flattr.domain import things as rules
from flattr.domain.errors import ThingNotFound
from flattr.domain.months import month_of
from flattr.http import current_user, entry, json_response, make_app, optional_user, pages_url
from flattr.limits import limited, reads_and
from flattr.store import aggregates, pages, things, users
from pydantic import BaseModel, ConfigDict, Field

app = make_app()


class ThingIn(BaseModel):
    # Its validator is built on first use, not by a cold start serving another route.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    url: rules.Url
    title: rules.Title
    description: rules.Description = ""
    # A lambda, not `list`: pydantic reads a builtin's signature by tokenizing it (12 ms at import).
    tags: rules.Tags = Field(default_factory=lambda: [])
    language: rules.Language = None
    category: rules.Category = None
    hidden: bool = False


def present(thing, viewer: str | None) -> dict:
    """One thing, with its counts from its counter (the stream tally's)."""
    month = month_of(now())
    counts = things.counts(thing.thing_id, month)
    names = things.owner_names({thing.owner_id})
    flattred = things.flattred(viewer, thing.thing_id, month) if viewer else None
    return _body(thing, counts, names, flattred)


def present_many(found: list, viewer: str | None) -> list[dict]:
    """A list's things, read in batches, with their folded counts (flattr.store.aggregates)."""
    month = month_of(now())
    counts = aggregates.shown(found, month)
    names = things.owner_names({t.owner_id for t in found}) if found else {}
    flattred = things.flattred_many(viewer, [t.thing_id for t in found], month) if viewer and found else set()
    return [_body(t, counts[t.thing_id], names, t.thing_id in flattred if viewer else None) for t in found]


def _body(thing, counts, names: dict, flattred: bool | None) -> dict:
    owner_name = names.get(thing.owner_id, "")
    body = {
        "id": int(thing.thing_id),
        "url": thing.url,
        "title": thing.title,
        "description": thing.description or "",
        "tags": list(thing.tags or []),
        "language": thing.language,
        "category": thing.category,
        "hidden": bool(thing.hidden),
        "claimed": not thing.unclaimed,  # false: auto-submitted by someone else, hidden until claimed
        "owner": {"user_id": thing.owner_id, "display_name": owner_name},
        "flattrs": counts.total,
        "flattrs_month": counts.month,
        "created_at": thing.created_at,
    }
    if flattred is not None:
        body["flattred"] = flattred
    return body


def _reachable(thing_id: str):
    thing = things.get(rules.parse_id(thing_id))
    if not things.reachable(thing):
        raise ThingNotFound()
    return thing


@app.post("/things", responses={201: {"description": "The thing, registered"}})
def register(thing: Annotated[ThingIn, Body()]):
    owner = current_user(app)
    created = things.register(owner, **thing.model_dump())
    return json_response(201, present(created, owner))


@app.get("/things/lookup")
def lookup(url: Annotated[str, Query(max_length=2000)]):
    viewer = optional_user(app)
    thing = things.lookup(url)
    if not things.reachable(thing):
        raise ThingNotFound("No thing is registered for that URL.")
    return present(thing, viewer)


@app.get("/things/<thing_id>")
def get_thing(thing_id: Annotated[str, Path()]):
    viewer = optional_user(app)
    return present(_reachable(thing_id), viewer)


@app.post("/things/<thing_id>/claim")
def claim(thing_id: Annotated[str, Path()]):
    """The owner takes on a thing someone's auto-submit made in their name: it is listed from now on."""
    owner = current_user(app)
    return present(things.claim(rules.parse_id(thing_id), owner), owner)


@app.delete("/things/<thing_id>", responses={204: {"description": "Deleted: its URL is free again"}})
def delete(thing_id: Annotated[str, Path()]):
    """The owner takes a thing down (an unwanted auto-submitted one, say), which frees its URL."""
    things.delete(rules.parse_id(thing_id), current_user(app))
    return Response(204, "application/json", "")


@app.get("/things/<thing_id>/qr.svg")
def qr(thing_id: Annotated[str, Path()]):
    import segno  # this route only: it loads urllib.request and xml.sax at import (about 40 ms of CPU)

    thing = _reachable(thing_id)
    svg = segno.make(f"{pages_url(app)}/flattr.html?thing={thing.thing_id}", error="m").svg_inline(
        scale=4, title=f"Flattr {thing.title}"
    )
    # A standalone SVG file needs its XML namespace, which svg_inline leaves out: without it a
    # browser shows an <img> of it as nothing at all.
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(
        status_code=200,
        content_type="image/svg+xml",
        body=svg,
        headers={"Cache-Control": "public, max-age=86400"},
    )


Limit = Annotated[int, Query(ge=1, le=pages.MAX_COUNT, description="rows per page")]
Cursor = Annotated[Optional[str], Query(max_length=400, description="the `next` of the page before")]


@app.get("/users/<user_id>/things")
def things_of(user_id: Annotated[str, Path(max_length=128)], limit: Limit = 20, cursor: Cursor = None):
    """A user's things listed to the viewer, newest first, a page at a time (`next` goes on)."""
    viewer = optional_user(app)
    owned = pages.owned(user_id, count=limit, cursor=cursor)
    shown = [t for t in things.get_many(owned.rows) if things.listed_to(t, viewer)]
    return {"user_id": user_id, "things": present_many(shown, viewer), "next": owned.next}


@app.get("/users/<user_id>/flattrs")
def flattrs_of(user_id: Annotated[str, Path(max_length=128)], limit: Limit = 30, cursor: Cursor = None):
    """What a user flattred this month, unless they keep it private (counts stay public): the things
    listed to the viewer, a page at a time (`next` goes on)."""
    viewer = optional_user(app)
    month = month_of(now())
    hidden = users.hides_flattrs_from(user_id, viewer)
    if hidden:
        return {"user_id": user_id, "month": month, "hidden": True, "things": [], "next": None}
    made = pages.flattrs_of(user_id, count=limit, cursor=cursor, month=month)
    shown = things.get_many([f.thing_id for f in made.rows])
    listed = [int(t.thing_id) for t in shown if things.listed_to(t, viewer)]
    return {"user_id": user_id, "month": month, "hidden": False, "things": listed, "next": made.next}


handler = entry(app, around=limited(reads_and({("POST", "/things"): "things"})))
