"""The stream tally's share of a click: run it over a Zipf(s=1.1) click workload on moto.

A workload of CLICKS clicks over THINGS things (thing k is clicked with probability ~ 1/k^1.1, by
distinct givers), as the card records the table's stream delivers, in batches of the template's
TallyBatchSize. Each batch is handed to the tally's store code as the Lambda handler hands it, and
every DynamoDB request it makes is recorded and modeled (bench.capacity): the markers and counter
puts (2 WCU per KB each, in their transactions) and the counters' consistent reads. Stream reads
are free for a Lambda trigger. The invocation count is one per batch; its duration is the CPU time
of the batch on moto (its DynamoDB work included, so an overestimate of Lambda's).
"""

from __future__ import annotations

import bisect
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


def run(clicks: int = CLICKS, things: int = THINGS) -> dict[str, Any]:
    env.fresh_stack("tally")
    from flattr.store import tally

    batch = env.template_parameter("TallyBatchSize", 1000)
    stream = records(workload(clicks, things))
    recorder = capacity.Recorder(sizing=False)  # the tally puts whole items: the request is the size
    cpu_ms = []
    counter_writes = chunks = 0
    with recorder.active():
        for i in range(0, len(stream), batch):
            part = stream[i : i + batch]
            t0 = env.cpu()
            assert tally.apply(part) is None
            cpu_ms.append((env.cpu() - t0) * 1000)
            for start, end in tally.chunks(part):
                chunks += 1
                counter_writes += len({f.thing_id for r in part[start:end] for f in tally.flattrs_in(r)})
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
    }
