"""Many items at once, in DynamoDB's wire format: the bulk reads and writes that settlement, the
folds and the click make straight from the client, where a model of every attribute would cost
more than the few values they need.

DynamoDB may leave part of a batch unprocessed (throttling, size); what it leaves is sent again,
after a growing pause, a bounded number of times.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from .models import _Base, connection

ATTEMPTS = 10


def _pause(attempt: int) -> None:
    if attempt:
        time.sleep(min(1.0, 0.05 * 2 ** (attempt - 1)))


def get_many(
    keys: Iterable[tuple[str, str]], names: Iterable[str], *, consistent: bool = True
) -> Iterator[dict]:
    """The items there are of these (pk, sk) keys, with only the named attributes: one
    BatchGetItem per 100 keys."""
    table, client = _Base.Meta.table_name, connection().client
    aliases = {f"#{i}": name for i, name in enumerate(names)}
    wanted = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    for i in range(0, len(wanted), 100):
        request = {
            table: {
                "Keys": wanted[i : i + 100],
                "ConsistentRead": consistent,
                "ProjectionExpression": ", ".join(aliases),
                "ExpressionAttributeNames": aliases,
            }
        }
        for attempt in range(ATTEMPTS):
            _pause(attempt)
            got = client.batch_get_item(RequestItems=request)
            yield from got.get("Responses", {}).get(table, [])
            request = got.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed")


def put_many(items: list[dict]) -> None:
    """Write these items, 25 to a BatchWriteItem."""
    table, client = _Base.Meta.table_name, connection().client
    for i in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        for attempt in range(ATTEMPTS):
            _pause(attempt)
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
            if not pending:
                break
        else:
            raise RuntimeError("DynamoDB kept items unprocessed")
