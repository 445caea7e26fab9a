"""A request's JWT claims, as API Gateway's JWT authorizer hands them to a handler: the one home for
reading them out of an event and for turning verified claims into the strings the authorizer passes."""

from __future__ import annotations

import json
from typing import Any


def of_event(event: dict) -> dict[str, Any]:
    """The claims the authorizer put in the event's request context; none on a public route."""
    context = event.get("requestContext") or {}
    return ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}


def _as_string(value: Any) -> str:
    # The authorizer passes every claim as a string: booleans "true"/"false", lists as Go prints them, "[a b]".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_as_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def stringify(claims: dict) -> dict[str, str]:
    """Verified claims as the authorizer passes them on."""
    return {k: _as_string(v) for k, v in claims.items()}


def groups(value: Any) -> list[str]:
    """The names in a list claim (e.g. cognito:groups), whether a list or the authorizer's "[a b]"."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value or "").strip("[]").replace(",", " ").split()
