"""Creators' webhooks: one job per (event, endpoint), signed with the endpoint's secret, retried
with exponential backoff through SQS until the retry window (24 h) is over, and logged."""

from __future__ import annotations

import http.client
import json
import time

from .. import settings
from ..domain import notify as rules
from ..domain import webhooks
from ..domain.errors import ValidationFailed
from ..store import notify as store
from ..store.notify_models import Endpoint
from . import events, http_out


def job(endpoint: Endpoint, event_id: str, event_type: str, data: dict) -> dict:
    return {
        "kind": "deliver",
        "user_id": endpoint.user_id,
        "hook_id": endpoint.hook_id,
        "delivery_id": f"{event_id}:{endpoint.hook_id}",
        "event": {"id": event_id, "type": event_type, "created": int(time.time()), "data": data},
        "attempt": 1,
        "first_at": time.time(),
    }


def announce(user_id: str, event_id: str, event_type: str, data: dict) -> int:
    """Queue one delivery of the event to each of the user's endpoints; how many."""
    jobs = [job(ep, event_id, event_type, data) for ep in store.endpoints(user_id)]
    events.send(jobs)
    return len(jobs)


def deliver(j: dict) -> None:
    cfg = settings.get()
    now = time.time()
    wait = float(j.get("not_before", 0)) - now
    if wait > 0.5:  # a wait longer than SQS's 900 s: the next hop of the chain
        events.send([j], delay=rules.sqs_delay(wait))
        return
    ep = store.endpoint(j["user_id"], j["hook_id"])
    if ep is None or store.delivered(j["delivery_id"]):
        return  # the endpoint was deleted, or this delivery arrived twice
    event, attempt = j["event"], int(j.get("attempt", 1))
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Flattr-Signature": webhooks.sign(ep.secret, int(now), body), "Flattr-Event-Id": event["id"]}
    log = lambda outcome, status=None, detail="", next_in=None: store.log_attempt(  # noqa: E731
        ep.hook_id, j["delivery_id"], event["type"], attempt, outcome, status, detail, next_in
    )
    try:
        answer = http_out.post(ep.url, body, headers, cfg.webhook_allow_loopback)
    except (http_out.Refused, ValidationFailed) as exc:
        log("refused", detail=str(getattr(exc, "message", exc)))
        return
    except (OSError, http.client.HTTPException) as exc:
        status, detail = None, f"{type(exc).__name__}: {exc}"
    else:
        if 200 <= answer.status < 300:
            store.mark_delivered(j["delivery_id"])
            log("delivered", answer.status)
            return
        status, detail = answer.status, answer.body[:200].decode("utf-8", "replace")
    delay = rules.next_retry(
        attempt, now - float(j["first_at"]), cfg.webhook_retry_base, cfg.webhook_retry_window
    )
    if delay is None:
        log("gave_up", status, detail)
        return
    log("retrying", status, detail, next_in=delay)
    events.send([{**j, "attempt": attempt + 1, "not_before": now + delay}], delay=rules.sqs_delay(delay))
