"""v2's things: look up by URL, search, read one or several, create, update, delete."""

from __future__ import annotations

import json
from typing import Annotated, Literal, Optional

import rest_v2_common as common
import rest_v2_lists
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from flattr.domain import things as rules
from flattr.domain.errors import ThingNotFound, ValidationFailed
from flattr.http import current_user, json_response, v2_body
from flattr.store import pages, things

router = APIGatewayHttpRouter()


LOOKUP_ANSWERS = {
    302: {"description": "Found: `Location` is the thing's resource"},
    404: {"description": "No thing was found: v2's lookup body, with the error fields too"},
}


@router.get("/rest/v2/things/lookup", responses=LOOKUP_ANSWERS)
@router.get("/rest/v2/things/lookup/", responses=LOOKUP_ANSWERS)  # as v2's documentation writes it
def lookup(url: Annotated[str, Query(max_length=4000)]):
    """302 to the thing, as v2 did; 404 with v2's lookup body (and its error fields) if none."""
    thing = common.named_by(url)
    if thing is None:
        body = v2_body(
            "not_found", "No thing was found", {"message": "not_found", "description": "No thing was found"}
        )
        return Response(404, "application/json", json.dumps(body))
    location = common.shapes(router).thing_mini(thing.thing_id, thing.url, thing.title)["resource"]
    return Response(
        302,
        "application/json",
        json.dumps({"message": "found", "location": location}),
        headers={"Location": location},
    )


@router.get("/rest/v2/things/search")
def search(
    query: Annotated[Optional[str], Query(max_length=200)] = None,
    url: Annotated[Optional[str], Query(max_length=4000)] = None,
    tags: Annotated[Optional[str], Query(max_length=500, description="a | b & c ! d")] = None,
    language: Annotated[Optional[str], Query(max_length=200)] = None,
    category: Annotated[Optional[str], Query(max_length=200)] = None,
    user: Annotated[Optional[str], Query(max_length=128)] = None,
    sort: Annotated[Literal[common.SORTS], Query()] = "relevance",
    page: common.Page = 1,
    count: common.Count = 30,
    cursor: common.Cursor = None,
    full: common.Full = None,
):
    """Public things only, from an index, page by page (v2_lists). Week, day and trend sort by this
    month: months are what is counted."""
    return rest_v2_lists.search_things(
        common.shapes(router),
        query=query,
        url=url,
        tags=tags,
        language=language,
        category=category,
        user=user,
        sort=sort,
        page=page,
        count=count,
        cursor=cursor,
        named_by=common.named_by,
    )


@router.get("/rest/v2/things/<thing_id>")
def get_things(
    thing_id: Annotated[str, Path(max_length=1700, description="an id, or several joined by commas")],
    full: common.Full = None,
):
    """One id: the thing. Several, joined by commas: a list of those that exist."""
    shapes = common.shapes(router)
    if "," not in thing_id:
        return shapes.things([common.reachable(thing_id)], exact=True)[0]
    wanted = [rules.parse_id(i) for i in thing_id.split(",")]
    if len(wanted) > pages.MAX_COUNT:
        raise ValidationFailed(f"Ask for at most {pages.MAX_COUNT} things at a time.")
    found = [t for t in things.get_many(wanted) if things.reachable(t)]
    if not found:
        raise ThingNotFound("The requested things could not be found.")
    return shapes.things(found)


@router.post("/rest/v2/things", responses={201: {"description": "Created"}})
@router.post("/rest/v2/things/", responses={201: {"description": "Created"}})  # as flattrclient sends it
def create(
    url: Annotated[str, Form(max_length=2000)],
    title: Annotated[Optional[str], Form()] = None,
    description: Annotated[Optional[str], Form()] = None,
    tags: Annotated[common.TagsIn, Form(description="comma separated")] = None,
    language: Annotated[Optional[str], Form()] = None,
    category: Annotated[Optional[str], Form()] = None,
    hidden: Annotated[Optional[bool], Form()] = None,
):
    owner = current_user(router)
    draft = common.checked(
        common.NewThing,
        dict(
            url=url,
            title=title,
            description=description,
            tags=tags,
            language=language,
            category=category,
            hidden=hidden,
        ),
    )
    try:
        created = things.register(owner, **draft.fields())
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code="validation") from None
    resource = common.shapes(router).thing_mini(created.thing_id, created.url, created.title)["resource"]
    return json_response(
        201,
        {
            "id": int(created.thing_id),
            "link": resource,
            "message": "ok",
            "description": "Thing was created successfully",
        },
    )


@router.patch("/rest/v2/things/<thing_id>")
@router.post("/rest/v2/things/<thing_id>")  # v2's way for clients that cannot send PATCH: `_method=patch`
def update(
    thing_id: Annotated[str, Path()],
    method: Annotated[Optional[Literal["patch", "PATCH"]], Form(alias="_method")] = None,
    title: Annotated[Optional[str], Form()] = None,
    description: Annotated[Optional[str], Form()] = None,
    tags: Annotated[common.TagsIn, Form(description="comma separated")] = None,
    language: Annotated[Optional[str], Form()] = None,
    category: Annotated[Optional[str], Form()] = None,
    hidden: Annotated[Optional[bool], Form()] = None,
):
    if router.current_event.http_method == "POST" and method is None:
        raise ValidationFailed("A POST to a thing updates it, with _method=patch.")
    owner = current_user(router)
    fields = dict(
        title=title, description=description, tags=tags, language=language, category=category, hidden=hidden
    )
    things.update(
        rules.parse_id(thing_id),
        owner,
        **common.checked(common.Changes, fields).model_dump(exclude_none=True),
    )
    return {"message": "ok", "description": "Thing was updated correctly"}


@router.delete("/rest/v2/things/<thing_id>", responses={204: {"description": "Deleted"}})
def delete(thing_id: Annotated[str, Path()]):
    things.delete(rules.parse_id(thing_id), current_user(router))
    return Response(204, "application/json", "")
