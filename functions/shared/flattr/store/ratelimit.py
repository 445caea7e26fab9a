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

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


def hit(caller: str, limit: int) -> Window:
    """Count one request by `caller` (a user id or an address) in this hour's window."""
    hour = int(time.time()) // 3600  # real time: the business clock must not reset limits
    response = connection().client.update_item(
        TableName=settings.get().idempotency_table,
        Key={"id": {"S": f"ratelimit#{caller}#{hour}"}},
        UpdateExpression="ADD used :one SET expiration = if_not_exists(expiration, :expires)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str((hour + 2) * 3600)}},
        ReturnValues="UPDATED_NEW",
    )
    return Window(limit=limit, used=int(response["Attributes"]["used"]["N"]))
