"""The audit's scratch table: a run's record, its facts and its violations. Everything expires.

    AUDIT#<run>            RUN                 segments, buckets, maps_done, reduces_done, flags
    AUDIT#<run>#SEG        <segment>           the map's progress in that segment (last page done)
    AUDIT#<run>#SEGS       <segment>           a segment that finished (and BUCKETS: a bucket)
    AUDIT#<run>#<bucket>   <key>\t<position>   one map page's sums for one key (a row)
    AUDIT#<run>#ctx        <key>\t<segment>    a context key's sums in one segment (ADDed to)
    AUDIT#<run>#V          <job>#<i>           a violation found

A row is put, 25 to a request, under a key that names its map page (segment, page, part): a
redelivered page puts the same rows again, so nothing is added twice. The reduce reads a bucket's
rows in key order and sums each key's rows as they pass. The few context keys (the months, the
total), which nearly every page adds to, are one item per segment instead, ADDed to with the
page's position, which an item refuses once it has taken it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

from .. import settings
from ..clock import now
from ..domain import accounts
from . import models
from .audit_facts import CONTEXT

TTL_SECONDS = 3 * 24 * 3600
SEP = "\t"  # between a key and its segment: no key contains it


def _client():
    return models.connection().client


def _table() -> str:
    return settings.get().audit_table


def _expires() -> dict:
    return {"N": str(int(time.time()) + TTL_SECONDS)}


def _failed_condition(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# ---------------------------------------------------------------- the run


def new_run(segments: int, buckets: int) -> str:
    run = f"{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    _client().put_item(
        TableName=_table(),
        Item={
            "pk": {"S": f"AUDIT#{run}"},
            "sk": {"S": "RUN"},
            "segments": {"N": str(segments)},
            "buckets": {"N": str(buckets)},
            "maps_done": {"N": "0"},
            "reduces_done": {"N": "0"},
            "started_at": {"S": now().isoformat()},
            "expires": _expires(),
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    return run


def run_record(run: str) -> dict[str, int | bool]:
    item = _client().get_item(
        TableName=_table(), Key={"pk": {"S": f"AUDIT#{run}"}, "sk": {"S": "RUN"}}, ConsistentRead=True
    )["Item"]
    return {
        k: int(v["N"]) if "N" in v else v.get("BOOL", True) for k, v in item.items() if k not in ("pk", "sk")
    }


def once(run: str, flag: str) -> bool:
    """Set a flag on the run; True for the one caller that set it."""
    try:
        _client().update_item(
            TableName=_table(),
            Key={"pk": {"S": f"AUDIT#{run}"}, "sk": {"S": "RUN"}},
            UpdateExpression="SET #f = :t",
            ConditionExpression="attribute_not_exists(#f)",
            ExpressionAttributeNames={"#f": flag},
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )
        return True
    except _client().exceptions.ConditionalCheckFailedException:
        return False


def finish_part(run: str, part: str, name: str, counter: str) -> bool:
    """Count a segment or a bucket as finished, once. True if this call counted it."""
    try:
        _client().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": {
                            "pk": {"S": f"AUDIT#{run}#{part}"},
                            "sk": {"S": name},
                            "expires": _expires(),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": {"pk": {"S": f"AUDIT#{run}"}, "sk": {"S": "RUN"}},
                        "UpdateExpression": "ADD #c :one",
                        "ExpressionAttributeNames": {"#c": counter},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
        return True
    except _client().exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise


# ---------------------------------------------------------------- map progress


def position(run: str, segment: int) -> int:
    """How far the map got in a segment: the last page it finished (-1: none)."""
    item = (
        _client()
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": f"AUDIT#{run}#SEG"}, "sk": {"S": str(segment)}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return int(item["page"]["N"]) if item else -1


def advance(run: str, segment: int, page: int) -> None:
    try:
        _client().update_item(
            TableName=_table(),
            Key={"pk": {"S": f"AUDIT#{run}#SEG"}, "sk": {"S": str(segment)}},
            UpdateExpression="SET page = :p, expires = :e",
            ConditionExpression="attribute_not_exists(page) OR page < :p",
            ExpressionAttributeValues={":p": {"N": str(page)}, ":e": _expires()},
        )
    except Exception as exc:
        if not _failed_condition(exc):
            raise


# ---------------------------------------------------------------- facts


def bucket_of(key: str, buckets: int) -> str:
    return "ctx" if key.split("|", 1)[0] in CONTEXT else str(accounts.spread(key, buckets))


def add(run: str, segment: int, at: int, sums: dict[str, dict[str, int]], buckets: int) -> None:
    """Write one part of a map page's sums: rows for most keys, ADDs for the context's."""
    rows = []
    for key, columns in sorted(sums.items()):
        bucket = bucket_of(key, buckets)
        if bucket == "ctx":
            _add_context(run, segment, at, key, columns)
            continue
        item = {name: {"N": str(value)} for name, value in columns.items()}
        item.update(
            pk={"S": f"AUDIT#{run}#{bucket}"},
            sk={"S": f"{key}{SEP}{segment:04d}.{at:012d}"},
            expires=_expires(),
        )
        rows.append({"PutRequest": {"Item": item}})
    client, table = _client(), _table()
    for i in range(0, len(rows), 25):
        pending = {table: rows[i : i + 25]}
        for attempt in range(8):
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise RuntimeError(f"the scratch table kept refusing {len(pending[table])} rows")


def _add_context(run: str, segment: int, at: int, key: str, columns: dict[str, int]) -> None:
    client = _client()
    names = {f"#c{i}": c for i, c in enumerate(columns)}
    values = {f":v{i}": {"N": str(v)} for i, v in enumerate(columns.values())}
    adds = ", ".join(f"#c{i} :v{i}" for i in range(len(columns)))
    try:
        client.update_item(
            TableName=_table(),
            Key={"pk": {"S": f"AUDIT#{run}#ctx"}, "sk": {"S": f"{key}{SEP}{segment:04d}"}},
            UpdateExpression=f"ADD {adds} SET #at = :at, #exp = :exp",
            ConditionExpression="attribute_not_exists(#at) OR #at < :at",
            ExpressionAttributeNames={**names, "#at": "at", "#exp": "expires"},
            ExpressionAttributeValues={**values, ":at": {"N": str(at)}, ":exp": _expires()},
        )
    except client.exceptions.ConditionalCheckFailedException:
        pass  # this page's part was added already (a redelivery)


Carry = tuple[str, dict[str, int]] | None


def keys(
    run: str, bucket: str, start: dict | None, limit: int, carry: Carry = None
) -> tuple[list[tuple[str, dict[str, int]]], dict | None, Carry]:
    """One page of a bucket's rows, summed per key: (the keys this page completed, where the next
    page starts, the key the page ended inside of with its sums so far). `carry` is the last one's."""
    page = _client().query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{run}#{bucket}"}},
        Limit=limit,
        **({"ExclusiveStartKey": start} if start else {}),
    )
    out: list[tuple[str, dict[str, int]]] = [(carry[0], dict(carry[1]))] if carry else []
    for item in page.get("Items", []):
        key = item["sk"]["S"].split(SEP, 1)[0]
        if not out or out[-1][0] != key:
            out.append((key, {}))
        sums = out[-1][1]
        for name, value in item.items():
            if name not in ("pk", "sk", "at", "expires"):
                sums[name] = sums.get(name, 0) + int(value["N"])
    last = page.get("LastEvaluatedKey")
    if last:  # the last key may go on in the next page
        return out[:-1], last, (out[-1] if out else None)
    return out, None, None


def all_keys(run: str, bucket: str) -> Iterator[tuple[str, dict[str, int]]]:
    start, carry = None, None
    while True:
        page, start, carry = keys(run, bucket, start, 500, carry)
        yield from page
        if not start:
            return


# ---------------------------------------------------------------- violations


def save_violations(run: str, job: str, found: list[tuple[int, str]], more: int = 0) -> None:
    client, table = _client(), _table()
    rows = list(found)
    if more:
        rows.append((0, f"{more} more violations on this page"))
    for i, (invariant, detail) in enumerate(rows):
        client.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"AUDIT#{run}#V"},
                "sk": {"S": f"{job}#{i:05d}"},
                "invariant": {"N": str(invariant)},
                "detail": {"S": detail},
                "count": {"N": str(more if invariant == 0 else 1)},
                "expires": _expires(),
            },
        )


def violations(run: str) -> Iterator[tuple[int, int, str]]:
    """(invariant, count, detail) of every violation the run saved."""
    args = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{run}#V"}},
    }
    start = None
    while True:
        page = _client().query(**args, **({"ExclusiveStartKey": start} if start else {}))
        for item in page.get("Items", []):
            yield int(item["invariant"]["N"]), int(item["count"]["N"]), item["detail"]["S"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return
