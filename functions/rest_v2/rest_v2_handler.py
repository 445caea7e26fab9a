"""Flattr REST API v2 under /rest/v2/, and auto-submit URLs, so that v2 clients work unchanged.

The routes only translate: v2's parameters in, v2's objects out (rest_v2_shapes). The rules, the items
and the money path are v1's, so a flattr made here is the very item a v1 click writes. This module is
the app and its gate; the routes live one module per resource (rest_v2_things, rest_v2_flattrs,
rest_v2_users, rest_v2_subscriptions) and the catalogs in rest_v2_catalogs.
"""

from __future__ import annotations

import rest_v2_catalogs
import rest_v2_common as common
import rest_v2_flattrs
import rest_v2_subscriptions
import rest_v2_things
import rest_v2_users
from botocore.exceptions import ClientError
from flattr import claims, settings, tokens
from flattr.http import entry, error_v2, make_app, refusal_v2
from flattr.observability import logger
from flattr.store import ratelimit

app = make_app(render=error_v2)
# Things first: its /rest/v2/things/lookup and /search come before /rest/v2/things/<thing_id>.
for resource in (rest_v2_things, rest_v2_flattrs, rest_v2_users, rest_v2_subscriptions, rest_v2_catalogs):
    app.include_router(resource.router)


def _with_claims(event: dict, verified: dict) -> dict:
    """The event as the authorizer would have passed it (flattr.claims: every claim a string)."""
    context = {
        **(event.get("requestContext") or {}),
        "authorizer": {"jwt": {"claims": claims.stringify(verified), "scopes": None}},
    }
    return {**event, "requestContext": context}


def _accepts_json(accept: str) -> bool:
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return not accept.strip() or any(k in ("application/json", "application/*", "*/*") for k in kinds)


def around(event: dict, resolve) -> dict:
    """v2's gate. No authorizer guards v2's routes, so that a bad token is refused in v2's shape:
    it is checked here. Then the caller's request is counted against the hour's limit."""
    headers = event.get("headers") or {}
    token = tokens.bearer(headers)
    if token and not claims.of_event(event):
        verified = tokens.verify(token)
        if verified is None:
            return refusal_v2(
                401,
                "unauthorized",
                "The bearer token is not valid.",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        event = _with_claims(event, verified)
    if (event.get("rawPath") or "").rstrip("/") == "/rest/v2/rate_limit":
        return resolve(event)
    try:
        window = ratelimit.hit(common.caller(event), settings.get().v2_rate_limit)
    except ClientError:
        logger.exception("rate limit not counted")  # fail open: the limit protects, it must not block
        return resolve(event)
    if window.exceeded:
        result = refusal_v2(
            403, "rate_limit_exceeded", "Too many requests this hour; the count resets each hour."
        )
    elif not _accepts_json(headers.get("accept", "")):
        result = refusal_v2(406, "not_acceptable", "This API answers in application/json only.")
    else:
        result = resolve(event)
    result.setdefault("headers", {}).update(window.headers())
    return result


handler = entry(app, json_only=False, around=around)
