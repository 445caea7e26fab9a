"""Play Lambda's SQS event source mapping: receive, build the SQS event, call the handler in-process,
delete what succeeded, leave the failures for redelivery (moto's redrive moves them to the DLQ).

The mappings are read from the template's SQS events, so nothing here names a queue or function.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import runtime, stack
from local.background import Background
from local.stack import FunctionSpec

log = logging.getLogger("local.poller")


@dataclass(frozen=True)
class Mapping:
    fn: FunctionSpec
    queue_url: str
    queue_arn: str
    batch_size: int
    report_item_failures: bool
    dlq_url: str | None


def _queue_logical_id(ref: Any) -> str:
    """`!GetAtt Queue.Arn` parses to {"Fn::GetAtt": ["Queue", "Arn"]} (or "Queue.Arn")."""
    if isinstance(ref, dict) and "Fn::GetAtt" in ref:
        target = ref["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else target.split(".")[0]
    raise ValueError(f"SQS event Queue must be a !GetAtt of a queue in the template, not {ref!r}")


def mappings(stack_name: str = stack.STACK_NAME) -> list[Mapping]:
    """One mapping per SQS event in the template, resolved to the deployed queues."""
    import boto3

    cfn, sqs = boto3.client("cloudformation"), boto3.client("sqs")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    }
    arn_to_url = {}
    out = []
    for fn in stack.functions():
        for event in fn.events.values():
            if event["Type"] != "SQS":
                continue
            props = event["Properties"]
            url = physical[_queue_logical_id(props["Queue"])]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])[
                "Attributes"
            ]
            dlq_arn = json.loads(attrs.get("RedrivePolicy", "{}")).get("deadLetterTargetArn")
            if dlq_arn and dlq_arn not in arn_to_url:
                arn_to_url[dlq_arn] = sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[1])["QueueUrl"]
            out.append(
                Mapping(
                    fn=fn,
                    queue_url=url,
                    queue_arn=attrs["QueueArn"],
                    batch_size=min(int(props.get("BatchSize", 10)), 10),  # one ReceiveMessage takes 10
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    dlq_url=arn_to_url.get(dlq_arn) if dlq_arn else None,
                )
            )
    return out


def sqs_record(message: dict, mapping: Mapping) -> dict:
    """One record of the event Lambda hands an SQS-triggered function."""
    attributes = {}
    for name, attr in message.get("MessageAttributes", {}).items():
        record_attr: dict[str, Any] = {
            "dataType": attr["DataType"],
            "stringListValues": [],
            "binaryListValues": [],
        }
        if "StringValue" in attr:
            record_attr["stringValue"] = attr["StringValue"]
        if "BinaryValue" in attr:
            record_attr["binaryValue"] = base64.b64encode(attr["BinaryValue"]).decode("ascii")
        attributes[name] = record_attr
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": mapping.queue_arn,
        "awsRegion": runtime.REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_ids(result: Any, batch_ids: set[str], mapping: Mapping) -> set[str]:
    """Which messages to redeliver, read from a handler's result the way Lambda reads it."""
    if not mapping.report_item_failures or not isinstance(result, dict):
        return set()
    items = result.get("batchItemFailures") or []
    ids = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in items}
    if not ids <= batch_ids:  # an empty or unknown identifier fails the whole batch, as on AWS
        return set(batch_ids)
    return ids  # type: ignore[return-value]


class Poller(Background):
    thread_name = "sqs-poller"

    def __init__(
        self,
        stack_name: str = stack.STACK_NAME,
        invoke: Callable[[FunctionSpec, dict], Any] = runtime.invoke,
        idle_wait: float = 0.2,
        stream: Any = None,
    ) -> None:
        import boto3

        self.mappings = mappings(stack_name)
        self.sqs = boto3.client("sqs")
        from local.streams import StreamPoller  # the table's stream, played the same way (the tally)

        self.stream = stream or StreamPoller(stack_name, invoke, idle_wait)
        self.invoke = invoke
        self.idle_wait = idle_wait
        # Background polling and drain() never process at the same time.
        self._lock = threading.Lock()
        super().__init__()
        # Failures left invisible by background polling, so drain() can make them visible at once.
        self._parked: dict[str, dict[str, str]] = {m.queue_url: {} for m in self.mappings}

    # ------------------------------------------------------------ one batch

    def poll_once(self, mapping: Mapping, retry_now: bool) -> tuple[int, int]:
        """Receive and process one batch: (succeeded, failed). Failures reappear at once if retry_now,
        else after the queue's visibility timeout, as on AWS."""
        messages = self.sqs.receive_message(
            QueueUrl=mapping.queue_url,
            MaxNumberOfMessages=mapping.batch_size,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0, 0
        batch_ids = {m["MessageId"] for m in messages}
        try:
            result = self.invoke(mapping.fn, {"Records": [sqs_record(m, mapping) for m in messages]})
            failed = failed_ids(result, batch_ids, mapping)
        except Exception:
            log.exception("%s failed on a batch of %d", mapping.fn.logical_id, len(messages))
            failed = batch_ids
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        parked = self._parked[mapping.queue_url]
        for m in done:
            parked.pop(m["MessageId"], None)
        if retry_now:
            self._make_visible(mapping.queue_url, [m["ReceiptHandle"] for m in retry])
        else:
            parked.update({m["MessageId"]: m["ReceiptHandle"] for m in retry})
        return len(done), len(retry)

    def _make_visible(self, queue_url: str, receipt_handles: list[str]) -> None:
        if receipt_handles:
            self.sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                    for i, h in enumerate(receipt_handles)
                ],
            )

    # ------------------------------------------------------------ drain

    def _pending(self, queue_url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(v) for v in attrs.values())

    def _dead_letters(self) -> int:
        dlqs = {m.dlq_url for m in self.mappings if m.dlq_url}
        return sum(
            int(
                self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                    "Attributes"
                ]["ApproximateNumberOfMessages"]
            )
            for url in dlqs
        )

    def drain(self, timeout: float = 120.0) -> dict[str, int]:
        """Process until every queue has no visible, in-flight or delayed message.
        Failures are retried at once, so a poison message reaches the DLQ within one drain."""
        processed = failed = 0
        deadline = time.monotonic() + timeout
        with self._lock:
            dead_before = self._dead_letters()
            for mapping in self.mappings:
                parked = self._parked[mapping.queue_url]
                try:
                    self._make_visible(mapping.queue_url, list(parked.values()))
                except Exception:  # a handle can go stale; the visibility timeout then applies
                    log.warning("could not make parked messages visible on %s", mapping.queue_url)
                parked.clear()
            while True:
                streamed = self.stream.drain()
                processed, failed = processed + streamed["processed"], failed + streamed["failed"]
                worked = streamed["processed"] + streamed["failed"]
                pending = 0
                for mapping in self.mappings:
                    ok, bad = self.poll_once(mapping, retry_now=True)
                    processed, failed, worked = processed + ok, failed + bad, worked + ok + bad
                    if not (ok or bad):
                        pending += self._pending(mapping.queue_url)
                if not (worked or pending):
                    break
                if time.monotonic() > deadline:
                    log.warning("drain gave up after %.0f s with messages still queued", timeout)
                    break
                if not worked:
                    time.sleep(0.05)  # only delayed or in-flight messages left: give them a moment
            dead_lettered = self._dead_letters() - dead_before
        return {"processed": processed, "failed": failed, "dead_lettered": dead_lettered}

    # ------------------------------------------------------------ background

    def start(self) -> None:
        super().start()
        self.stream.start()

    def stop(self) -> None:
        self.stream.stop()
        super().stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            with self._lock:
                for mapping in self.mappings:
                    try:
                        busy = any(self.poll_once(mapping, retry_now=False)) or busy
                    except Exception:  # keep polling: moto may be shutting down or briefly busy
                        log.exception("polling %s failed", mapping.queue_url)
            if not busy:
                self._stop.wait(self.idle_wait)
