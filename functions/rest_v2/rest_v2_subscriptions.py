"""v2's subscriptions: the caller's, subscribing (v2 clients get the shortest term) and unsubscribing."""

from __future__ import annotations

from typing import Annotated, Literal

import rest_v2_common as common
import rest_v2_lists
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from flattr.domain import things as rules
from flattr.domain.errors import FlattrOwner, Forbidden
from flattr.http import current_user
from flattr.store import subscriptions

router = APIGatewayHttpRouter()


@router.get("/rest/v2/user/subscriptions")
def my_subscriptions(page: common.Page = 1, count: common.Count = 30, cursor: common.Cursor = None):
    return rest_v2_lists.subscriptions_of(current_user(router), common.shapes(router), page, count, cursor)


@router.post("/rest/v2/things/<thing_id>/subscriptions")
def subscribe(
    thing_id: Annotated[str, Path()],
    months: Annotated[Literal[3, 6, 12], Form(description="ours: the term; v2 clients get 3")] = 3,
):
    """v2 clients cannot name a term, so they get the shortest: the least money committed."""
    user_id = current_user(router)
    thing = common.reachable(thing_id)
    if subscriptions.get(user_id, thing.thing_id) is not None:
        raise Forbidden("You are already subscribed to this thing.", code="subscribed")
    try:
        subscriptions.subscribe(user_id, thing.thing_id, months)
    except FlattrOwner as exc:
        raise Forbidden(exc.message, code="thing_owner") from None
    return {
        "message": "ok",
        "description": "Successfully subscribed to Thing",
        "thing": common.shapes(router).thing_mini(thing.thing_id, thing.url, thing.title),
    }


@router.delete("/rest/v2/things/<thing_id>/subscriptions", responses={204: {"description": "Unsubscribed"}})
def unsubscribe(thing_id: Annotated[str, Path()]):
    subscriptions.cancel(current_user(router), rules.parse_id(thing_id))
    return Response(204, "application/json", "")
