"""Make moto's DynamoDB safe and fast under many concurrent requests.

moto keeps tables in plain dicts: two concurrent requests can corrupt each other. DynamoDB applies
each request atomically, so running moto's DynamoDB requests one at a time is a faithful (if
slower) model of it. moto also backs up the *whole table* for every TransactWriteItems, which
makes a big table quadratic; backing up only the items the transaction touches is enough. And a
Query sorts the whole table before picking one partition; it is given just the partition, and
sorting uses plain keys instead of slow DynamoType comparisons. A cancelled transaction takes back
the stream records its items added before the cancellation.

The other fixes only make moto spend in proportion to what DynamoDB does (tests/unit/test_moto_speed.py
holds them to moto's own answers): a data-plane answer is JSON already, so it is written with
json.dumps instead of moto's shape walker (which cost more than the request itself); and a
projection of top-level attributes picks them, instead of re-encoding the whole item once per
projected attribute. An update expression is parsed once per text, not three times per item
(moto only reads the tree, and validates a copy of it). A new item's size is checked against
the limit once, not again for each attribute it is built with (quadratic in its attributes).
And moto keeps every item object it ever made (for its dashboard), every projection and copy
too: items are no longer listed there, so what no table holds is freed.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import threading
import types

_lock = threading.RLock()
_applied = False
STOCK: dict[str, object] = {}  # moto's own ways, for the tests that hold the fast ones to them


def apply() -> None:
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    call_action = DynamoHandler.call_action

    def serialized_call_action(self):
        with _lock:
            return call_action(self)

    # The whole-table backup becomes a no-op; the wrapper below restores the touched items.
    models.copy = types.SimpleNamespace(
        deepcopy=lambda obj, *a, **kw: obj if isinstance(obj, Table) else copy.deepcopy(obj, *a, **kw)
    )
    transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        # moto applies a transaction's items one by one, each adding its stream record: a cancelled
        # transaction must leave no record behind, as on AWS (the tally would count a phantom flattr).
        streams = {
            id(t): (t.stream_shard, len(t.stream_shard.items))
            for t in self.tables.values()
            if getattr(t, "stream_shard", None) is not None
        }
        for entry in transact_items:
            ((kind, op),) = entry.items()
            if kind == "ConditionCheck":
                continue
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            source = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in source:
                continue
            h = DynamoType(source[table.hash_key_attr])
            r = DynamoType(source[table.range_key_attr]) if table.has_range_key else None
            current = table.items.get(h, {}).get(r) if r is not None else table.items.get(h)
            # An update changes the stored item in place; a put or a delete replaces or drops it.
            saved.append((table, h, r, copy.deepcopy(current) if kind == "Update" else current))
        try:
            return transact(self, transact_items)
        except Exception:
            for shard, length in streams.values():
                del shard.items[length:]
            for table, h, r, item in reversed(saved):
                if r is None:
                    if item is None:
                        table.items.pop(h, None)
                    else:
                        table.items[h] = item
                elif item is None:
                    table.items.get(h, {}).pop(r, None)
                else:
                    table.items[h][r] = item
            raise

    # A Query on the table's own key sorts the *whole table* in moto: give it just the partition.
    query = Table.query
    query_signature = inspect.signature(query)

    def partition_query(self, *args, **kwargs):
        bound = query_signature.bind(self, *args, **kwargs)
        hash_key, index_name = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return query(self, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: partition  # shadows the method for this call only (we hold the lock)
        try:
            return query(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = partition_query

    # Scans sort every item with DynamoType comparisons; a plain key sorts the same, much faster.
    def _plain(value):
        return (
            (0, value.value)
            if value.type == "S"
            else (1, float(value.value))
            if value.type == "N"
            else (2, str(value.value))
        )

    def all_items(self):
        items = (
            [i for bucket in self.items.values() for i in bucket.values()]
            if self.range_key_attr
            else list(self.items.values())
        )
        return sorted(
            items, key=lambda x: (_plain(x.hash_key), _plain(x.range_key) if x.range_key else (0, ""))
        )

    Table.all_items = all_items
    _fast_answers()
    _fast_projection()
    _parse_once()
    _size_once()
    _untracked_items()
    DynamoHandler.call_action = serialized_call_action
    DynamoDBBackend.transact_write_items = transact_write_items
    _applied = True


# The data plane's answers: plain JSON of AttributeValues (binary as base64), metadata beside them.
DATA_PLANE = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_ITEMS = frozenset(
    {"Item", "Items", "Attributes", "Responses", "LastEvaluatedKey", "UnprocessedKeys", "UnprocessedItems"}
)
CONTENT_TYPE = {"Content-Type": "application/x-amz-json-1.0"}


def _blob(value):
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _without_none(value):
    """What moto's serializer leaves out of metadata: members that are None."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def answer_body(result: dict, members) -> str | None:
    """The JSON body of a data-plane answer, as moto's serializer writes it (but for the order of
    keys): the output shape's members only, without None. None: not plain JSON (moto's then)."""
    body = {
        k: (v if k in _ITEMS else _without_none(v))
        for k, v in result.items()
        if k in members and v is not None
    }
    try:
        return json.dumps(body, default=_blob)
    except TypeError:  # a timestamp, say: only moto's serializer knows its format
        return None


def _fast_answers() -> None:
    from moto.dynamodb.responses import DynamoResult

    stock = STOCK["execute_result"] = DynamoResult.execute_result

    def execute_result(self, context):
        operation = context.operation_model
        if operation.name in DATA_PLANE and isinstance(self.result, dict):
            members = operation.output_shape.members if operation.output_shape else {}
            body = answer_body(self.result, members)
            if body is not None:
                return 200, dict(CONTENT_TYPE), body
        return stock(self, context)

    DynamoResult.execute_result = execute_result


def _fast_projection() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    stock = STOCK["project"] = Item.project

    def project(self, projection_expressions):
        paths = [p[0] for p in projection_expressions if len(p) == 1 and "[" not in p[0]]
        if len(paths) != len(projection_expressions):  # nested paths and list indexes: moto's way
            return stock(self, projection_expressions)
        return Item(self.hash_key, self.range_key, {p: self.attrs[p] for p in paths if p in self.attrs})

    Item.project = project


def _parse_once() -> None:
    import functools

    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    parse = UpdateExpressionParser.make.__func__
    UpdateExpressionParser.make = classmethod(functools.lru_cache(maxsize=512)(parse))


def _size_once() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    STOCK["item_init"] = Item.__init__

    def __init__(self, hash_key, range_key, attrs):
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: DynamoType(value) for key, value in attrs.items()}
        # moto's limit (LimitedSizeDict.__setitem__), on the whole item: sizes only add up.
        if sum(bytesize(key) + value.size() for key, value in values.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict(values)  # dict.update: no per-key check

    Item.__init__ = __init__


def _untracked_items() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    # BaseModel.__new__ appends each instance to the class's instances_tracked, forever.
    Item.__new__ = lambda cls, *args, **kwargs: object.__new__(cls)
