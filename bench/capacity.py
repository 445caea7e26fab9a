"""DynamoDB capacity units, modeled from the requests a run actually made, by AWS's published rules.

Sources (AWS DynamoDB Developer Guide):
- "Item sizes and capacity unit consumption" (CapacityUnitCalculations): an item's size is the sum of
  its attribute names' lengths and its values' sizes (strings: UTF-8 bytes; numbers: about 1 byte per
  two significant digits + 1; booleans and nulls: 1; lists and maps: 3 + their elements). Writes
  round each item up to 1 KB; PutItem and UpdateItem cost the larger of the item before and after;
  a failed conditional write still costs the item's size (1 WCU if there is no item). Reads round
  up to 4 KB; an eventually consistent read costs half; a Query sums the items it reads first.
- "Amazon DynamoDB Transactions: How it works", section "Capacity management for transactions":
  "DynamoDB performs two underlying reads or writes of every item in the transaction: one to
  prepare the transaction and one to commit the transaction." So every item of a
  TransactWriteItems, ConditionCheck items included, costs 2 WCU per KB, and the capacity is
  consumed even when the transaction is cancelled.
- "Using Global Secondary Indexes", section "Provisioned throughput considerations": writing an item
  that carries an index's keys also writes the index, at 1 WCU per KB of the projected item. Modeled
  for puts that take effect (a new thing in its listing indexes, say); no measured path changes
  an index's keys by an update.

Sizes of items that a request does not carry whole (an Update's or a ConditionCheck's target) are
read from the table before and after the call by a separate, unmetered client (`Recorder(sizing=True)`).
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

KB = 1024


# ---------------------------------------------------------------- item sizes


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed)."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
    digits = mantissa.strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        return number_size(str(v))
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in v)
    if kind == "NS":
        return sum(number_size(str(n)) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, dict] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


# ---------------------------------------------------------------- recording every AWS call


@dataclass
class Call:
    service: str
    op: str
    params: dict
    response: dict | None
    error: str | None = None
    # (table, key) -> (size before, size after), filled when sizing
    sizes: dict = field(default_factory=dict)


def _key_of(keys: list[str], item: dict) -> str:
    """A hashable spelling of an item's primary key."""
    return json.dumps({k: item[k] for k in keys if k in item}, sort_keys=True, default=str)


class Recorder:
    """Records every botocore call made in this process (all clients) while active.

    With sizing=True it also reads each write target before and after the call through an
    unmetered client, so Updates and ConditionChecks can be sized by the stored item.
    """

    _lock = threading.Lock()
    _active: ClassVar[list[Recorder]] = []
    _patched = False

    def __init__(self, sizing: bool = False):
        self.sizing = sizing
        self.calls: list[Call] = []
        self._peek = None
        self._keys: dict[str, list[str]] = {}
        self._indexes: dict[str, list] = {}

    # -- the process-wide patch

    @classmethod
    def _patch(cls) -> None:
        if cls._patched:
            return
        from botocore.client import BaseClient

        original = BaseClient._make_api_call

        def _make_api_call(client, operation_name, api_params):
            recorders = [r for r in cls._active if not getattr(client, "_bench_unmetered", False)]
            if not recorders:
                return original(client, operation_name, api_params)
            service = client.meta.service_model.service_name
            before = {id(r): r._sizes(service, operation_name, api_params) for r in recorders if r.sizing}
            try:
                response = original(client, operation_name, api_params)
            except Exception as exc:
                for r in recorders:
                    r._record(
                        service, operation_name, api_params, None, type(exc).__name__, before.get(id(r))
                    )
                raise
            for r in recorders:
                r._record(service, operation_name, api_params, response, None, before.get(id(r)))
            return response

        BaseClient._make_api_call = _make_api_call
        cls._patched = True

    @contextmanager
    def active(self):
        self._patch()
        with self._lock:
            self._active.append(self)
        try:
            yield self
        finally:
            with self._lock:
                self._active.remove(self)

    # -- sizing through an unmetered client

    @property
    def peek(self):
        if self._peek is None:
            import boto3

            self._peek = boto3.client("dynamodb")
            self._peek._bench_unmetered = True
        return self._peek

    def _table_keys(self, table: str) -> list[str]:
        if table not in self._keys:
            described = self.peek.describe_table(TableName=table)["Table"]
            self._keys[table] = [k["AttributeName"] for k in described["KeySchema"]]
            self._indexes[table] = [
                ([k["AttributeName"] for k in gsi["KeySchema"]], gsi["Projection"])
                for gsi in described.get("GlobalSecondaryIndexes", [])
            ]
        return self._keys[table]

    def index_units(self, table: str, item: dict) -> int:
        """WCU that putting `item` adds in the table's indexes: each whose keys the item carries."""
        self._table_keys(table)
        units = 0
        for keys, projection in self._indexes[table]:
            if not all(k in item for k in keys):
                continue
            kept = set(keys) | set(self._keys[table])
            if projection["ProjectionType"] == "ALL":
                kept = set(item)
            elif projection["ProjectionType"] == "INCLUDE":
                kept |= set(projection.get("NonKeyAttributes", []))
            units += write_units(item_size({k: v for k, v in item.items() if k in kept}))
        return units

    def _targets(self, op: str, params: dict) -> list[tuple[str, dict]]:
        """(table, key item) of every item a write request touches."""
        if op in ("PutItem",):
            return [(params["TableName"], params["Item"])]
        if op in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"])]
        if op == "TransactWriteItems":
            out = []
            for entry in params["TransactItems"]:
                ((_, body),) = entry.items()
                out.append((body["TableName"], body.get("Key") or body.get("Item")))
            return out
        if op == "BatchWriteItem":
            out = []
            for table, requests in params["RequestItems"].items():
                for req in requests:
                    if "PutRequest" in req:
                        out.append((table, req["PutRequest"]["Item"]))
                    else:
                        out.append((table, req["DeleteRequest"]["Key"]))
            return out
        return []

    def _stored_size(self, table: str, item: dict) -> int:
        key = {k: item[k] for k in self._table_keys(table)}
        return item_size(self.peek.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"))

    def _sizes(self, service: str, op: str, params: dict) -> dict | None:
        if service != "dynamodb":
            return None
        return {
            (t, _key_of(self._table_keys(t), i)): (i, self._stored_size(t, i))
            for t, i in self._targets(op, params)
        }

    def _record(self, service, op, params, response, error, before) -> None:
        call = Call(service, op, params, response, error)
        if before is not None:
            for (table, key), (item, size_before) in before.items():
                call.sizes[(table, key)] = (size_before, self._stored_size(table, item))
            if op == "Query" and params.get("Select") == "COUNT":
                # A count reads the same items as the query: size them with the same query.
                again = {k: v for k, v in params.items() if k != "Select"}
                items = []
                while True:
                    page = self.peek.query(**again)
                    items += page.get("Items", [])
                    if "LastEvaluatedKey" not in page:
                        break
                    again["ExclusiveStartKey"] = page["LastEvaluatedKey"]
                call.sizes["count_read"] = sum(item_size(i) for i in items)
        with self._lock:
            self.calls.append(call)

    # -- what was recorded

    def requests(self, service: str = "dynamodb") -> Counter:
        return Counter(c.op for c in self.calls if c.service == service)

    def units(self) -> tuple[float, float]:
        """(WCU, RCU) of the recorded DynamoDB calls."""
        wcu = rcu = 0.0
        for c in self.calls:
            if c.service != "dynamodb":
                continue
            w, r = call_units(c, self._table_keys if self.sizing else None)
            wcu += w + (self._index_writes(c) if self.sizing else 0)
            rcu += r
        return wcu, rcu

    def _index_writes(self, call: Call) -> int:
        if call.error is not None:
            return 0  # a refused put, or a cancelled transaction, writes no index
        p = call.params
        if call.op == "PutItem":
            return self.index_units(p["TableName"], p["Item"])
        if call.op == "TransactWriteItems":
            return sum(
                self.index_units(body["TableName"], body["Item"])
                for entry in p["TransactItems"]
                for kind, body in entry.items()
                if kind == "Put"
            )
        if call.op == "BatchWriteItem":
            return sum(
                self.index_units(table, req["PutRequest"]["Item"])
                for table, reqs in p["RequestItems"].items()
                for req in reqs
                if "PutRequest" in req
            )
        return 0


def _write_size(call: Call, table: str, item: dict, table_keys) -> int:
    """The size that a write of `item` is charged for: the larger of before, after and the request."""
    size = item_size(item)
    if table_keys is not None:
        before, after = call.sizes.get((table, _key_of(table_keys(table), item)), (0, 0))
        size = max(size, before, after)
    return size


def call_units(call: Call, table_keys=None) -> tuple[float, float]:
    """(WCU, RCU) that one DynamoDB request consumes, by the rules in the module docstring."""
    op, p, resp = call.op, call.params, call.response or {}
    if op == "PutItem":
        return write_units(_write_size(call, p["TableName"], p["Item"], table_keys)), 0.0
    if op in ("UpdateItem", "DeleteItem"):
        # The request carries the key and the new values; the stored item, when sized, is larger.
        estimate = dict(p["Key"])
        for name, value in (p.get("ExpressionAttributeValues") or {}).items():
            estimate[name] = value
        size = item_size(estimate)
        if table_keys is not None:
            size = max(size, _write_size(call, p["TableName"], p["Key"], table_keys))
        return write_units(size), 0.0
    if op == "TransactWriteItems":
        total = 0
        for entry in p["TransactItems"]:
            ((kind, body),) = entry.items()
            target = body.get("Item") or body["Key"]
            size = item_size(body["Item"]) if kind == "Put" else item_size(body["Key"])
            if table_keys is not None:
                size = max(size, _write_size(call, body["TableName"], target, table_keys))
            total += 2 * write_units(size)  # prepare + commit, for every item, checks included
        return float(total), 0.0
    if op == "BatchWriteItem":
        total = 0
        for table, requests in p["RequestItems"].items():
            for req in requests:
                body = req.get("PutRequest", {}).get("Item") or req["DeleteRequest"]["Key"]
                total += write_units(_write_size(call, table, body, table_keys))
        return float(total), 0.0
    if op == "GetItem":
        return 0.0, read_units(item_size(resp.get("Item")), bool(p.get("ConsistentRead")))
    if op == "BatchGetItem":
        total = 0.0
        for table, spec in p["RequestItems"].items():
            consistent = bool(spec.get("ConsistentRead"))
            found = resp.get("Responses", {}).get(table, [])
            total += sum(read_units(item_size(i), consistent) for i in found)
            total += read_units(0, consistent) * max(0, len(spec["Keys"]) - len(found))
        return 0.0, total
    if op in ("Query", "Scan"):
        size = call.sizes.get("count_read") if p.get("Select") == "COUNT" else None
        if size is None:
            size = sum(item_size(i) for i in resp.get("Items", []))
        return 0.0, read_units(size, bool(p.get("ConsistentRead")))
    if op == "TransactGetItems":
        return 0.0, sum(2 * read_units(item_size(r.get("Item")), True) for r in resp.get("Responses", []))
    return 0.0, 0.0  # control-plane calls (DescribeTable, ...) are free
