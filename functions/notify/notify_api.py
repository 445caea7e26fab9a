"""Creators' webhook endpoints (/me/webhooks) and one-click unsubscribe (/unsubscribe)."""

from __future__ import annotations

import uuid
from html import escape
from typing import Annotated, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from flattr import settings
from flattr.domain import notify as rules
from flattr.domain.errors import Conflict, NotFound, ValidationFailed
from flattr.http import current_user, entry, json_response, make_app
from flattr.notify import deliveries, events, http_out, mailer
from flattr.store import notify as store
from pydantic import BaseModel, ConfigDict, Field

app = make_app()


class EndpointIn(BaseModel):
    # Its validator is built on first use, not by a cold start serving another route.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    url: str = Field(min_length=1, max_length=2000, description="https URL that receives signed events")


def _endpoint(ep, with_secret: bool = False) -> dict:
    out = {"id": ep.hook_id, "url": ep.url, "created_at": ep.created_at, "events": list(rules.WEBHOOK_EVENTS)}
    if with_secret:
        out["secret"] = ep.secret  # shown once: at creation
    return out


def _mine(hook_id: str):
    ep = store.endpoint(current_user(app), hook_id)
    if ep is None:
        raise NotFound("You have no webhook endpoint with that id.", code="webhook_not_found")
    return ep


@app.post("/me/webhooks", responses={201: {"description": "Registered; the secret is shown only now"}})
def add_webhook(endpoint: Annotated[EndpointIn, Body()]):
    user_id = current_user(app)
    try:
        http_out.check(endpoint.url, settings.get().webhook_allow_loopback)
    except http_out.Refused as exc:
        raise ValidationFailed(f"That endpoint is not allowed: {exc}.", code="webhook_url_refused") from None
    except ConnectionError as exc:
        raise ValidationFailed(
            f"That endpoint cannot be reached: {exc}.", code="webhook_url_unresolvable"
        ) from None
    ep = store.add_endpoint(user_id, endpoint.url)
    if ep is None:
        raise Conflict(
            f"You have {store.MAX_ENDPOINTS} endpoints already; delete one first.", code="too_many_webhooks"
        )
    return json_response(201, _endpoint(ep, with_secret=True))


@app.get("/me/webhooks")
def list_webhooks():
    return {"webhooks": [_endpoint(ep) for ep in store.endpoints(current_user(app))]}


@app.delete("/me/webhooks/<hook_id>", responses={204: {"description": "Deleted"}})
def delete_webhook(hook_id: Annotated[str, Path()]):
    if not store.remove_endpoint(current_user(app), hook_id):
        raise NotFound("You have no webhook endpoint with that id.", code="webhook_not_found")
    return Response(status_code=204)


@app.get("/me/webhooks/<hook_id>/deliveries")
def webhook_deliveries(hook_id: Annotated[str, Path()]):
    ep = _mine(hook_id)
    return {
        "deliveries": [
            {
                "id": d.delivery_id,
                "event_type": d.event_type,
                "attempt": int(d.attempt),
                "outcome": d.outcome,
                "http_status": int(d.http_status) if d.http_status is not None else None,
                "detail": d.detail,
                "at": d.at,
                "next_attempt_in": d.next_attempt_in,
            }
            for d in store.delivery_log(ep.hook_id)
        ]
    }


@app.post("/me/webhooks/<hook_id>/test", responses={202: {"description": "A test event is on its way"}})
def test_webhook(hook_id: Annotated[str, Path()]):
    ep = _mine(hook_id)
    event_id = f"test:{uuid.uuid4().hex}"
    events.send([deliveries.job(ep, event_id, "test", {"message": "A test event from Flattr."})])
    return json_response(202, {"event_id": event_id})


# ---------------------------------------------------------------- unsubscribe, no sign-in

_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>'
    "<main><h1>{title}</h1>{body}</main></body></html>"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=_PAGE.format(title=escape(title), body=body),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _read(token: str) -> tuple[str, str]:
    found = rules.read_unsubscribe_token(mailer.secret(), token)
    if found is None:
        raise ValidationFailed("This unsubscribe link is not valid.", code="invalid_unsubscribe_token")
    return found


@app.get("/unsubscribe")
def unsubscribe_page(token: Annotated[Optional[str], Query(max_length=1000)] = None):
    # A GET changes nothing (mail scanners follow links): the page's button, or the mail client's
    # one-click POST (RFC 8058), unsubscribes.
    _, kind = _read(token or "")
    form = (
        f"<p>Stop emails about {escape(rules.KINDS[kind])}?</p>"
        f'<form method="post" action="/unsubscribe?token={escape(token or "", quote=True)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", form)


@app.post("/unsubscribe")
def unsubscribe(token: Annotated[Optional[str], Query(max_length=1000)] = None):
    user_id, kind = _read(token or "")
    store.save(user_id, changes={kind: False})
    return _page("Unsubscribed", f"<p>You will get no more emails about {escape(rules.KINDS[kind])}.</p>")


handler = entry(app)
