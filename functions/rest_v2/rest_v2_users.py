"""v2's users: the caller, any user, and their things."""

from __future__ import annotations

from typing import Annotated

import rest_v2_common as common
import rest_v2_lists
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from flattr.domain.errors import NotFound
from flattr.http import claims, current_user
from flattr.store import users

router = APIGatewayHttpRouter()


@router.get("/rest/v2/user")
def me():
    user_id = current_user(router)
    user = users.get(user_id)
    if user is None:
        raise NotFound("You have no account yet: create it with PUT /me.", code="user_not_found")
    return common.shapes(router).user(user, email=claims(router).get("email"))


@router.get("/rest/v2/user/things")
def my_things(
    page: common.Page = 1, count: common.Count = 30, cursor: common.Cursor = None, full: common.Full = None
):
    return rest_v2_lists.things_of(current_user(router), common.shapes(router), page, count, cursor)


@router.get("/rest/v2/users/<username>")
def user(username: Annotated[str, Path(max_length=128)]):
    shapes = common.shapes(router)
    return shapes.user(common.existing(username), email=claims(router).get("email"))


@router.get("/rest/v2/users/<username>/things")
def things_of_user(
    username: Annotated[str, Path(max_length=128)],
    page: common.Page = 1,
    count: common.Count = 30,
    cursor: common.Cursor = None,
    full: common.Full = None,
):
    common.existing(username)
    return rest_v2_lists.things_of(username, common.shapes(router), page, count, cursor)
