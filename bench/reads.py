"""Count the DynamoDB items a piece of code reads, from the requests it sends and their answers.

GetItem reads one item and BatchGetItem / TransactGetItems one per key asked for (a missing item
costs a read too); Query and Scan read `ScannedCount` items (a filter drops items after reading
them). Writes are not counted. Works on moto in-process (mock_aws), where every request passes
moto's botocore stubber.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

from moto.core.botocore_stubber import BotocoreStubber


@dataclass
class Tally:
    items: int = 0
    requests: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def add(self, operation: str, items: int) -> None:
        self.items += items
        self.requests += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + items


def items_read(operation: str, request_body: bytes | None, response_body: bytes | None) -> int | None:
    """Items one DynamoDB call read; None for a call that reads none (a write)."""
    if operation == "GetItem":
        return 1
    if operation == "BatchGetItem":
        asked = json.loads(request_body or b"{}").get("RequestItems", {})
        return sum(len(spec.get("Keys", [])) for spec in asked.values())
    if operation == "TransactGetItems":
        return len(json.loads(request_body or b"{}").get("TransactItems", []))
    if operation in ("Query", "Scan"):
        return int(json.loads(response_body or b"{}").get("ScannedCount", 0))
    return None


@contextlib.contextmanager
def counting():
    """`with counting() as tally:` every DynamoDB read inside is added to `tally`."""
    tally = Tally()
    original = BotocoreStubber.__call__

    def spy(self, event_name, request, **kwargs):
        response = original(self, event_name, request, **kwargs)
        if event_name.startswith("before-send.dynamodb.") and response is not None:
            operation = event_name.rsplit(".", 1)[1]
            read = items_read(operation, request.body, getattr(response, "content", None))
            if read is not None:
                tally.add(operation, read)
        return response

    BotocoreStubber.__call__ = spy
    try:
        yield tally
    finally:
        BotocoreStubber.__call__ = original
