"""v2's flattrs: flattr a thing by id or by URL (an auto-submit URL makes its thing), the lists of
flattrs, and auto-submit's redirect to a thing's flattr page."""

from __future__ import annotations

import json
from typing import Annotated, Optional
from urllib.parse import quote

import rest_v2_common as common
import rest_v2_lists
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit
from flattr.domain import things as rules
from flattr.domain.errors import FlattrOnce, NotFound, ThingNotFound, UrlTaken, ValidationFailed
from flattr.http import current_user, json_response, metrics
from flattr.store import clicks, users

router = APIGatewayHttpRouter()


def _flattr(user_id: str, thing_id: str) -> Response:
    """v1's click, so both versions write the same flattr item; v2 calls a repeat flattr_once."""
    click = clicks.flattr(user_id, thing_id)
    if not click.created:
        raise FlattrOnce("You have already flattred this thing this month.")
    return _flattred(click)


def _flattred(click: clicks.Click) -> Response:
    metrics.add_metric(name="Flattrs", unit=MetricUnit.Count, value=1)
    # The thing as the click knew it: reading its counts too would cost the click more requests.
    thing = common.shapes(router).thing_mini(click.thing_id, click.thing.url, click.thing.title)
    return json_response(
        200, {"message": "ok", "description": "Thing was successfully flattred", "thing": thing}
    )


@router.post("/rest/v2/things/<thing_id>/flattr")
def flattr_thing(thing_id: Annotated[str, Path()]):
    return _flattr(current_user(router), rules.parse_id(thing_id))


@router.post("/rest/v2/flattr")
def flattr_url(
    url: Annotated[str, Form(max_length=4000, description="a thing's URL, or an auto-submit URL")],
):
    """Flattr by URL. An auto-submit URL whose thing does not exist yet makes it, for its owner,
    in the same transaction as this first flattr: if the flattr is refused, nothing is made."""
    user_id = current_user(router)
    thing = common.named_by(url)
    if thing is not None:
        return _flattr(user_id, thing.thing_id)
    fields = rules.auto_submit(url)
    if fields is None:
        raise ThingNotFound("No thing is registered for that URL.")
    auto = common.checked(common.AutoSubmit, fields)
    if users.get(auto.owner) is None:
        raise NotFound("No user has that user_id.", code="user_not_found")
    try:
        click = clicks.first_flattr(user_id, auto.owner, auto.fields())
    except UrlTaken:  # another first flattr made it a moment ago: flattr that one
        made = common.named_by(url)
        if made is None:
            raise ThingNotFound("No thing is registered for that URL.") from None
        return _flattr(user_id, made.thing_id)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code="validation") from None
    return _flattred(click)


@router.get("/rest/v2/things/<thing_id>/flattrs")
def flattrs_of_thing(
    thing_id: Annotated[str, Path()],
    page: common.Page = 1,
    count: common.Count = 30,
    cursor: common.Cursor = None,
    full: common.Full = None,
):
    shapes = common.shapes(router)
    return rest_v2_lists.fans_of(common.reachable(thing_id), shapes, page, count, cursor)


@router.get("/rest/v2/user/flattrs")
def my_flattrs(
    page: common.Page = 1, count: common.Count = 30, cursor: common.Cursor = None, full: common.Full = None
):
    return rest_v2_lists.flattrs_of(current_user(router), common.shapes(router), page, count, cursor)


@router.get("/rest/v2/users/<username>/flattrs")
def flattrs_of_user(
    username: Annotated[str, Path(max_length=128)],
    page: common.Page = 1,
    count: common.Count = 30,
    cursor: common.Cursor = None,
    full: common.Full = None,
):
    common.existing(username)
    return rest_v2_lists.flattrs_of(username, common.shapes(router), page, count, cursor)


# ---------------------------------------------------------------- auto-submit


@router.get("/submit/auto", responses={302: {"description": "To the thing's flattr page"}})
def auto_submit(
    user_id: Annotated[str, Query(min_length=1, max_length=128)],
    url: Annotated[str, Query(max_length=2000)],
    title: Annotated[Optional[str], Query()] = None,
    description: Annotated[Optional[str], Query()] = None,
    language: Annotated[Optional[str], Query()] = None,
    tags: Annotated[Optional[str], Query()] = None,
    hidden: Annotated[Optional[str], Query(description="1 hides it from listings")] = None,
    category: Annotated[Optional[str], Query()] = None,
    origin: Annotated[
        Optional[str], Query(max_length=300, description="ours: the page to report back to")
    ] = None,
):
    """The thing's flattr page; a thing not made yet is made there, on its first flattr."""
    shapes = common.shapes(router)
    raw = router.current_event.raw_event.get("rawQueryString", "")
    here = f"{shapes.origin}/submit/auto?{raw}"
    thing = common.named_by(here)
    if thing is not None:
        # The widget names the page that opened the window, for the window to report back to.
        target = f"{shapes.pages}/flattr.html?thing={thing.thing_id}"
        target += f"&origin={quote(origin, safe='')}" if origin else ""
    else:
        # An owner not signed up here yet is told on the page, when the first flattr is refused.
        target = f"{shapes.pages}/flattr.html?submit={quote(here, safe='')}"
    return Response(302, "application/json", json.dumps({"location": target}), headers={"Location": target})
