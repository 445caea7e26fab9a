"""The settlement queue: jobs go out in batches of ten, and a refused entry is sent again."""

from __future__ import annotations

import json
import uuid

from .. import settings
from ..observability import CORRELATION_ATTRIBUTE, correlation_id


class SettleQueue:
    def __init__(self, url: str | None = None, client=None):
        self.url = url or settings.get().settle_queue_url
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3  # on first use: functions that never send need not load it

            self._client = boto3.client("sqs")
        return self._client

    def send(self, jobs: list[dict]) -> None:
        for i in range(0, len(jobs), 10):
            attributes = {}
            if cid := correlation_id():
                attributes = {CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": cid}}
            entries = [
                {
                    "Id": str(n),
                    "MessageBody": json.dumps(job, sort_keys=True, separators=(",", ":")),
                    "MessageAttributes": attributes,
                }
                for n, job in enumerate(jobs[i : i + 10])
            ]
            for _ in range(5):
                failed = self.client.send_message_batch(QueueUrl=self.url, Entries=entries).get("Failed", [])
                if not failed:
                    break
                retry = {f["Id"] for f in failed if not f.get("SenderFault")}
                if len(retry) < len(failed):
                    raise RuntimeError(f"SQS refused jobs: {failed}")
                entries = [e for e in entries if e["Id"] in retry]
            else:
                raise RuntimeError(f"SQS kept failing {len(entries)} jobs ({uuid.uuid4()})")
