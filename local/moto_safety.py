"""Make moto's DynamoDB safe and fast under many concurrent requests.

moto keeps tables in plain dicts: two concurrent requests can corrupt each other. DynamoDB applies
each request atomically, so running moto's DynamoDB requests one at a time is a faithful (if
slower) model of it. moto also backs up the *whole table* for every TransactWriteItems, which
makes a big table quadratic; backing up only the items the transaction touches is enough. And a
Query sorts the whole table before picking one partition; it is given just the partition, and
sorting uses plain keys instead of slow DynamoType comparisons. A cancelled transaction takes back
the stream records its items added before the cancellation.
"""

from __future__ import annotations

import copy
import inspect
import threading
import types

_lock = threading.RLock()
_applied = False


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
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            source = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in source:
                continue
            h = DynamoType(source[table.hash_key_attr])
            r = DynamoType(source[table.range_key_attr]) if table.has_range_key else None
            current = table.items.get(h, {}).get(r) if r is not None else table.items.get(h)
            saved.append((table, h, r, copy.deepcopy(current)))
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
    DynamoHandler.call_action = serialized_call_action
    DynamoDBBackend.transact_write_items = transact_write_items
    _applied = True
