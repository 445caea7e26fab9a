"""The business clock: which month a click belongs to, when a month may close.

On AWS it is the system clock. The local stack may move it (POST /_local/clock) to try a month
in minutes; security checks (token expiry, webhook timestamps) never read it.
"""

from __future__ import annotations

from datetime import datetime, timezone

_override: datetime | None = None


def now() -> datetime:
    return _override or datetime.now(timezone.utc)


def set_override(when: datetime | None) -> None:
    global _override
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    _override = when.astimezone(timezone.utc) if when else None
