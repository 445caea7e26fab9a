"""The audit: re-derive every balance and count from the immutable records and compare.

It is a map-reduce over the whole table, in bounded memory, as jobs on a queue:

  start    a run record, and one map job per Scan segment
  map      one page of a segment: each item becomes facts (store.audit_facts), summed per key in
           memory and written to the run's scratch (store.audit_scratch); the job then queues the
           segment's next page. A partition is never cut between jobs: a page that ends inside a user's
           partition reads the rest of it, and the next page starts after it.
  reduce   when every segment is done, one job per bucket of keys pages through their sums and
           checks each key (store.audit_checks); the last bucket to finish ends the run once,
           and its report (how many violations) is what the job's caller publishes.

Every job may be delivered twice: a map page's sums are rows named by the page (put again, not
added again), and reduce jobs only read and overwrite their own findings.
`run_audit()` runs the same jobs in-process (tests, the local stack) and returns the violations.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .. import settings
from ..clock import now
from . import audit_checks as checks
from . import audit_facts
from . import audit_scratch as scratch
from .audit_facts import MAX_KEYS, MAX_VIOLATIONS, TALLY_LAG, Facts, Feeder
from .models import connection

INVARIANTS = {
    1: "conservation: all balances sum to zero",
    2: "each balance equals the sum of its transfers",
    3: "no user balance is negative",
    4: "each (user, month) is settled exactly once",
    5: "shares sum to what was distributed, each floor or floor+1; the fee is exact",
    6: "each (user, thing, month) flattr is counted once",
    7: "every acknowledged flattr of a settled month is paid",
    8: "a user's months settle in calendar order",
    9: "no zero-cent transfer, no zero-cent received row",
    10: "money that went back is a transfer; a debt is never above zero",
}

SEGMENTS = 16  # parallel Scan segments of the table: the map's parallelism (the queue allows 16 at once)
BUCKETS = 16  # reduce jobs (and the run's context, the months and the total)
PAGE = 500  # items a map job scans
REDUCE_PAGE = 500  # scratch items a reduce job reads
PART = 10_000  # positions per page: a page's facts may be written in several parts


@dataclass(frozen=True, order=True)
class Violation:
    invariant: int
    detail: str

    def __str__(self) -> str:
        return f"invariant {self.invariant} ({INVARIANTS[self.invariant]}): {self.detail}"


@dataclass
class Report:
    """A finished run: how many violations, and the first ones."""

    run: str
    count: int
    violations: list[Violation] = field(default_factory=list)


class Queue:
    def send(self, jobs: list[dict]) -> None: ...


# ---------------------------------------------------------------- jobs


def map_job(run: str, segment: int, segments: int, buckets: int, start=None, page: int = 0) -> dict:
    return {
        "kind": "audit_map",
        "run": run,
        "segment": segment,
        "segments": segments,
        "buckets": buckets,
        "start": start,
        "page": page,
    }


def reduce_job(run: str, bucket: str, start=None, page: int = 0, carry=None) -> dict:
    """`carry`: the key the last page ended inside of, and its sums so far."""
    return {
        "kind": "audit_reduce",
        "run": run,
        "bucket": bucket,
        "start": start,
        "page": page,
        "carry": carry,
    }


def start(queue: Queue, segments: int = SEGMENTS, buckets: int = BUCKETS) -> str:
    run = scratch.new_run(segments, buckets)
    queue.send([map_job(run, seg, segments, buckets) for seg in range(segments)])
    return run


def handle(job: dict, queue: Queue) -> Report | None:
    """Run one job; the run's report if this job finished the run."""
    if job.get("kind") == "audit_map":
        return map_page(job, queue)
    if job.get("kind") == "audit_reduce":
        return reduce_page(job, queue)
    raise ValueError(f"unknown audit job kind {job.get('kind')!r}")


# ---------------------------------------------------------------- map


def _table() -> str:
    return settings.get().table


def _query(key_condition: str, values: dict, **extra):
    client, start = connection().client, None
    while True:
        page = client.query(
            TableName=_table(),
            KeyConditionExpression=key_condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            **extra,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def map_page(job: dict, queue: Queue, max_keys: int | None = None) -> Report | None:
    run, segment, page, buckets = job["run"], job["segment"], job["page"], job["buckets"]
    if scratch.position(run, segment) >= page:  # done: a redelivery, or a twin of its job
        _reduce_when_mapped(run, queue)  # in case it was the last, and died before this
        return None
    part = 0

    def write(sums: dict[str, dict[str, int]]) -> None:
        nonlocal part
        assert part < PART, "a page wrote more parts than a position can number"
        scratch.add(run, segment, page * PART + part, sums, buckets)
        part += 1

    facts = Facts(max_keys=max_keys or MAX_KEYS, spill=write)
    feeder = Feeder(facts)

    scan = connection().client.scan(
        TableName=_table(),
        Segment=segment,
        TotalSegments=job["segments"],
        Limit=PAGE,
        ConsistentRead=True,
        **({"ExclusiveStartKey": job["start"]} if job.get("start") else {}),
    )
    for raw in scan.get("Items", []):
        feeder.feed(raw)
    last = scan.get("LastEvaluatedKey")
    if last and feeder.collects(last["pk"]["S"]):  # the page ended inside a partition: finish it
        for raw in _query("pk = :pk AND sk > :sk", {":pk": last["pk"], ":sk": last["sk"]}):
            feeder.feed(raw)
            last = {"pk": raw["pk"], "sk": raw["sk"]}
    feeder.end_partition()
    facts.run_deferred()
    write(facts.take())
    scratch.save_violations(run, f"M{segment:03d}.{page:07d}", facts.found, facts.more)
    if last:
        queue.send([map_job(run, segment, job["segments"], buckets, last, page + 1)])
        scratch.advance(run, segment, page)
        return None
    scratch.finish_part(run, "SEGS", str(segment), "maps_done")
    scratch.advance(run, segment, page)
    _reduce_when_mapped(run, queue)
    return None


def _reduce_when_mapped(run: str, queue: Queue) -> None:
    record = scratch.run_record(run)
    if record["maps_done"] >= record["segments"] and not record.get("reducing"):
        # Sent before the flag is set: a crash in between only repeats harmless reduce jobs.
        queue.send([reduce_job(run, b) for b in buckets_of(int(record["buckets"]))])
        scratch.once(run, "reducing")


def buckets_of(buckets: int) -> list[str]:
    return ["ctx", *(str(b) for b in range(buckets))]


# ---------------------------------------------------------------- reduce

_contexts: dict[str, checks.Context] = {}


def context(run: str) -> checks.Context:
    """The run's months (their closes and counters): small, read once per run and process."""
    if run not in _contexts:
        ctx = checks.Context()
        for key, columns in scratch.all_keys(run, "ctx"):
            family, *parts = key.split("|")
            if family == "month":
                ctx.months[parts[0]] = columns
        _contexts.clear()
        _contexts[run] = ctx
    return _contexts[run]


def reduce_page(job: dict, queue: Queue) -> Report | None:
    run, bucket, page = job["run"], job["bucket"], job["page"]
    ctx = context(run)
    carry = tuple(job["carry"]) if job.get("carry") else None
    keys, last, carry = scratch.keys(run, bucket, job.get("start"), REDUCE_PAGE, carry)
    found: list[tuple[int, str]] = []
    more = 0
    for key, columns in keys:
        for invariant, detail in checks.check(key, columns, ctx):
            if len(found) < MAX_VIOLATIONS:
                found.append((invariant, detail))
            else:
                more += 1
    scratch.save_violations(run, f"R{bucket}.{page:07d}", found, more)
    if last:
        queue.send([reduce_job(run, bucket, last, page + 1, carry)])
        return None
    scratch.finish_part(run, "BUCKETS", bucket, "reduces_done")
    record = scratch.run_record(run)
    if record["reduces_done"] >= record["buckets"] + 1 and scratch.once(run, "finished"):
        return report(run)
    return None


def report(run: str, keep: int = 100) -> Report:
    count, kept = 0, []
    for invariant, n, detail in scratch.violations(run):
        count += n
        if invariant and len(kept) < keep:
            kept.append(Violation(invariant, detail))
    return Report(run, count, kept)


# ---------------------------------------------------------------- in-process


class _Jobs:
    def __init__(self) -> None:
        self.jobs: deque[dict] = deque()

    def send(self, jobs: list[dict]) -> None:
        self.jobs.extend(jobs)


def run_audit(segments: int = 4, buckets: int = 4, deliver=None) -> list[Violation]:
    """The whole audit, its jobs run here one after another; every violation it found.
    `deliver(job, queue)` may stand in for `handle` (a test delivers jobs twice)."""
    queue = _Jobs()
    run = start(queue, segments, buckets)
    while queue.jobs:
        (deliver or handle)(queue.jobs.popleft(), queue)
    return sorted(Violation(i, d) for i, _, d in scratch.violations(run) if i)


def check_counters(entries, counted: dict, lag: int | None = None) -> list[Violation]:
    """Invariant 6 for the derived counters alone: card entries (thing_id, at) against the
    things' counters (ThingCount), the flattrs of the last `lag` seconds excused."""
    facts = Facts(max_keys=len(entries) * 2 + len(counted) * 64 + 16)
    facts.horizon = int(now().timestamp()) - (TALLY_LAG if lag is None else lag)
    for e in entries:
        audit_facts.flattr(facts, e.thing_id, e.at)
    for thing_id, c in counted.items():
        months = {m: int(v) for m, v in (c.months.as_dict() if c.months else {}).items()}
        audit_facts.count(facts, thing_id, int(c.total or 0), months)
    return sorted(
        Violation(i, d)
        for key, columns in facts.take().items()
        for i, d in checks.check(key, columns, checks.Context())
    )
