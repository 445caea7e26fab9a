"""The stream tally's share of a click: run it over a Zipf(s=1.1) click workload on moto.

A workload of CLICKS clicks over THINGS things (thing k is clicked with probability ~ 1/k^1.1, by
distinct givers), as the card records the table's stream delivers, in batches of the template's
TallyBatchSize. Each batch is handed to the tally's store code as the Lambda handler hands it, and
every DynamoDB request it makes is recorded and modeled (bench.capacity): the markers and counter
puts (2 WCU per KB each, in their transactions) and the counters' consistent reads. Stream reads
are free for a Lambda trigger. The invocation count is one per batch; its duration is the CPU time
of the batch on moto (its DynamoDB work included, so an overestimate of Lambda's).

The tally also queues each batch's flattr.received notices, per owner (flattr.notify.events): its
SendMessageBatch requests are billed by their payload's 64 KB chunks. The notification worker then
takes them (receive, run, delete, as its event source mapping does): its invocations, requests and
reads, one endpoints Query per owner, are the click's too. No owner here has a webhook endpoint,
so the worker writes nothing; an owner with one adds about 2 WCU per flattr and a flush a minute.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from typing import Any

from bench import capacity, env

THINGS = 10_000
CLICKS = 20_000
ZIPF_S = 1.1
MONTH_EPOCH = 1_899_000_000  # 2030-03-05


def workload(clicks: int, things: int, seed: int = 11) -> list[tuple[str, str]]:
    """(giver, thing id) pairs, Zipf(s) over the things; every pair distinct (a flattr a month)."""
    rng = random.Random(seed)
    weights = [1 / (k**ZIPF_S) for k in range(1, things + 1)]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    out, seen = [], set()
    giver = 0
    while len(out) < clicks:
        thing = str(1_000_000 + bisect.bisect_left(cumulative, rng.random() * total))
        giver = rng.randrange(clicks * 4)
        if (giver, thing) in seen:
            continue
        seen.add((giver, thing))
        out.append((f"g{giver}", thing))
    return out


def records(pairs: list[tuple[str, str]]) -> list[dict]:
    """The stream records of these clicks: each a card MODIFY that adds one thing attribute."""
    out = []
    for i, (giver, thing) in enumerate(pairs):
        out.append(
            {
                "eventID": f"e{i:08d}",
                "eventName": "MODIFY",
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "Keys": {"pk": {"S": f"USER#{giver}"}, "sk": {"S": "CARD#2030-03"}},
                    "NewImage": {
                        "pk": {"S": f"USER#{giver}"},
                        "sk": {"S": "CARD#2030-03"},
                        f"t{thing}": {"S": f"{MONTH_EPOCH + i}|owner{int(thing) % 997}"},
                        "n": {"N": "1"},
                    },
                    "OldImage": {"pk": {"S": f"USER#{giver}"}, "sk": {"S": "CARD#2030-03"}},
                    "SequenceNumber": str(10**20 + i),
                },
            }
        )
    return out


def billed_chunks(payload_bytes: int) -> int:
    """SQS bills each 64 KB chunk of a request's payload as one request (and an empty one as one)."""
    return max(1, math.ceil(payload_bytes / (64 * 1024)))


def run(clicks: int = CLICKS, things: int = THINGS) -> dict[str, Any]:
    deployed = env.fresh_stack("tally")
    from flattr.notify import events
    from flattr.store import tally

    batch = env.template_parameter("TallyBatchSize", 1000)
    stream = records(workload(clicks, things))
    recorder = capacity.Recorder(sizing=False)  # the tally puts whole items: the request is the size
    worker = capacity.Recorder(sizing=False)
    cpu_ms, worker_ms = [], []
    counter_writes = chunks = sends = sent_chunks = 0
    for i in range(0, len(stream), batch):
        part = stream[i : i + batch]
        with recorder.active():
            first = len(recorder.calls)
            t0 = env.cpu()
            assert tally.apply(part, events.flattrs_received) is None
            cpu_ms.append((env.cpu() - t0) * 1000)
        for call in recorder.calls[first:]:
            if (call.service, call.op) == ("sqs", "SendMessageBatch"):
                sends += 1
                sent_chunks += billed_chunks(
                    sum(len(e["MessageBody"].encode()) for e in call.params["Entries"])
                )
        for start, end in tally.chunks(part):
            chunks += 1
            counter_writes += len({f.thing_id for r in part[start:end] for f in tally.flattrs_in(r)})
        with worker.active():
            worker_ms += _notify_worker(deployed.outputs["NotifyQueueUrl"])
    wcu, rcu = recorder.units()
    invocations = len(cpu_ms)
    return {
        "clicks": clicks,
        "things": things,
        "zipf_s": ZIPF_S,
        "batch_size": batch,
        "invocations": invocations,
        "chunks": chunks,
        "counter_writes": counter_writes,
        "counter_writes_per_click": counter_writes / clicks,
        "requests": dict(recorder.requests("dynamodb")),
        "wcu_per_click": wcu / clicks,
        "rcu_per_click": rcu / clicks,
        "invocations_per_click": invocations / clicks,
        "batch_ms": env.median(cpu_ms),
        "ms_per_click": sum(cpu_ms) / clicks,
        "notices": {
            "send_requests": sends,
            "sqs_requests_per_click": sent_chunks / clicks,
        },
        "notify_worker": _worker_figures(worker, worker_ms, clicks),
    }


def _notify_worker(queue_url: str) -> list[float]:
    """The notification worker on what the tally queued, as its event source mapping hands it
    over (up to 10 messages an invocation): CPU ms of each invocation."""
    import boto3
    from flattr.notify import jobs

    sqs, out = boto3.client("sqs"), []
    while msgs := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        t0 = env.cpu()
        for m in msgs:
            jobs.run(json.loads(m["Body"]))
        out.append((env.cpu() - t0) * 1000)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
        )
    return out


def _worker_figures(worker: capacity.Recorder, ms: list[float], clicks: int) -> dict[str, Any]:
    """Per click: the worker's invocations, their SQS requests (a receive billed by its payload's
    64 KB chunks, a delete) and DynamoDB units (each owner's endpoints read: none in this workload,
    so nothing is written)."""
    wcu, rcu = worker.units()
    sqs = 0
    for call in worker.calls:
        if (call.service, call.op) == ("sqs", "ReceiveMessage") and call.response:
            got = call.response.get("Messages") or []
            sqs += billed_chunks(sum(len(m["Body"].encode()) for m in got)) if got else 0
        elif (call.service, call.op) == ("sqs", "DeleteMessageBatch"):
            sqs += 1
    return {
        "invocations": len(ms),
        "invocations_per_click": len(ms) / clicks,
        "ms_per_invocation": env.median(ms),
        "ms": sum(ms),
        "requests": dict(worker.requests("dynamodb")),
        "sqs_requests_per_click": sqs / clicks,
        "wcu_per_click": wcu / clicks,
        "rcu_per_click": rcu / clicks,
    }
