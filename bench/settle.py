"""The month close: time against a raw BatchWriteItem floor, scaling, hot items, and what a user costs.

Settlement is driven the way tests/integration/test_month_close.py drives it, without SQS:
`start_close`, then every job in order through `run_job` (scan, settle and fold jobs).
Users and their flattrs are written in bulk first (pynamodb batch writes, untimed): the figures are
about settlement, not about clicking.

The cost phase runs the real path instead: the close's jobs on moto's SQS, consumed by
local.poller (the event source mapping) calling the SettleWorker handler in-process, so the
Powertools idempotency records and every SQS request are counted too.
"""

from __future__ import annotations

import collections
import math
from collections import Counter
from typing import Any

from bench import capacity, env

MONTH = "2030-03"
AT = "2030-03-05T10:00:00+00:00"
FLATTRS_PER_USER = 10


class ListQueue:
    """The settlement queue as a list: jobs run in the order they were sent."""

    def __init__(self):
        self.jobs: collections.deque = collections.deque()

    def send(self, jobs: list[dict]) -> None:
        self.jobs.extend(jobs)


def _user(models, uid: str, budget: int, funds: int):
    return models.User(
        *models.User.key(uid),
        uid=uid,
        display_name=uid,
        budget=budget,
        funds=funds,
        created_at=AT,
        created_month=MONTH,
    )


def _cards(flattrs: dict[str, dict[str, str]]) -> None:
    """Each user's month card ({user: {thing: owner}}), written in bulk."""
    from datetime import datetime

    from flattr.store import cards

    at = int(datetime.fromisoformat(AT).timestamp())
    cards.put_many([cards.as_item(uid, MONTH, made, at) for uid, made in flattrs.items()])


def seed_ring(n: int, per_user: int = FLATTRS_PER_USER, prefix: str = "u") -> None:
    """n users; each owns one thing and flattrs the things of the next `per_user` users."""
    from flattr.store import models

    with models.User.batch_write() as batch:
        for i in range(n):
            batch.save(_user(models, f"{prefix}{i}", budget=1000, funds=5000))
    _cards(
        {
            f"{prefix}{i}": {
                str(100_000 + (i + k) % n): f"{prefix}{(i + k) % n}" for k in range(1, per_user + 1)
            }
            for i in range(n)
        }
    )


def seed_hot(fans: int) -> str:
    """One creator ("star") whose one thing every fan flattrs. Returns the thing id."""
    from flattr.store import models

    thing = "777"
    with models.User.batch_write() as batch:
        batch.save(_user(models, "star", budget=200, funds=200))
        for i in range(fans):
            batch.save(_user(models, f"fan{i}", budget=200, funds=200))
    _cards({f"fan{i}": {thing: "star"} for i in range(fans)})
    return thing


def seed_whale(flattrs: int, creators: int = 20) -> None:
    """One user ("whale") with `flattrs` flattrs over the things of `creators` creators."""
    from flattr.store import models

    with models.User.batch_write() as batch:
        batch.save(_user(models, "whale", budget=100_000, funds=100_000))
        for c in range(creators):
            batch.save(_user(models, f"creator{c}", budget=200, funds=200))
    _cards({"whale": {str(200_000 + i): f"creator{i % creators}" for i in range(flattrs)}})


SQS_BATCH = 10  # the settle worker's BatchSize in infra/template.yaml


def close(month: str = MONTH, by_kind: dict | None = None) -> float:
    """Close the month in-process, in batches of jobs as the worker gets them from SQS (the settle
    jobs of a batch together first, store.settlement.prepare), then job by job. Returns
    CPU seconds; `by_kind` collects each job's CPU seconds by its kind, and each batch's read
    under "ahead"."""
    from flattr.settings import Policy
    from flattr.store import settlement

    cfg = Policy(fee_bps=1000, unspent="charity")
    queue = ListQueue()
    t0 = env.cpu()
    settlement.start_close(month, queue)
    while queue.jobs:
        batch = [queue.jobs.popleft() for _ in range(min(SQS_BATCH, len(queue.jobs)))]
        t_job = env.cpu()
        ahead = settlement.prepare(batch, cfg)
        if by_kind is not None and ahead is not None:
            by_kind.setdefault("ahead", []).append(env.cpu() - t_job)
        for job in batch:
            t_job = env.cpu()
            settlement.run_job(job, queue, cfg, ahead)
            if by_kind is not None:
                by_kind.setdefault(job["kind"], []).append(env.cpu() - t_job)
    return env.cpu() - t0


USERS_10M = 10_000_000
TABLE_WCU_PER_S = 40_000  # DynamoDB's default table quota


def hours_10m_users(wcu_per_user: float, scaling: dict) -> dict[str, float]:
    """A 10-million-user month: its writes at the table's quota, plus the fan-out the quota does
    not cover. The scan is a chain of jobs per segment (each lists a page and queues the next), so
    its length is users / segments / page size jobs, each timed here; the last page's fold then
    runs after its users settle."""
    from flattr.store import credits, settlement
    from flattr.store.credit_models import parts_for

    writes_s = USERS_10M * wcu_per_user / TABLE_WCU_PER_S
    chain = math.ceil(USERS_10M / settlement.SEGMENTS / settlement.PAGE_SIZE)
    fan_out_s = chain * scaling["scan_job_seconds"] + scaling["fold_page_seconds"]
    # The creators' fold runs after the last page: one chain of chunks per part (as many parts as
    # such a close takes), every user a creator (as in the ring), each chunk timed here.
    credit_chunks = math.ceil(USERS_10M / parts_for(USERS_10M) / credits.CHUNK_OWNERS)
    credit_s = credit_chunks * scaling["credit_chunk_seconds"]
    return {
        "writes_hours": round(writes_s / 3600, 3),
        "fan_out_hours": round(fan_out_s / 3600, 3),
        "scan_chain_jobs": chain,
        "credit_chain_chunks": credit_chunks,
        "credit_chain_hours": round(credit_s / 3600, 3),
        "hours": round((writes_s + fan_out_s + credit_s) / 3600, 3),
    }


def _chunks_credited() -> int:
    from flattr.store.credit_models import CreditMark

    marks = CreditMark.scan(CreditMark.pk.startswith(f"CREDITS#{MONTH}#"), attributes_to_get=["pk", "sk"])
    return sum(1 for m in marks if m.sk.startswith("CHUNK#"))


def _check_closed(users: int) -> dict:
    from flattr.store import calendar

    status = calendar.month_status(MONTH)
    if status["status"] != "closed" or status["users_settled"] != users:
        raise RuntimeError(f"the close did not settle {users} users: {status}")
    return status


def floor_batch_write(items: int, repeats: int = 3) -> float:
    """CPU seconds for BatchWriteItem of `items` flattr-sized items, 25 a request (median of repeats)."""
    import boto3
    from flattr.store import models

    raw = boto3.client("dynamodb")
    table = models._Base.Meta.table_name
    times = []
    for r in range(repeats):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"FLOOR#{r}#{i // FLATTRS_PER_USER}"},
                        "sk": {"S": f"FLATTR#{MONTH}#{100_000 + i}"},
                        "thing_id": {"S": str(100_000 + i)},
                        "owner_id": {"S": f"u{i % 997}"},
                        "month": {"S": MONTH},
                        "at": {"S": AT},
                    }
                }
            }
            for i in range(items)
        ]
        t0 = env.cpu()
        for i in range(0, len(requests), 25):
            pending = {table: requests[i : i + 25]}
            while pending:
                pending = raw.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        times.append(env.cpu() - t0)
    return env.median(times)


def writes_per_item(calls: list[capacity.Call]) -> Counter:
    """How many writes each item (pk, sk) took: transaction items (not checks), puts, updates, deletes."""
    writes: Counter = Counter()
    for c in calls:
        if c.service != "dynamodb":
            continue
        if c.op == "TransactWriteItems":
            for entry in c.params["TransactItems"]:
                ((kind, body),) = entry.items()
                if kind != "ConditionCheck":
                    key = body.get("Key") or body.get("Item")
                    writes[(key["pk"]["S"], key["sk"]["S"])] += 1
        elif c.op in ("PutItem", "UpdateItem", "DeleteItem"):
            key = c.params.get("Key") or c.params.get("Item")
            writes[(key["pk"]["S"], key["sk"]["S"])] += 1
        elif c.op == "BatchWriteItem":
            for requests in c.params["RequestItems"].values():
                for req in requests:
                    key = req.get("PutRequest", {}).get("Item") or req["DeleteRequest"]["Key"]
                    writes[(key["pk"]["S"], key["sk"]["S"])] += 1
    return writes


# ---------------------------------------------------------------- phases


def scaling(users: int) -> dict[str, Any]:
    """t(N users x 10 flattrs), its floor, and t(2N).

    Every timing here runs with the heap frozen first (env.frozen_heap), the close's and the
    floor's alike: moto's tables, this phase's and the earlier phases', live in this process, and
    each full collection walks them all (0.2 to 0.7 s, as long as the whole floor). When one fell
    in a timing was luck, and the floor's median of three dropped the repeat that had one while
    the close, timed once, kept its own. The same close and floor with the heap live are kept
    beside them (`floor_ratio_heap_live`), as the figure was measured before."""
    out: dict[str, Any] = {"users": users, "flattrs_per_user": FLATTRS_PER_USER}
    env.fresh_stack("settle-n")
    seed_ring(users)
    recorder = capacity.Recorder()
    by_kind: dict[str, list[float]] = {}
    with recorder.active(), env.frozen_heap():
        t_n = close(by_kind=by_kind)
    _check_closed(users)
    written = sum(writes_per_item(recorder.calls).values())
    requests = sum(recorder.requests("dynamodb").values())
    with env.frozen_heap():
        floor_flattrs = floor_batch_write(users * FLATTRS_PER_USER)
    with env.frozen_heap():
        floor_written = floor_batch_write(written, repeats=1)
    env.fresh_stack("settle-2n")
    seed_ring(2 * users)
    with env.frozen_heap():
        t_2n = close()
    _check_closed(2 * users)
    env.fresh_stack("settle-live")
    seed_ring(users)
    t_live = close()
    _check_closed(users)
    floor_live = floor_batch_write(users * FLATTRS_PER_USER)
    out.update(
        seconds=round(t_n, 3),
        seconds_2n=round(t_2n, 3),
        ms_per_user=round(t_n / users * 1000, 2),
        requests_per_user=round(requests / users, 2),
        requests_by_op_per_user={op: round(n / users, 2) for op, n in recorder.requests("dynamodb").items()},
        items_written_per_user=round(written / users, 2),
        floor_seconds=round(floor_flattrs, 3),
        floor_ratio=t_n / floor_flattrs,
        floor_ratio_same_writes=t_n / floor_written,
        floor_ratio_heap_live=t_live / floor_live,
        seconds_heap_live=round(t_live, 3),
        floor_seconds_heap_live=round(floor_live, 3),
        scaling=t_2n / t_n,
        cpu_seconds_by_job={k: round(sum(v), 3) for k, v in by_kind.items()},
        jobs={k: len(v) for k, v in by_kind.items()},
        scan_job_seconds=round(env.median(by_kind.get("scan", [0.0])), 4),
        credit_chunk_seconds=round(sum(by_kind.get("credit", [0.0])) / max(1, _chunks_credited()), 4),
        fold_page_seconds=round(max(by_kind.get("fold", [0.0])), 4),
    )
    return out


def hot(fans: int) -> dict[str, Any]:
    env.fresh_stack("settle-hot")
    seed_hot(fans)
    recorder = capacity.Recorder()
    with recorder.active():
        close()
    _check_closed(fans + 1)
    writes = writes_per_item(recorder.calls)
    (pk, sk), most = writes.most_common(1)[0]
    top = [{"item": f"{p} / {s}", "writes": n} for (p, s), n in writes.most_common(5)]
    from flattr.domain import accounts
    from flattr.store import ledger

    revenue = ledger.balance(accounts.revenue("star"))
    if revenue != fans * 180:
        raise RuntimeError(f"star's revenue is {revenue}, not {fans * 180}")
    return {"fans": fans, "hot_item_writes": most, "hottest_item": f"{pk} / {sk}", "top_items": top}


def _close_through_worker(
    users: int, sizing: bool, prefix: str, spans: list | None = None
) -> tuple[capacity.Recorder, list[float]]:
    """Seed `users` x 10 flattrs on a fresh stack, close the month through SQS and the worker handler."""
    deployed = env.fresh_stack("settle-cost")
    from flattr.store import settlement
    from flattr.store.queue import SettleQueue

    from local import runtime
    from local.poller import Poller

    seed_ring(users, prefix=prefix)
    invocations: list[float] = []

    recorder = capacity.Recorder(sizing=sizing)

    def invoke(fn, event):
        t0, first = env.cpu(), len(recorder.calls)
        try:
            return runtime.invoke(fn, event)
        finally:
            invocations.append(env.cpu() - t0)
            if spans is not None:  # which function made which calls
                spans.append((fn.logical_id, first, len(recorder.calls)))

    poller = Poller(stack_name=deployed.name, invoke=invoke)
    import close_month_worker as worker

    # The worker binds its queue and idempotency table at import. The queue is pointed at this stack;
    # the idempotency records may stay in the first stack's table (user ids differ between runs).
    worker._queue = SettleQueue()
    poller.drain()  # the seeded flattrs' stream tally: what clicks cost, counted with them
    with recorder.active():
        settlement.start_close(MONTH, SettleQueue())
        drained = poller.drain()
    _check_closed(users)
    if drained["failed"] or drained["dead_lettered"]:
        raise RuntimeError(f"the close failed jobs: {drained}")
    return recorder, invocations


def cost(users: int = 40) -> dict[str, Any]:
    """What settling a user costs: one close through moto's SQS and the worker handler (as
    local.poller plays the event source mapping), every AWS request recorded. Run twice: once for
    CPU time (unmetered but for the request log), once sizing every written item for the units."""
    timing, invocations = _close_through_worker(users, sizing=False, prefix="t")
    spans: list = []
    sized, _ = _close_through_worker(users, sizing=True, prefix="s", spans=spans)
    wcu, rcu = sized.units()
    by_function: dict[str, float] = collections.defaultdict(float)
    for logical_id, first, last in spans:
        for call in sized.calls[first:last]:
            if call.service == "dynamodb":
                w, _ = capacity.call_units(call, sized._table_keys)
                by_function[logical_id] += w + sized._index_writes(call)
    sqs = timing.requests("sqs")
    # The poller's own bookkeeping (is the queue empty yet?) is not something Lambda's mapping bills.
    billed_sqs = sum(n for op, n in sqs.items() if op not in ("GetQueueAttributes", "GetQueueUrl"))
    return {
        "users": users,
        "dynamodb_requests_per_user": round(sum(timing.requests("dynamodb").values()) / users, 2),
        "dynamodb_requests": dict(timing.requests("dynamodb")),
        "wcu_per_user": round(wcu / users, 2),
        "wcu_per_user_by_function": {k: round(v / users, 2) for k, v in sorted(by_function.items())},
        "rcu_per_user": round(rcu / users, 2),
        "sqs_requests": dict(sqs),
        "sqs_requests_per_user": round(billed_sqs / users, 3),
        "lambda_invocations_per_user": round(len(invocations) / users, 3),
        "worker_cpu_ms_per_user": round(sum(invocations) / users * 1000, 2),
    }
