"""What v2's resources share: parameter types, the thing models, and the lookups every route uses."""

from __future__ import annotations

from typing import Annotated, Optional, Union

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from flattr import claims
from flattr.domain import things as rules
from flattr.domain.errors import NotFound, ThingNotFound, ValidationFailed
from flattr.http import api_url, optional_user, pages_url
from flattr.store import pages, things, users
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_v2_shapes import Shapes

Page = Annotated[
    int,
    Query(
        ge=1, le=100, description="first page is 1; pages by number reach the first 100 rows, then `cursor`"
    ),
]
Count = Annotated[int, Query(ge=1, le=pages.MAX_COUNT, description="records per page")]
Cursor = Annotated[
    Optional[str], Query(max_length=400, description="ours: go on after a page, from its X-Next-Cursor")
]
Full = Annotated[Optional[str], Query(max_length=10, description="whole owner objects instead of mini ones")]
TagsIn = Optional[Union[list[str], str]]
SORTS = ("relevance", "trend", "flattrs", "flattrs_month", "flattrs_week", "flattrs_day")


class NewThing(BaseModel):
    """v2's create: only `url` is needed, and the defaults are v2's. The limits are v1's rules."""

    # Validators are built on first use, not at import: most requests check no thing's fields.
    model_config = ConfigDict(defer_build=True)
    url: rules.Url
    title: Optional[rules.Title] = None
    description: rules.Description = ""
    # A lambda, not `list`: pydantic reads a builtin's signature by tokenizing it (12 ms at import).
    tags: rules.Tags = Field(default_factory=lambda: [])
    language: rules.Language = "en_GB"
    category: rules.Category = "rest"
    hidden: bool = False

    def fields(self) -> dict:
        return {**self.model_dump(exclude={"owner"}), "title": self.title or self.url[:100]}


class AutoSubmit(NewThing):
    """An auto-submit URL's fields: a thing for `user_id`, made on its first flattr."""

    model_config = ConfigDict(populate_by_name=True)
    owner: str = Field(alias="user_id", min_length=1, max_length=128)

    def fields(self) -> dict:
        # Made by someone else's flattr: unlisted until its owner claims it (or edits it).
        return {**super().fields(), "unclaimed": True}


class Changes(BaseModel):
    model_config = ConfigDict(defer_build=True)
    title: Optional[rules.Title] = None
    description: Optional[rules.Description] = None
    tags: Optional[rules.Tags] = None
    language: rules.Language = None
    category: rules.Category = None
    hidden: Optional[bool] = None


def checked(model: type[BaseModel], fields: dict) -> BaseModel:
    """v2 calls a thing's fields that break a rule `validation`."""
    fields = {k: v for k, v in fields.items() if v is not None}
    if "tags" in fields:
        fields["tags"] = rules.split_tags(fields["tags"])
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"{where}: {first['msg']}", code="validation") from None


def shapes(router: APIGatewayHttpRouter) -> Shapes:
    full = router.current_event.query_string_parameters or {}
    return Shapes(
        origin=api_url(router),
        pages=pages_url(router),
        viewer=optional_user(router),
        full="full" in full and full["full"].lower() not in ("false", "0"),
    )


def reachable(thing_id: str):
    thing = things.get(rules.parse_id(thing_id))
    if not things.reachable(thing):
        raise ThingNotFound()
    return thing


def named_by(url: str):
    """The thing a URL names: an auto-submit URL names the thing of its `url`, if its owner matches."""
    fields = rules.auto_submit(url)
    if fields is None:
        thing = things.lookup(url)
        return thing if things.reachable(thing) else None
    auto = checked(AutoSubmit, fields)
    thing = things.lookup(auto.url)
    if not things.reachable(thing):
        return None
    if thing.owner_id != auto.owner:
        raise ValidationFailed("Owner mismatch. Current thing owned by other account.", code="validation")
    return thing


def existing(username: str):
    user = users.get(username)
    if user is None:
        raise NotFound("The requested user could not be found.", code="user_not_found")
    return user


def caller(event: dict) -> str:
    """Whom the rate limit counts: the signed-in user, else the source IP."""
    sub = claims.of_event(event).get("sub")
    return (
        f"user:{sub}"
        if sub
        else f"ip:{((event.get('requestContext') or {}).get('http') or {}).get('sourceIp')}"
    )
