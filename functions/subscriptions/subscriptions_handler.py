"""Subscriptions: flattr a thing automatically in each of the next 3, 6 or 12 months."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from flattr.domain import things as rules
from flattr.http import current_user, entry, json_response, make_app
from flattr.store import pages, subscriptions
from pydantic import BaseModel, ConfigDict

app = make_app()


class SubscriptionIn(BaseModel):
    # Its validator is built on first use, not by a cold start serving another route.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    months: Literal[3, 6, 12]


def present(sub) -> dict:
    return {
        "thing_id": int(sub.thing_id),
        "months": int(sub.months),
        "first_month": sub.first,
        "last_month": sub.last,
    }


@app.post("/things/<thing_id>/subscription", responses={201: {"description": "Subscribed"}})
def subscribe(thing_id: Annotated[str, Path()], body: Annotated[SubscriptionIn, Body()]):
    user_id = current_user(app)
    sub = subscriptions.subscribe(user_id, rules.parse_id(thing_id), body.months)
    return json_response(201, present(sub))


@app.delete("/things/<thing_id>/subscription")
def cancel(thing_id: Annotated[str, Path()]):
    subscriptions.cancel(current_user(app), rules.parse_id(thing_id))
    return {"thing_id": int(thing_id), "status": "cancelled"}


@app.get("/me/subscriptions")
def mine(
    limit: Annotated[int, Query(ge=1, le=pages.MAX_COUNT, description="rows per page")] = 30,
    cursor: Annotated[
        Optional[str], Query(max_length=400, description="the `next` of the page before")
    ] = None,
):
    """A page of the caller's subscriptions (one to a deleted thing has ended); `next` goes on."""
    page = pages.subscriptions_of(current_user(app), count=limit, cursor=cursor)
    return {"subscriptions": [present(s) for s in subscriptions.alive(page.rows)], "next": page.next}


handler = entry(app)
