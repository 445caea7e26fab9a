"""Flattr REST API v2 under /rest/v2/, and auto-submit URLs, so that v2 clients work unchanged.

Every route only translates: v2's parameters in, v2's shapes out. The rules, the storage and the
money path are v1's (flattr.store), so a v2 flattr and a v1 flattr are the same item.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal, Optional, Union
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flattr import settings
from flattr.clock import now
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
from flattr.domain.months import month_of
from flattr.http import current_user, entry, error_v2, json_response, make_app, metrics, optional_user
from flattr.observability import logger
from flattr.store import clicks, ratelimit, subscriptions, things, users

app = make_app(render=error_v2)

Page = Annotated[int, Query(ge=1, le=10_000)]
Count = Annotated[int, Query(ge=1, le=100)]
TagsIn = Optional[Union[list[str], str]]
SORTS = ("relevance", "trend", "flattrs", "flattrs_month", "flattrs_week", "flattrs_day")


class NewThing(BaseModel):
    """v2's create: only `url` is required; the defaults are v2's."""

    url: rules.Url
    title: Optional[rules.Title] = None
    description: rules.Description = ""
    tags: rules.Tags = Field(default_factory=list)
    language: rules.Language = "en_GB"
    category: rules.Category = "rest"
    hidden: bool = False


class AutoSubmit(NewThing):
    """An auto-submit URL's fields: a thing named for its owner, made on its first flattr."""

    model_config = ConfigDict(populate_by_name=True)
    owner: str = Field(alias="user_id", min_length=1, max_length=128)


class Changes(BaseModel):
    title: Optional[rules.Title] = None
    description: Optional[rules.Description] = None
    tags: Optional[rules.Tags] = None
    language: rules.Language = None
    category: rules.Category = None
    hidden: Optional[bool] = None


def _checked(model: type[BaseModel], fields: dict) -> BaseModel:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"{where}: {first['msg']}") from None


def _draft(fields: dict) -> dict:
    """A v2 thing's fields as the store takes them: tags split, title defaulting to the URL."""
    fields = {k: v for k, v in fields.items() if v is not None}
    if "tags" in fields:
        fields["tags"] = rules.split_tags(fields["tags"])
    return fields


# ---------------------------------------------------------------- shapes


def _origin() -> str:
    headers = app.current_event.headers
    host = headers.get("host") or app.current_event.request_context.domain_name
    return f"{headers.get('x-forwarded-proto', 'https')}://{host}"


def _pages() -> str:
    return settings.get().pages_url or _origin()


def _unix(iso: str | None) -> int:
    return int(datetime.fromisoformat(iso).timestamp()) if iso else 0


def _user_small(user_id: str) -> dict:
    return {"type": "user", "resource": f"{_origin()}/rest/v2/users/{quote(user_id, safe='')}",
            "link": f"{_origin()}/users/{quote(user_id, safe='')}/things", "username": user_id}


def _user_full(user, *, own: bool) -> dict:
    body = {**_user_small(user.uid), "firstname": user.display_name or "", "lastname": "", "avatar": "",
            "about": "", "city": "", "country": "", "url": ""}
    if own:
        body["registered_at"] = _unix(user.created_at)
    return body


def _thing_small(thing) -> dict:
    return {"type": "thing", "resource": f"{_origin()}/rest/v2/things/{thing.thing_id}",
            "link": f"{_pages()}/flattr.html?thing={thing.thing_id}", "id": int(thing.thing_id),
            "url": thing.url, "title": thing.title, "image": "", "owner": _user_small(thing.owner_id)}


def _things_v2(found: list, viewer: str | None) -> list[dict]:
    """v2 thing objects, with their counts (and `flattred` for a signed-in viewer) read in batches."""
    month = month_of(now())
    ids = [t.thing_id for t in found]
    counts = things.counts_many(ids, month)
    mine = things.flattred_many(viewer, ids, month) if viewer and ids else set()
    out = []
    for t in found:
        body = {
            **_thing_small(t),
            "description": t.description or "",
            "tags": list(t.tags or []),
            "language": t.language or "en_GB",
            "category": t.category or "rest",
            "hidden": bool(t.hidden),
            "flattrs": counts[t.thing_id].total,
            # One flattr per person per month: this month's flattrs are this month's people.
            "flattrs_user_count": counts[t.thing_id].month,
            "created_at": _unix(t.created_at),
            "updated_at": _unix(t.updated_at),
        }
        if viewer:
            body["flattred"] = t.thing_id in mine
        out.append(body)
    return out


def _flattrs_v2(rows: list[tuple[str, str, str]], viewer: str | None) -> list[dict]:
    """(user, thing, at) rows as v2 flattrs, without what the viewer may not see."""
    people = users.get_many({u for u, _, _ in rows})
    private = {u for u, p in people.items() if p.hide_flattrs and u != viewer}
    visible = {t.thing_id: t for t in things.get_many([t for _, t, _ in rows]) if things.visible_to(t, viewer)}
    return [{"type": "flattr", "thing": _thing_small(visible[t]), "owner": _user_small(u), "created_at": _unix(at)}
            for u, t, at in rows if u not in private and t in visible]


def _page(items: list, page: int, count: int) -> list:
    return items[(page - 1) * count: page * count]


def _visible(thing_id: str, viewer: str | None):
    thing = things.get(rules.parse_id(thing_id))
    if not things.visible_to(thing, viewer):
        raise ThingNotFound()
    return thing


# ---------------------------------------------------------------- things


@app.get("/rest/v2/things/lookup")
@app.get("/rest/v2/things/lookup/")  # as v2's documentation writes it
def lookup(url: Annotated[str, Query(max_length=4000)]):
    """302 to the thing, as v2 did; an auto-submit URL is looked up by the URL it names."""
    viewer = optional_user(app)
    auto = rules.auto_submit(url)
    thing = things.lookup((auto or {}).get("url") or url)
    if not things.visible_to(thing, viewer):
        return Response(404, "application/json", json.dumps({
            "message": "not_found", "description": "No thing was found",
            "error": "not_found", "error_description": "No thing was found", "error_uri": "/openapi.json"}))
    location = f"{_origin()}/rest/v2/things/{thing.thing_id}"
    return Response(302, "application/json", json.dumps({"message": "found", "location": location}),
                    headers={"Location": location})


@app.get("/rest/v2/things/search")
def search(query: Annotated[Optional[str], Query(max_length=200)] = None,
           url: Annotated[Optional[str], Query(max_length=4000)] = None,
           tags: Annotated[Optional[str], Query(max_length=500)] = None,
           language: Annotated[Optional[str], Query(max_length=200)] = None,
           category: Annotated[Optional[str], Query(max_length=200)] = None,
           user: Annotated[Optional[str], Query(max_length=128)] = None,
           sort: Annotated[Literal[SORTS], Query()] = "relevance",
           page: Page = 1, count: Count = 30,
           full: Annotated[Optional[str], Query(max_length=10)] = None):
    viewer = optional_user(app)
    if user:
        found = things.get_many(things.owned_by(user))
    elif url:
        hit = things.lookup((rules.auto_submit(url) or {}).get("url") or url)
        found = [hit] if hit else []
    else:
        found = things.public()
    found = [t for t in found if not t.hidden and not t.deleted_at]
    if language:
        found = [t for t in found if (t.language or "en_GB") in language.split(",")]
    if category:
        found = [t for t in found if (t.category or "rest") in category.split(",")]
    if tags:
        found = [t for t in found if rules.tags_match(tags, list(t.tags or []))]
    words = (query or "").lower().split()
    if words:
        def hits(t) -> int:
            text = " ".join([t.title, t.description or "", " ".join(t.tags or []), t.url]).lower()
            return sum(text.count(w) for w in words) if all(w in text for w in words) else 0
        found = [t for t in found if hits(t)]
    found.sort(key=lambda t: t.created_at or "", reverse=True)
    if sort != "relevance":
        # Months are what we count; a week, a day and the trend are read as this month.
        counts = things.counts_many([t.thing_id for t in found])
        field = "total" if sort == "flattrs" else "month"
        found.sort(key=lambda t: getattr(counts[t.thing_id], field), reverse=True)
    elif words:
        found.sort(key=hits, reverse=True)
    shown = _page(found, page, count)
    return {"total_items": len(found), "items": len(shown), "page": page, "things": _things_v2(shown, viewer)}


@app.get("/rest/v2/things/<ids>")
def get_things(ids: Annotated[str, Path(max_length=1700)]):
    """One id: the thing. Several, joined by commas: a list of those that exist."""
    viewer = optional_user(app)
    wanted = [rules.parse_id(i) for i in ids.split(",")] if "," in ids else None
    if wanted is None:
        return _things_v2([_visible(ids, viewer)], viewer)[0]
    if len(wanted) > 100:
        raise ValidationFailed("Ask for at most 100 things at a time.")
    found = [t for t in things.get_many(wanted) if things.visible_to(t, viewer)]
    if not found:
        raise ThingNotFound("None of those things exist.")
    return _things_v2(found, viewer)


@app.post("/rest/v2/things", responses={201: {"description": "Created"}})
@app.post("/rest/v2/things/", responses={201: {"description": "Created"}})  # as flattrclient sends it
def create(url: Annotated[str, Form(max_length=2000)],
           title: Annotated[Optional[str], Form()] = None,
           description: Annotated[Optional[str], Form()] = None,
           tags: Annotated[TagsIn, Form()] = None,
           language: Annotated[Optional[str], Form()] = None,
           category: Annotated[Optional[str], Form()] = None,
           hidden: Annotated[Optional[Union[bool, str]], Form()] = None):
    owner = current_user(app)
    fields = _draft(dict(url=url, title=title, description=description, tags=tags, language=language,
                         category=category, hidden=hidden))
    draft = _checked(NewThing, fields)
    created = things.register(owner, **{**draft.model_dump(), "title": draft.title or _title_of(draft.url)})
    return json_response(201, {"id": int(created.thing_id), "link": f"{_origin()}/rest/v2/things/{created.thing_id}",
                               "message": "ok", "description": "Thing was created successfully"})


def _title_of(url: str) -> str:
    return url[:100]


def _update(thing_id: str, fields: dict):
    owner = current_user(app)
    changes = _checked(Changes, _draft(fields)).model_dump(exclude_none=True)
    things.update(rules.parse_id(thing_id), owner, **changes)
    return {"message": "ok", "description": "Thing was updated correctly"}


@app.patch("/rest/v2/things/<thing_id>")
def update(thing_id: Annotated[str, Path()],
           title: Annotated[Optional[str], Form()] = None,
           description: Annotated[Optional[str], Form()] = None,
           tags: Annotated[TagsIn, Form()] = None,
           language: Annotated[Optional[str], Form()] = None,
           category: Annotated[Optional[str], Form()] = None,
           hidden: Annotated[Optional[Union[bool, str]], Form()] = None):
    return _update(thing_id, dict(title=title, description=description, tags=tags, language=language,
                                  category=category, hidden=hidden))


@app.post("/rest/v2/things/<thing_id>")
def update_by_post(thing_id: Annotated[str, Path()],
                   method: Annotated[Literal["patch", "PATCH"], Form(alias="_method")],
                   title: Annotated[Optional[str], Form()] = None,
                   description: Annotated[Optional[str], Form()] = None,
                   tags: Annotated[TagsIn, Form()] = None,
                   language: Annotated[Optional[str], Form()] = None,
                   category: Annotated[Optional[str], Form()] = None,
                   hidden: Annotated[Optional[Union[bool, str]], Form()] = None):
    """v2's workaround for clients that cannot send PATCH: POST with `_method=patch`."""
    return _update(thing_id, dict(title=title, description=description, tags=tags, language=language,
                                  category=category, hidden=hidden))


@app.delete("/rest/v2/things/<thing_id>", responses={204: {"description": "Deleted"}})
def delete(thing_id: Annotated[str, Path()]):
    things.delete(rules.parse_id(thing_id), current_user(app))
    return Response(204, "application/json", "")


# ---------------------------------------------------------------- flattrs


def _flattr(user_id: str, thing_id: str) -> Response:
    """v1's click, so both versions write the same flattr item; v2 calls a repeat flattr_once."""
    cfg = settings.get()
    click = clicks.flattr(user_id, thing_id, min_budget=cfg.min_budget, give_to_get=cfg.give_to_get)
    if not click.created:
        raise FlattrOnce("You have already flattred this thing this month.")
    metrics.add_metric(name="Flattrs", unit=MetricUnit.Count, value=1)
    return json_response(200, {"message": "ok", "description": "Thing was successfully flattred",
                               "location": f"{_origin()}/rest/v2/things/{thing_id}"})


@app.post("/rest/v2/things/<thing_id>/flattr")
def flattr_thing(thing_id: Annotated[str, Path()]):
    return _flattr(current_user(app), rules.parse_id(thing_id))


@app.post("/rest/v2/flattr")
def flattr_url(url: Annotated[str, Form(max_length=4000)]):
    """Flattr by URL. An auto-submit URL whose thing does not exist yet makes it, for its owner."""
    user_id = current_user(app)
    fields = rules.auto_submit(url)
    if fields is None:
        thing = things.lookup(url)
        if not things.visible_to(thing, user_id):
            raise ThingNotFound("No thing is registered for that URL.")
        return _flattr(user_id, thing.thing_id)
    return _flattr(user_id, _submitted(fields, user_id).thing_id)


def _submitted(fields: dict, viewer: str | None):
    """The thing an auto-submit URL names, made now if this is its first flattr."""
    auto = _checked(AutoSubmit, _draft(fields))
    thing = things.lookup(auto.url)
    if thing is not None:
        if not things.visible_to(thing, viewer):
            raise ThingNotFound()
        return thing
    if users.get(auto.owner) is None:
        raise NotFound("No user has that user_id.", code="user_not_found")
    if auto.owner == viewer:
        raise FlattrOwner("You cannot flattr your own thing.")
    try:
        return things.register(auto.owner, **{**auto.model_dump(exclude={"owner"}),
                                              "title": auto.title or _title_of(auto.url)})
    except UrlTaken:
        return things.lookup(auto.url)  # the same first flattr, from someone else, just made it


@app.get("/rest/v2/things/<thing_id>/flattrs")
def flattrs_of_thing(thing_id: Annotated[str, Path()], page: Page = 1, count: Count = 30,
                     full: Annotated[Optional[str], Query(max_length=10)] = None):
    viewer = optional_user(app)
    thing = _visible(thing_id, viewer)
    fans = things.fans(thing.thing_id, page * count)
    return _page(_flattrs_v2([(f.user_id, thing.thing_id, f.at) for f in fans], viewer), page, count)


def _flattrs_of(user_id: str, viewer: str | None, page: int, count: int) -> list[dict]:
    if viewer != user_id and users.hides_flattrs(user_id):
        return []
    made = users.flattrs(user_id, page * count)
    return _page(_flattrs_v2([(user_id, f.thing_id, f.at) for f in made], viewer), page, count)


@app.get("/rest/v2/user/flattrs")
def my_flattrs(page: Page = 1, count: Count = 30, full: Annotated[Optional[str], Query(max_length=10)] = None):
    user_id = current_user(app)
    return _flattrs_of(user_id, user_id, page, count)


@app.get("/rest/v2/users/<username>/flattrs")
def flattrs_of_user(username: Annotated[str, Path(max_length=128)], page: Page = 1, count: Count = 30,
                    full: Annotated[Optional[str], Query(max_length=10)] = None):
    _existing(username)
    return _flattrs_of(username, optional_user(app), page, count)


# ---------------------------------------------------------------- users


def _existing(username: str):
    user = users.get(username)
    if user is None:
        raise NotFound("No user has that username.", code="user_not_found")
    return user


def _things_of(user_id: str, viewer: str | None, page: int, count: int) -> list[dict]:
    owned = [t for t in things.get_many(things.owned_by(user_id)) if things.visible_to(t, viewer)]
    owned.sort(key=lambda t: t.created_at or "", reverse=True)
    return _things_v2(_page(owned, page, count), viewer)


@app.get("/rest/v2/user")
def me():
    user_id = current_user(app)
    user = users.get(user_id)
    if user is None:
        raise NotFound("You have no account yet: create it with PUT /me.", code="user_not_found")
    return _user_full(user, own=True)


@app.get("/rest/v2/user/things")
def my_things(page: Page = 1, count: Count = 30, full: Annotated[Optional[str], Query(max_length=10)] = None):
    user_id = current_user(app)
    return _things_of(user_id, user_id, page, count)


@app.get("/rest/v2/users/<username>")
def user(username: Annotated[str, Path(max_length=128)]):
    return _user_full(_existing(username), own=optional_user(app) == username)


@app.get("/rest/v2/users/<username>/things")
def things_of_user(username: Annotated[str, Path(max_length=128)], page: Page = 1, count: Count = 30,
                   full: Annotated[Optional[str], Query(max_length=10)] = None):
    _existing(username)
    return _things_of(username, optional_user(app), page, count)


# ---------------------------------------------------------------- subscriptions


def _subscription_v2(sub, thing) -> dict:
    started = _unix(f"{sub.first}-01T00:00:00+00:00")
    return {"type": "subscription", "active": True, "created_at": started, "started_at": started,
            "months": int(sub.months), "first_month": sub.first, "last_month": sub.last,
            "thing": _things_v2([thing], None)[0]}


@app.get("/rest/v2/user/subscriptions")
def my_subscriptions():
    user_id = current_user(app)
    subs = subscriptions.of_user(user_id)
    found = {t.thing_id: t for t in things.get_many([s.thing_id for s in subs])}
    return [_subscription_v2(s, found[s.thing_id]) for s in subs if s.thing_id in found]


@app.post("/rest/v2/things/<thing_id>/subscriptions")
def subscribe(thing_id: Annotated[str, Path()],
              months: Annotated[Literal[3, 6, 12], Form(description="our addition: 3 (default), 6 or 12")] = 3):
    """A subscription here runs 3, 6 or 12 months; v2 clients, which cannot say, get the shortest."""
    user_id = current_user(app)
    thing = _visible(thing_id, user_id)
    if subscriptions.get(user_id, thing.thing_id) is not None:
        raise FlattrError("You are already subscribed to this thing.", code="subscribed", status=403)
    cfg = settings.get()
    try:
        sub = subscriptions.subscribe(user_id, thing.thing_id, months, min_budget=cfg.min_budget,
                                      give_to_get=cfg.give_to_get)
    except FlattrOwner as exc:
        raise FlattrError(exc.message, code="thing_owner", status=403) from None
    return {"message": "ok", "description": "Subscribed to thing", **_subscription_v2(sub, thing)}


@app.delete("/rest/v2/things/<thing_id>/subscriptions", responses={204: {"description": "Unsubscribed"}})
def unsubscribe(thing_id: Annotated[str, Path()]):
    subscriptions.cancel(current_user(app), rules.parse_id(thing_id))
    return Response(204, "application/json", "")


# ---------------------------------------------------------------- auto-submit


@app.get("/submit/auto", responses={302: {"description": "To the thing's flattr page"}})
def auto_submit(user_id: Annotated[str, Query(min_length=1, max_length=128)],
                url: Annotated[str, Query(max_length=2000)],
                title: Annotated[Optional[str], Query()] = None,
                description: Annotated[Optional[str], Query()] = None,
                language: Annotated[Optional[str], Query()] = None,
                tags: Annotated[Optional[str], Query()] = None,
                hidden: Annotated[Optional[str], Query()] = None,
                category: Annotated[Optional[str], Query()] = None):
    """The flattr page of the thing; a thing not made yet is made there on its first flattr."""
    fields = {k: v for k, v in dict(user_id=user_id, url=url, title=title, description=description,
                                    language=language, tags=tags, hidden=hidden, category=category).items()
              if v is not None}
    auto = _checked(AutoSubmit, _draft(fields))
    thing = things.lookup(auto.url)
    if things.visible_to(thing, optional_user(app)):
        target = f"{_pages()}/flattr.html?thing={thing.thing_id}"
    elif users.get(auto.owner) is None:
        raise NotFound("No user has that user_id.", code="user_not_found")
    else:
        submit = f"{_origin()}/submit/auto?{app.current_event.raw_event.get('rawQueryString', '')}"
        target = f"{_pages()}/flattr.html?submit={quote(submit, safe='')}"
    return Response(302, "application/json", json.dumps({"location": target}), headers={"Location": target})


# ---------------------------------------------------------------- rate limit and formats


def _claims(event: dict) -> dict:
    return (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims") or {}


def _refusal(status: int, code: str, message: str) -> dict:
    body = {"error": code, "error_description": message, "error_uri": "/openapi.json"}
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _accepts_json(accept: str) -> bool:
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return not accept.strip() or any(k in ("application/json", "application/*", "*/*", "") for k in kinds)


def around(event: dict, resolve) -> dict:
    """Count the caller's request in this hour and refuse past v2's limit; JSON is the one format."""
    sub = _claims(event).get("sub")
    caller = f"user:{sub}" if sub else f"ip:{((event.get('requestContext') or {}).get('http') or {}).get('sourceIp')}"
    try:
        window = ratelimit.hit(caller, settings.get().v2_rate_limit)
    except ClientError:
        logger.exception("rate limit not counted")  # fail open: the limit guards, it must not block
        return resolve(event)
    if window.exceeded:
        result = _refusal(403, "rate_limit_exceeded", "Too many requests this hour; the count resets each hour.")
    elif not _accepts_json((event.get("headers") or {}).get("accept", "")):
        result = _refusal(406, "not_acceptable", "This API answers in application/json only.")
    else:
        result = resolve(event)
    result.setdefault("headers", {}).update({
        "X-RateLimit-Limit": str(window.limit), "X-RateLimit-Remaining": str(window.remaining)})
    return result


handler = entry(app, json_only=False, around=around)
