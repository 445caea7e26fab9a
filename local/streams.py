"""Play Lambda's DynamoDB event source mapping: read moto's table stream, filter it as the
template's FilterCriteria say, call the handler in-process with the batch, and go on from the
first failure it reports (ReportBatchItemFailures), as Lambda does.

The mappings are read from the template's DynamoDB events, so nothing here names a table or a
function. moto keeps one shard per table. A batch that keeps failing is skipped after RETRIES
attempts, as Lambda skips one after MaximumRetryAttempts (on AWS it then goes to the on-failure
destination); the audit then sees the counts that are behind.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local import runtime, stack
from local.background import Background
from local.stack import FunctionSpec

log = logging.getLogger("local.streams")
RETRIES = 5


@dataclass
class StreamMapping:
    fn: FunctionSpec
    table: str
    stream_arn: str
    shard_id: str
    batch_size: int
    pattern: dict | None
    next_seq: int | None = None  # where the next batch starts (None: the shard's start)
    failures: int = 0


def _param(value: Any) -> Any:
    """A template value that may be a !Ref to a parameter: its default."""
    if isinstance(value, dict) and "Ref" in value:
        return stack.sam_template()["Parameters"][value["Ref"]].get("Default")
    return value


def matches(pattern: Any, value: Any) -> bool:
    """An event filter pattern (the subset the template uses): nested objects, lists of literal
    values, and {"prefix": ...}."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        for option in pattern:
            if isinstance(option, dict) and "prefix" in option:
                if isinstance(value, str) and value.startswith(option["prefix"]):
                    return True
            elif option == value:
                return True
        return False
    return pattern == value


def streams_client():
    import boto3

    endpoint = (
        os.environ.get("AWS_ENDPOINT_URL") or f"https://streams.dynamodb.{runtime.REGION}.amazonaws.com"
    )
    return boto3.client("dynamodbstreams", endpoint_url=endpoint)


def mappings(stack_name: str = stack.STACK_NAME) -> list[StreamMapping]:
    import boto3

    cfn, ddb, streams = boto3.client("cloudformation"), boto3.client("dynamodb"), streams_client()
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    }
    out = []
    for fn in stack.functions():
        for event in fn.events.values():
            if event["Type"] != "DynamoDB":
                continue
            props = event["Properties"]
            target = props["Stream"]["Fn::GetAtt"]
            logical = target[0] if isinstance(target, list) else target.split(".")[0]
            table = physical[logical]
            arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            filters = (props.get("FilterCriteria") or {}).get("Filters") or []
            pattern = json.loads(filters[0]["Pattern"]) if filters else None
            out.append(
                StreamMapping(fn, table, arn, shard, int(_param(props.get("BatchSize", 100))), pattern)
            )
    return out


def _plain(record: dict) -> dict:
    """A record as Lambda hands it (the creation time in epoch seconds, not a datetime)."""
    ddb = dict(record["dynamodb"])
    when = ddb.get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        ddb["ApproximateCreationDateTime"] = int(when.timestamp())
    return {**record, "dynamodb": ddb}


class StreamPoller(Background):
    thread_name = "stream-poller"

    def __init__(
        self,
        stack_name: str = stack.STACK_NAME,
        invoke: Callable[[FunctionSpec, dict], Any] = runtime.invoke,
        idle_wait: float = 0.2,
    ) -> None:
        self.mappings = mappings(stack_name)
        self.streams = streams_client()
        self.invoke = invoke
        self.idle_wait = idle_wait
        self._lock = threading.RLock()
        super().__init__()

    def _records(self, m: StreamMapping) -> list[dict]:
        kind = {"ShardIteratorType": "TRIM_HORIZON"}
        if m.next_seq is not None:
            kind = {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": str(m.next_seq)}
        it = self.streams.get_shard_iterator(StreamArn=m.stream_arn, ShardId=m.shard_id, **kind)[
            "ShardIterator"
        ]
        return self.streams.get_records(ShardIterator=it, Limit=m.batch_size)["Records"]

    def skip_to_end(self) -> None:
        """Start after every record there is now (a test that wiped the table)."""
        with self._lock:
            for m in self.mappings:
                while records := self._records(m):
                    m.next_seq = int(records[-1]["dynamodb"]["SequenceNumber"]) + 1

    def poll_once(self, m: StreamMapping) -> tuple[int, int]:
        """One batch: (records handed over, records to retry)."""
        raw = self._records(m)
        if not raw:
            return 0, 0
        after = int(raw[-1]["dynamodb"]["SequenceNumber"]) + 1
        batch = [_plain(r) for r in raw if m.pattern is None or matches(m.pattern, _plain(r))]
        if not batch:
            m.next_seq = after
            return 0, 0
        try:
            result = self.invoke(m.fn, {"Records": batch})
            failures = (result or {}).get("batchItemFailures") or []
            failed = str(failures[0]["itemIdentifier"]) if failures else None
        except Exception:
            log.exception("%s failed on a batch of %d", m.fn.logical_id, len(batch))
            failed = batch[0]["dynamodb"]["SequenceNumber"]
        if failed is None:
            m.next_seq, m.failures = after, 0
            return len(batch), 0
        m.failures += 1
        if m.failures >= RETRIES:
            log.error("%s: skipping a batch that failed %d times", m.fn.logical_id, m.failures)
            m.next_seq, m.failures = after, 0
            return 0, len(batch)
        m.next_seq = int(failed)
        done = sum(1 for r in batch if int(r["dynamodb"]["SequenceNumber"]) < int(failed))
        return done, len(batch) - done

    def drain(self) -> dict[str, int]:
        processed = failed = 0
        with self._lock:
            for m in self.mappings:
                while True:
                    ok, bad = self.poll_once(m)
                    processed, failed = processed + ok, failed + bad
                    if not (ok or bad) and not self._records_after(m):
                        break
        return {"processed": processed, "failed": failed}

    def _records_after(self, m: StreamMapping) -> bool:
        return bool(self._records(m))

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            with self._lock:
                for m in self.mappings:
                    try:
                        busy = any(self.poll_once(m)) or busy
                    except Exception:  # keep polling: moto may be shutting down or briefly busy
                        log.exception("polling the stream of %s failed", m.table)
            if not busy:
                self._stop.wait(self.idle_wait)
