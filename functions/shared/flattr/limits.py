"""v1's limits: writes per user, reads per source address, counted like v2's (store.ratelimit).

Reads are counted per source address whether or not a token comes with them, so that dropping
the token never opens a fresh bucket. A refusal is 429 with the usual error body and Retry-After.

Clicks are counted in the container (HERE), not in the table: a click must cost one request. What
bounds a user's clicks across containers is their month card's cap (store.cards.CAP): work is
bounded by money, as settlement writes at most one share per cent paid.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Callable

from botocore.exceptions import ClientError

from .observability import logger
from .store import ratelimit

# Requests per hour. Generous for people, small for scripts: one user made 400 things in 16 s.
LIMITS = {"things": 100, "clicks": 1000, "payouts": 20, "reads": 3600}
HERE = {"clicks"}  # counted in this container's memory: no request per click
_counts: OrderedDict[str, int] = OrderedDict()


def _hit_here(caller: str, limit: int) -> ratelimit.Window:
    """ratelimit.hit, in this container's memory (a window per caller per hour)."""
    hour = int(time.time()) // 3600
    key = f"{caller}#{hour}"
    _counts[key] = _counts.get(key, 0) + 1
    _counts.move_to_end(key)
    while len(_counts) > 100_000:
        _counts.popitem(last=False)
    return ratelimit.Window(limit=limit, used=_counts[key], resets_at=(hour + 1) * 3600)


def source(event: dict) -> str:
    return f"ip:{((event.get('requestContext') or {}).get('http') or {}).get('sourceIp')}"


def user_or_source(event: dict) -> str:
    """The caller the authorizer verified; a write always has one (the gateway requires a token)."""
    context = event.get("requestContext") or {}
    sub = (((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}).get("sub")
    return f"user:{sub}" if sub else source(event)


def _refused(window: ratelimit.Window) -> dict:
    wait = max(window.resets_at - int(time.time()), 1)
    body = {"error": {"code": "rate_limited", "message": f"Too many requests; try again in {wait} s."}}
    return {
        "statusCode": 429,
        "headers": {"Content-Type": "application/json", "Retry-After": str(wait)},
        "body": json.dumps(body),
    }


def limited(kind_of: Callable[[str, str], str | None]):
    """An `around` for flattr.http.entry: `kind_of(method, path)` names the limit a request counts
    against (a key of LIMITS), or None for none."""

    def around(event: dict, resolve) -> dict:
        http = (event.get("requestContext") or {}).get("http") or {}
        path = str(event.get("rawPath") or http.get("path") or "")
        kind = kind_of(str(http.get("method", "")).upper(), path)
        if kind is None:
            return resolve(event)
        caller = source(event) if kind == "reads" else user_or_source(event)
        try:
            hit = _hit_here if kind in HERE else ratelimit.hit
            window = hit(f"{kind}:{caller}", LIMITS[kind])
        except ClientError:
            logger.exception("rate limit not counted")  # fail open: the limit protects, it must not block
            return resolve(event)
        return _refused(window) if window.exceeded else resolve(event)

    return around


def reads_and(writes: dict[tuple[str, str], str]):
    """Public reads (GET) count per source; the named (method, path prefix) writes count per user."""

    def kind_of(method: str, path: str) -> str | None:
        for (m, prefix), kind in writes.items():
            if method == m and path.startswith(prefix):
                return kind
        return "reads" if method in ("GET", "HEAD") else None

    return kind_of
