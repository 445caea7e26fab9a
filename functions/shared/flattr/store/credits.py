"""The creators' fold: a month's shares reach creators' revenue in one update per creator.

A page's fold (store.fold) writes, for each creator its users paid, one immutable entry (what they
gave, per thing, and who gave), and moves the page's shares into the month's clearing account, in
the shard of the creator's part. When every page has folded, one job chain per part walks the
part's entries in key order (a creator's entries sit together) and credits creators in chunks of
at most CHUNK_OWNERS. A chunk is ONE transaction: its marker (`CREDITS#<month>#<part>`,
`CHUNK#<j>`, naming what it credited), the clearing debit, and one revenue update per creator. So
a creator with fans on ten thousand pages costs one write, not ten thousand, and a chunk happens
once however often its job runs. Chunks are cut from the part's start, the same way every time, so
a job that comes again (or continues where the last stopped) cuts them alike. What each thing
received is written whole, from the same sums (a put of the total: idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..clock import now
from ..domain import accounts
from . import calendar, ledger, wire
from .credit_models import HASH, CreditEntry, CreditMark, owner_hash, part_of
from .models import MonthClose, Received, _Base, connection
from .tx import Cancelled, Tx

CHUNK_OWNERS = 98  # revenue updates a chunk makes: with its marker and the clearing debit, 100 items
CHUNKS_PER_JOB = 20  # then the job hands the rest of its part to a new job
RECEIVED_SHARD = 0  # the creators' fold writes what a thing received here, whole; see store.fold


def entry_things(things: dict[str, list[int]]) -> list[str]:
    return [f"{t}|{n}|{c}" for t, (n, c) in sorted(things.items())]


def parse_things(values) -> Iterator[tuple[str, int, int]]:
    for value in values or []:
        thing_id, n, cents = value.split("|")
        yield thing_id, int(n), int(cents)


def revenue_shard(owner_id: str, month: str) -> tuple[str, int]:
    account = accounts.revenue(owner_id)
    return account, accounts.shard_for(account, month)


def clearing_shard(month: str, part: int) -> tuple[str, int]:
    """The clearing shard that holds a part's shares between the pages' folds and the creators'."""
    return accounts.clearing(month), part


@dataclass
class Chunk:
    index: int
    owners: dict[str, int] = field(default_factory=dict)  # owner -> cents
    received: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    last_key: dict | None = None  # the key of its last entry: where the next chunk starts

    @property
    def name(self) -> str:
        return f"CHUNK#{self.index:06d}"


@dataclass(frozen=True)
class Read:
    """An entry as the creators' fold reads it (the attributes it needs, straight off the wire)."""

    sk: str
    owner: str
    cents: int
    things: list[tuple[str, int, int]]  # (thing, shares, cents)


def _entries(month: str, part: int, start: dict | None) -> Iterator[Read]:
    query = {
        "TableName": _Base.Meta.table_name,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": CreditEntry.partition(month, part)}},
        # Not the partition (known), nor the cents: an entry's cents are its things' (store.fold).
        "ProjectionExpression": "sk, #o, things",
        "ExpressionAttributeNames": {"#o": "owner"},
        "ConsistentRead": True,
    }
    while True:
        page = connection().client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        for item in page.get("Items", []):
            things = list(parse_things(t["S"] for t in item.get("things", {}).get("L", [])))
            yield Read(item["sk"]["S"], item["owner"]["S"], sum(c for _, _, c in things), things)
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def chunks(month: str, part: int, start: dict | None = None, index: int = 0) -> Iterator[Chunk]:
    """The part's chunks from `start` (a chunk's last key; None: the part's start), in order."""
    chunk, group, pk = Chunk(index), [], CreditEntry.partition(month, part)
    for entry in _entries(month, part, start):
        if group and entry.sk[:HASH] != group[0].sk[:HASH]:
            ready, chunk = _with_group(chunk, group, pk)
            if ready is not None:
                yield ready
            group = []
        group.append(entry)
    if group:
        ready, chunk = _with_group(chunk, group, pk)
        if ready is not None:
            yield ready
    if chunk.owners:
        yield chunk


def _with_group(chunk: Chunk, group: list[Read], pk: str) -> tuple[Chunk | None, Chunk]:
    """Add a group of entries (one owner's; two, should their hashes collide) to the chunk, or,
    if they would overfill it, to the next. Returns (the chunk now complete or None, the open one)."""
    ready = None
    new = {e.owner for e in group} - set(chunk.owners)
    if chunk.owners and len(chunk.owners) + len(new) > CHUNK_OWNERS:
        ready, chunk = chunk, Chunk(chunk.index + 1)
    for e in group:
        chunk.owners[e.owner] = chunk.owners.get(e.owner, 0) + e.cents
        for thing_id, n, cents in e.things:
            chunk.received[thing_id][0] += n
            chunk.received[thing_id][1] += cents
    chunk.last_key = {"pk": {"S": pk}, "sk": {"S": group[-1].sk}}
    return ready, chunk


def apply(month: str, part: int, chunk: Chunk) -> bool:
    """Credit one chunk, at most once. False: it had been."""
    wire.put_many([received_item(t, month, n, c) for t, (n, c) in sorted(chunk.received.items())])
    mark = CreditMark(
        *CreditMark.key(month, part, chunk.name),
        credits=[f"{c}|{o}" for o, c in sorted(chunk.owners.items())],
        at=now().isoformat(),
    )
    tx = Tx().put(mark, condition=CreditMark.pk.does_not_exist(), label="guard")
    changes = {clearing_shard(month, part): -sum(chunk.owners.values())}
    changes |= {revenue_shard(o, month): c for o, c in chunk.owners.items()}
    ledger.add_changes(tx, changes)
    try:
        tx.commit()
    except Cancelled as exc:
        if "guard" in exc.failed:
            return False
        raise
    return True


def received_item(thing_id: str, month: str, flattrs: int, cents: int) -> dict:
    """What a thing received in the month, whole (writing it again changes nothing)."""
    pk, sk = Received.key(thing_id, RECEIVED_SHARD, month)
    return {"pk": {"S": pk}, "sk": {"S": sk}, "flattrs": {"N": str(flattrs)}, "amount": {"N": str(cents)}}


def entry_item(
    month: str, owner_id: str, page: str, parts: int, cents: int, things: list[str], givers: list[str]
):
    """A creator's entry from a page (store.fold), in the wire format of CreditEntry."""
    pk, sk = CreditEntry.key(month, owner_id, page, parts)
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "owner": {"S": owner_id},
        "page": {"S": page},
        "cents": {"N": str(cents)},
        "things": {"L": [{"S": t} for t in things]},
        "givers": {"L": [{"S": g} for g in givers]},
    }


def decode_mark(values) -> dict[str, int]:
    out = {}
    for value in values or []:
        cents, owner = value.split("|", 1)
        out[owner] = int(cents)
    return out


def fold_part(month: str, part: int, start: dict | None = None, index: int = 0) -> dict | None:
    """Credit the part's chunks from `start`, at most CHUNKS_PER_JOB of them. Returns where the
    next job starts ({"start", "chunk"}), or None when the part is done (and counted done)."""
    done = 0
    for chunk in chunks(month, part, start, index):
        apply(month, part, chunk)
        done += 1
        if done == CHUNKS_PER_JOB:
            return {"start": chunk.last_key, "chunk": chunk.index + 1}
    tx = Tx()
    ledger.guard(tx, *CreditMark.key(month, part, "DONE"))
    tx.update(MonthClose(*MonthClose.key(month)), [MonthClose.credits_done.add(1)])
    tx.commit_once()
    return None


def credit_job(month: str, part: int, start: dict | None = None, index: int = 0) -> dict:
    job = {"kind": "credit", "month": month, "part": part}
    return {**job, "start": start, "chunk": index} if start else job


def jobs(month: str, parts: int) -> list[dict]:
    return [credit_job(month, p) for p in range(parts)]


# ---------------------------------------------------------------- the close's jobs


def start(month: str, queue) -> bool:
    """Once every page has folded, hand out the creators' fold, one job per part. Called after
    each page's fold and each segment's end: the last of them finds the pages all folded."""
    close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    if close.credits_dispatched or int(close.segments_done or 0) < int(close.segments):
        return False
    totals = calendar.progress(month)
    if totals["pages_folded"] < totals["pages_total"]:
        return False
    # Sent before being marked: a crash in between (or a twin) only repeats jobs that find their
    # chunks credited.
    queue.send(jobs(month, max(1, int(close.credit_parts or 0))))
    Tx().update(close, [MonthClose.credits_dispatched.set(True)]).commit_once()
    return True


def run_part(job: dict, queue) -> bool:
    """Credit a part's creators, a bounded number of chunks; the rest goes on in a new job."""
    month, part = job["month"], int(job["part"])
    rest = fold_part(month, part, job.get("start"), int(job.get("chunk", 0)))
    if rest is not None:
        queue.send([credit_job(month, part, rest["start"], rest["chunk"])])
    return rest is None


# ---------------------------------------------------------------- readers


def givers(owner_id: str, month: str) -> set[str]:
    """Who paid the creator a share that month (from the entries; the digest's supporters)."""
    try:
        close = MonthClose.get(*MonthClose.key(month), attributes_to_get=["credit_parts"])
    except MonthClose.DoesNotExist:
        return set()
    found: set[str] = set()
    entries = CreditEntry.query(
        CreditEntry.partition(month, part_of(owner_id, int(close.credit_parts or 1))),
        CreditEntry.sk.startswith(owner_hash(owner_id) + "#"),
    )
    for entry in entries:
        if entry.owner == owner_id:
            found.update(entry.givers or [])
    return found
