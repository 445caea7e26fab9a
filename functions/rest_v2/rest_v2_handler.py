"""Flattr REST API v2 under /rest/v2/, and auto-submit URLs, so that v2 clients work unchanged.

The routes only translate: v2's parameters in, v2's objects out (v2_shapes). The rules, the items
and the money path are v1's, so a flattr made here is the very item a v1 click writes.
"""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Annotated, Literal, Optional, Union
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
import v2_lists
from v2_shapes import Shapes

from flattr import settings, tokens
from flattr.domain import things as rules
from flattr.domain.errors import (
    FlattrError,
    FlattrOnce,
    FlattrOwner,
    NotFound,
    ThingNotFound,
    UrlTaken,
    ValidationFailed,
)
from flattr.http import (
    V2_ERROR_URI,
    api_url,
    claims,
    current_user,
    entry,
    error_v2,
    json_response,
    make_app,
    metrics,
    optional_user,
    pages_url,
)
from flattr.observability import logger
from flattr.store import clicks, pages, ratelimit, subscriptions, things, users

app = make_app(render=error_v2)

Page = Annotated[
    int, Query(ge=1, le=100, description="first page is 1; pages by number reach the first 100 rows, then `cursor`")
]
Count = Annotated[int, Query(ge=1, le=pages.MAX_COUNT, description="records per page")]
Cursor = Annotated[
    Optional[str], Query(max_length=400, description="ours: go on after a page, from its X-Next-Cursor")
]
Full = Annotated[Optional[str], Query(max_length=10, description="whole owner objects instead of mini ones")]
TagsIn = Optional[Union[list[str], str]]
SORTS = ("relevance", "trend", "flattrs", "flattrs_month", "flattrs_week", "flattrs_day")
CATEGORIES = [
    ("text", "Text"),
    ("images", "Images"),
    ("video", "Video"),
    ("audio", "Audio"),
    ("software", "Software"),
    ("people", "People"),
    ("rest", "Other"),
]
LANGUAGES = [
    ("en_GB", "English"),
    ("sq_AL", "Albanian"),
    ("ar_DZ", "Arabic"),
    ("be_BY", "Belarusian"),
    ("bg_BG", "Bulgarian"),
    ("ca_ES", "Catalan"),
    ("zh_CN", "Chinese"),
    ("hr_HR", "Croatian"),
    ("cs_CZ", "Czech"),
    ("da_DK", "Danish"),
    ("nl_NL", "Dutch"),
    ("et_EE", "Estonian"),
    ("fi_FI", "Finnish"),
    ("fr_FR", "French"),
    ("de_DE", "German"),
    ("el_GR", "Greek"),
    ("iw_IL", "Hebrew"),
    ("hi_IN", "Hindi"),
    ("hu_HU", "Hungarian"),
    ("is_IS", "Icelandic"),
    ("in_ID", "Indonesian"),
    ("ga_IE", "Irish"),
    ("it_IT", "Italian"),
    ("ja_JP", "Japanese"),
    ("ko_KR", "Korean"),
    ("lv_LV", "Latvian"),
    ("lt_LT", "Lithuanian"),
    ("mk_MK", "Macedonian"),
    ("ms_MY", "Malay"),
    ("mt_MT", "Maltese"),
    ("no_NO", "Norwegian"),
    ("pl_PL", "Polish"),
    ("pt_PT", "Portuguese"),
    ("ro_RO", "Romanian"),
    ("ru_RU", "Russian"),
    ("sr_RS", "Serbian"),
    ("sk_SK", "Slovak"),
    ("sl_SI", "Slovenian"),
    ("es_ES", "Spanish"),
    ("sv_SE", "Swedish"),
    ("th_TH", "Thai"),
    ("tr_TR", "Turkish"),
    ("uk_UA", "Ukrainian"),
    ("vi_VN", "Vietnamese"),
]


class NewThing(BaseModel):
    """v2's create: only `url` is needed, and the defaults are v2's. The limits are v1's rules."""

    url: rules.Url
    title: Optional[rules.Title] = None
    description: rules.Description = ""
    tags: rules.Tags = Field(default_factory=list)
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
    title: Optional[rules.Title] = None
    description: Optional[rules.Description] = None
    tags: Optional[rules.Tags] = None
    language: rules.Language = None
    category: rules.Category = None
    hidden: Optional[bool] = None


def _checked(model: type[BaseModel], fields: dict) -> BaseModel:
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


def _shapes() -> Shapes:
    full = app.current_event.query_string_parameters or {}
    return Shapes(
        origin=api_url(app),
        pages=pages_url(app),
        viewer=optional_user(app),
        full="full" in full and full["full"].lower() not in ("false", "0"),
    )


def _reachable(thing_id: str):
    thing = things.get(rules.parse_id(thing_id))
    if not things.reachable(thing):
        raise ThingNotFound()
    return thing


def _named_by(url: str):
    """The thing a URL names: an auto-submit URL names the thing of its `url`, if its owner matches."""
    fields = rules.auto_submit(url)
    if fields is None:
        thing = things.lookup(url)
        return thing if things.reachable(thing) else None
    auto = _checked(AutoSubmit, fields)
    thing = things.lookup(auto.url)
    if not things.reachable(thing):
        return None
    if thing.owner_id != auto.owner:
        raise ValidationFailed("Owner mismatch. Current thing owned by other account.", code="validation")
    return thing


# ---------------------------------------------------------------- things


LOOKUP_ANSWERS = {
    302: {"description": "Found: `Location` is the thing's resource"},
    404: {"description": "No thing was found: v2's lookup body, with the error fields too"},
}


@app.get("/rest/v2/things/lookup", responses=LOOKUP_ANSWERS)
@app.get("/rest/v2/things/lookup/", responses=LOOKUP_ANSWERS)  # as v2's documentation writes it
def lookup(url: Annotated[str, Query(max_length=4000)]):
    """302 to the thing, as v2 did; 404 with v2's lookup body (and its error fields) if none."""
    thing = _named_by(url)
    if thing is None:
        return Response(
            404,
            "application/json",
            json.dumps(
                {
                    "message": "not_found",
                    "description": "No thing was found",
                    "error": "not_found",
                    "error_description": "No thing was found",
                    "error_uri": V2_ERROR_URI,
                }
            ),
        )
    location = _shapes().thing_mini(thing.thing_id, thing.url, thing.title)["resource"]
    return Response(
        302,
        "application/json",
        json.dumps({"message": "found", "location": location}),
        headers={"Location": location},
    )


@app.get("/rest/v2/things/search")
def search(
    query: Annotated[Optional[str], Query(max_length=200)] = None,
    url: Annotated[Optional[str], Query(max_length=4000)] = None,
    tags: Annotated[Optional[str], Query(max_length=500, description="a | b & c ! d")] = None,
    language: Annotated[Optional[str], Query(max_length=200)] = None,
    category: Annotated[Optional[str], Query(max_length=200)] = None,
    user: Annotated[Optional[str], Query(max_length=128)] = None,
    sort: Annotated[Literal[SORTS], Query()] = "relevance",
    page: Page = 1,
    count: Count = 30,
    cursor: Cursor = None,
    full: Full = None,
):
    """Public things only, from an index, page by page (v2_lists). Week, day and trend sort by this
    month: months are what is counted."""
    return v2_lists.search_things(
        _shapes(), query=query, url=url, tags=tags, language=language, category=category, user=user,
        sort=sort, page=page, count=count, cursor=cursor, named_by=_named_by,
    )


@app.get("/rest/v2/things/<thing_id>")
def get_things(
    thing_id: Annotated[str, Path(max_length=1700, description="an id, or several joined by commas")],
    full: Full = None,
):
    """One id: the thing. Several, joined by commas: a list of those that exist."""
    shapes = _shapes()
    if "," not in thing_id:
        return shapes.things([_reachable(thing_id)], exact=True)[0]
    wanted = [rules.parse_id(i) for i in thing_id.split(",")]
    if len(wanted) > pages.MAX_COUNT:
        raise ValidationFailed(f"Ask for at most {pages.MAX_COUNT} things at a time.")
    found = [t for t in things.get_many(wanted) if things.reachable(t)]
    if not found:
        raise ThingNotFound("The requested things could not be found.")
    return shapes.things(found)


@app.post("/rest/v2/things", responses={201: {"description": "Created"}})
@app.post("/rest/v2/things/", responses={201: {"description": "Created"}})  # as flattrclient sends it
def create(
    url: Annotated[str, Form(max_length=2000)],
    title: Annotated[Optional[str], Form()] = None,
    description: Annotated[Optional[str], Form()] = None,
    tags: Annotated[TagsIn, Form(description="comma separated")] = None,
    language: Annotated[Optional[str], Form()] = None,
    category: Annotated[Optional[str], Form()] = None,
    hidden: Annotated[Optional[bool], Form()] = None,
):
    owner = current_user(app)
    draft = _checked(
        NewThing,
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
    resource = _shapes().thing_mini(created.thing_id, created.url, created.title)["resource"]
    return json_response(
        201,
        {
            "id": int(created.thing_id),
            "link": resource,
            "message": "ok",
            "description": "Thing was created successfully",
        },
    )


@app.patch("/rest/v2/things/<thing_id>")
@app.post("/rest/v2/things/<thing_id>")  # v2's way for clients that cannot send PATCH: `_method=patch`
def update(
    thing_id: Annotated[str, Path()],
    method: Annotated[Optional[Literal["patch", "PATCH"]], Form(alias="_method")] = None,
    title: Annotated[Optional[str], Form()] = None,
    description: Annotated[Optional[str], Form()] = None,
    tags: Annotated[TagsIn, Form(description="comma separated")] = None,
    language: Annotated[Optional[str], Form()] = None,
    category: Annotated[Optional[str], Form()] = None,
    hidden: Annotated[Optional[bool], Form()] = None,
):
    if app.current_event.http_method == "POST" and method is None:
        raise ValidationFailed("A POST to a thing updates it, with _method=patch.")
    owner = current_user(app)
    fields = dict(
        title=title, description=description, tags=tags, language=language, category=category, hidden=hidden
    )
    things.update(rules.parse_id(thing_id), owner, **_checked(Changes, fields).model_dump(exclude_none=True))
    return {"message": "ok", "description": "Thing was updated correctly"}


@app.delete("/rest/v2/things/<thing_id>", responses={204: {"description": "Deleted"}})
def delete(thing_id: Annotated[str, Path()]):
    things.delete(rules.parse_id(thing_id), current_user(app))
    return Response(204, "application/json", "")


# ---------------------------------------------------------------- flattrs


def _flattr(user_id: str, thing_id: str) -> Response:
    """v1's click, so both versions write the same flattr item; v2 calls a repeat flattr_once."""
    click = clicks.flattr(user_id, thing_id)
    if not click.created:
        raise FlattrOnce("You have already flattred this thing this month.")
    return _flattred(click)


def _flattred(click: clicks.Click) -> Response:
    metrics.add_metric(name="Flattrs", unit=MetricUnit.Count, value=1)
    # The thing as the click knew it: reading its counts too would cost the click more requests.
    thing = _shapes().thing_mini(click.thing_id, click.thing.url, click.thing.title)
    return json_response(
        200, {"message": "ok", "description": "Thing was successfully flattred", "thing": thing}
    )


@app.post("/rest/v2/things/<thing_id>/flattr")
def flattr_thing(thing_id: Annotated[str, Path()]):
    return _flattr(current_user(app), rules.parse_id(thing_id))


@app.post("/rest/v2/flattr")
def flattr_url(
    url: Annotated[str, Form(max_length=4000, description="a thing's URL, or an auto-submit URL")],
):
    """Flattr by URL. An auto-submit URL whose thing does not exist yet makes it, for its owner,
    in the same transaction as this first flattr: if the flattr is refused, nothing is made."""
    user_id = current_user(app)
    thing = _named_by(url)
    if thing is not None:
        return _flattr(user_id, thing.thing_id)
    fields = rules.auto_submit(url)
    if fields is None:
        raise ThingNotFound("No thing is registered for that URL.")
    auto = _checked(AutoSubmit, fields)
    if users.get(auto.owner) is None:
        raise NotFound("No user has that user_id.", code="user_not_found")
    try:
        click = clicks.first_flattr(user_id, auto.owner, auto.fields())
    except UrlTaken:  # another first flattr made it a moment ago: flattr that one
        made = _named_by(url)
        if made is None:
            raise ThingNotFound("No thing is registered for that URL.") from None
        return _flattr(user_id, made.thing_id)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code="validation") from None
    return _flattred(click)


@app.get("/rest/v2/things/<thing_id>/flattrs")
def flattrs_of_thing(
    thing_id: Annotated[str, Path()], page: Page = 1, count: Count = 30, cursor: Cursor = None, full: Full = None
):
    shapes = _shapes()
    return v2_lists.fans_of(_reachable(thing_id), shapes, page, count, cursor)


@app.get("/rest/v2/user/flattrs")
def my_flattrs(page: Page = 1, count: Count = 30, cursor: Cursor = None, full: Full = None):
    return v2_lists.flattrs_of(current_user(app), _shapes(), page, count, cursor)


@app.get("/rest/v2/users/<username>/flattrs")
def flattrs_of_user(
    username: Annotated[str, Path(max_length=128)],
    page: Page = 1,
    count: Count = 30,
    cursor: Cursor = None,
    full: Full = None,
):
    _existing(username)
    return v2_lists.flattrs_of(username, _shapes(), page, count, cursor)


# ---------------------------------------------------------------- users


def _existing(username: str):
    user = users.get(username)
    if user is None:
        raise NotFound("The requested user could not be found.", code="user_not_found")
    return user


@app.get("/rest/v2/user")
def me():
    user_id = current_user(app)
    user = users.get(user_id)
    if user is None:
        raise NotFound("You have no account yet: create it with PUT /me.", code="user_not_found")
    return _shapes().user(user, email=claims(app).get("email"))


@app.get("/rest/v2/user/things")
def my_things(page: Page = 1, count: Count = 30, cursor: Cursor = None, full: Full = None):
    return v2_lists.things_of(current_user(app), _shapes(), page, count, cursor)


@app.get("/rest/v2/users/<username>")
def user(username: Annotated[str, Path(max_length=128)]):
    shapes = _shapes()
    return shapes.user(_existing(username), email=claims(app).get("email"))


@app.get("/rest/v2/users/<username>/things")
def things_of_user(
    username: Annotated[str, Path(max_length=128)],
    page: Page = 1,
    count: Count = 30,
    cursor: Cursor = None,
    full: Full = None,
):
    _existing(username)
    return v2_lists.things_of(username, _shapes(), page, count, cursor)


# ---------------------------------------------------------------- subscriptions


@app.get("/rest/v2/user/subscriptions")
def my_subscriptions(page: Page = 1, count: Count = 30, cursor: Cursor = None):
    return v2_lists.subscriptions_of(current_user(app), _shapes(), page, count, cursor)


@app.post("/rest/v2/things/<thing_id>/subscriptions")
def subscribe(
    thing_id: Annotated[str, Path()],
    months: Annotated[Literal[3, 6, 12], Form(description="ours: the term; v2 clients get 3")] = 3,
):
    """v2 clients cannot name a term, so they get the shortest: the least money committed."""
    user_id = current_user(app)
    thing = _reachable(thing_id)
    if subscriptions.get(user_id, thing.thing_id) is not None:
        raise FlattrError("You are already subscribed to this thing.", code="subscribed", status=403)
    try:
        subscriptions.subscribe(user_id, thing.thing_id, months)
    except FlattrOwner as exc:
        raise FlattrError(exc.message, code="thing_owner", status=403) from None
    return {
        "message": "ok",
        "description": "Successfully subscribed to Thing",
        "thing": _shapes().thing_mini(thing.thing_id, thing.url, thing.title),
    }


@app.delete("/rest/v2/things/<thing_id>/subscriptions", responses={204: {"description": "Unsubscribed"}})
def unsubscribe(thing_id: Annotated[str, Path()]):
    subscriptions.cancel(current_user(app), rules.parse_id(thing_id))
    return Response(204, "application/json", "")


# ---------------------------------------------------------------- lists and limits


@app.get("/rest/v2/categories")
def categories():
    return [{"id": k, "text": text} for k, text in CATEGORIES]


@app.get("/rest/v2/languages")
def languages():
    return [{"id": k, "text": text} for k, text in LANGUAGES]


@app.get("/rest/v2/rate_limit")
def rate_limit():
    """Not itself counted."""
    window = ratelimit.peek(_caller(app.current_event.raw_event), settings.get().v2_rate_limit)
    return {
        "hourly_limit": window.limit,
        "remaining_hits": window.remaining,
        "current_hits": window.used,
        "reset_time_in_seconds": window.resets_at,
        "reset_time": formatdate(window.resets_at, usegmt=True),
    }


# ---------------------------------------------------------------- auto-submit


@app.get("/submit/auto", responses={302: {"description": "To the thing's flattr page"}})
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
    shapes = _shapes()
    raw = app.current_event.raw_event.get("rawQueryString", "")
    here = f"{shapes.origin}/submit/auto?{raw}"
    thing = _named_by(here)
    if thing is not None:
        # The widget names the page that opened the window, for the window to report back to.
        target = f"{shapes.pages}/flattr.html?thing={thing.thing_id}"
        target += f"&origin={quote(origin, safe='')}" if origin else ""
    else:
        # An owner not signed up here yet is told on the page, when the first flattr is refused.
        target = f"{shapes.pages}/flattr.html?submit={quote(here, safe='')}"
    return Response(302, "application/json", json.dumps({"location": target}), headers={"Location": target})


# ---------------------------------------------------------------- the gate


def _caller(event: dict) -> str:
    sub = _claims(event).get("sub")
    return (
        f"user:{sub}"
        if sub
        else f"ip:{((event.get('requestContext') or {}).get('http') or {}).get('sourceIp')}"
    )


def _claims(event: dict) -> dict:
    return (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get(
        "claims"
    ) or {}


def _with_claims(event: dict, verified: dict) -> dict:
    """The event as the authorizer would have passed it: claims as strings, lists as "[a b]"."""
    flat = {
        k: ("[" + " ".join(map(str, v)) + "]" if isinstance(v, list) else str(v)) for k, v in verified.items()
    }
    context = {**(event.get("requestContext") or {}), "authorizer": {"jwt": {"claims": flat, "scopes": None}}}
    return {**event, "requestContext": context}


def _refusal(status: int, code: str, message: str, **headers: str) -> dict:
    body = {"error": code, "error_description": message, "error_uri": V2_ERROR_URI}
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps(body),
    }


def _accepts_json(accept: str) -> bool:
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return not accept.strip() or any(k in ("application/json", "application/*", "*/*") for k in kinds)


def around(event: dict, resolve) -> dict:
    """v2's gate. No authorizer guards v2's routes, so that a bad token is refused in v2's shape:
    it is checked here. Then the caller's request is counted against the hour's limit."""
    headers = event.get("headers") or {}
    token = tokens.bearer(headers)
    if token and not _claims(event):
        verified = tokens.verify(token)
        if verified is None:
            return _refusal(
                401,
                "unauthorized",
                "The bearer token is not valid.",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        event = _with_claims(event, verified)
    if (event.get("rawPath") or "").rstrip("/") == "/rest/v2/rate_limit":
        return resolve(event)
    try:
        window = ratelimit.hit(_caller(event), settings.get().v2_rate_limit)
    except ClientError:
        logger.exception("rate limit not counted")  # fail open: the limit protects, it must not block
        return resolve(event)
    if window.exceeded:
        result = _refusal(
            403, "rate_limit_exceeded", "Too many requests this hour; the count resets each hour."
        )
    elif not _accepts_json(headers.get("accept", "")):
        result = _refusal(406, "not_acceptable", "This API answers in application/json only.")
    else:
        result = resolve(event)
    result.setdefault("headers", {}).update(window.headers())
    return result


handler = entry(app, json_only=False, around=around)
