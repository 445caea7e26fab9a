"""v2's rate limit: requests per caller per clock hour, counted in the idempotency table.

That table already expires items by TTL, so a window cleans itself up. One UpdateItem per call,
on the store's botocore client: a pynamodb model of a second table would build a second client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import settings
from .models import connection


@dataclass(frozen=True)
class Window:
    limit: int
    used: int
    resets_at: int  # unix seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def headers(self) -> dict[str, str]:
        """v2's four headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Current": str(self.used),
            "X-RateLimit-Reset": str(self.resets_at),
        }


def _key(caller: str, hour: int) -> dict:
    return {"id": {"S": f"ratelimit#{caller}#{hour}"}}


def hit(caller: str, limit: int) -> Window:
    """Count one request by `caller` (a user id or an address) in this hour's window."""
    hour = int(time.time()) // 3600  # real time: the business clock must not reset limits
    response = connection().client.update_item(
        TableName=settings.get().idempotency_table,
        Key=_key(caller, hour),
        UpdateExpression="ADD used :one SET expiration = if_not_exists(expiration, :expires)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str((hour + 2) * 3600)}},
        ReturnValues="UPDATED_NEW",
    )
    return Window(limit=limit, used=int(response["Attributes"]["used"]["N"]), resets_at=(hour + 1) * 3600)


def peek(caller: str, limit: int) -> Window:
    """This hour's window without counting a request (GET /rest/v2/rate_limit)."""
    hour = int(time.time()) // 3600
    item = (
        connection()
        .client.get_item(
            TableName=settings.get().idempotency_table, Key=_key(caller, hour), ConsistentRead=True
        )
        .get("Item")
        or {}
    )
    return Window(limit=limit, used=int(item.get("used", {}).get("N", 0)), resets_at=(hour + 1) * 3600)
