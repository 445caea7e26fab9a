"""The stream tally: things' counters derived from the month cards, exactly once.

The table's stream (NEW_AND_OLD_IMAGES) brings every change of a card; a flattr is an attribute
`t<thing id>` that the new image has and the old one had not. A batch's records are applied in
chunks of consecutive records (up to CHUNK_THINGS things: a whole batch, usually), in stream
order. A chunk's things are summed, sorted and cut into parts of MAX_THINGS; a part is ONE
TransactWriteItems: a marker put, keyed by the chunk's first record and the part's number
(`TALLY#<event id>`, `PART#<k>`, with the chunk's record count and last sequence number), and
one counter write per thing. So a part is applied entirely or not at all, and once:

- a part whose marker exists was applied: it is skipped (a batch delivered twice, or retried);
- a failure is reported from the first record of the chunk (ReportBatchItemFailures), so Lambda's
  retry starts at a chunk start, and the chunks before it are not applied again. A retry that
  chunks differently (its batch is longer: the last chunk of a batch ends with the batch) finds
  the earlier chunk's end on its first marker, finishes that chunk's parts, and goes on after it.
  (Lambda never retries with fewer records than it first delivered from the same position.)

A thing's counter is read first (one BatchGetItem per part) and written whole, on condition that
its version `v` is still what was read: two tallies on two stream shards never lose an update
(the loser re-reads, consistently, and tries again). So a thing costs one write per batch it is
clicked in, however often: a popular thing is not a hot item, and the tail costs what it must.

Once a chunk is counted, its flattrs are handed on (`apply(records, applied)`: the handler queues
the owners' flattr.received notices); a failure there is reported like the chunk's own.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import cards
from .models import TallyMark, ThingCount
from .tx import MAX_ITEMS, Cancelled, Tx

MAX_THINGS = MAX_ITEMS - 1  # things a part updates: one transaction with its marker
CHUNK_THINGS = 5000  # things a chunk names: its parts are written one after the other
MARK_DAYS = 2  # a marker outlives the stream's 24-hour retention, then the table's TTL takes it
ATTEMPTS = 5  # re-reads when another tally updated one of the chunk's things meanwhile
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flattr:
    thing_id: str
    user_id: str
    at: int  # epoch seconds
    owner_id: str = ""
    via: str = "click"  # "click" | "subscription"


def flattrs_in(record: dict) -> list[Flattr]:
    """The flattrs a stream record adds: thing attributes of a card new since its old image."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return []
    ddb = record.get("dynamodb") or {}
    keys = ddb.get("Keys") or {}
    sk = keys.get("sk", {}).get("S", "")
    if not sk.startswith(cards.PREFIX):
        return []
    user_id = keys["pk"]["S"][len("USER#") :]
    new, old = ddb.get("NewImage") or {}, ddb.get("OldImage") or {}
    added = {k: v for k, v in new.items() if k not in old}
    card = cards.parse(user_id, sk[len(cards.PREFIX) :], {**added, "n": {"N": "0"}})
    return [Flattr(e.thing_id, user_id, e.at, e.owner_id, e.via) for e in card.flattrs.values()]


def seq(record: dict) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def first_chunk(records: list[dict]) -> int:
    """How many of `records` the first chunk takes: at most CHUNK_THINGS things. Deterministic, and
    it depends only on the records from the first on, so a retry that starts there chunks alike."""
    things: set[str] = set()
    for i, record in enumerate(records):
        named = {f.thing_id for f in flattrs_in(record)}
        if len(things | named) > CHUNK_THINGS and i > 0:
            return i
        things |= named
    return len(records)


def chunks(records: list[dict]) -> list[tuple[int, int]]:
    """[start, end) ranges of `records`, chunk by chunk."""
    out, start = [], 0
    while start < len(records):
        end = start + first_chunk(records[start:])
        out.append((start, end))
        start = end
    return out


@dataclass
class _Delta:
    count: int = 0
    months: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fans: list[tuple[int, str]] = field(default_factory=list)


def _deltas(records: list[dict]) -> dict[str, _Delta]:
    out: dict[str, _Delta] = defaultdict(_Delta)
    for record in records:
        for f in flattrs_in(record):
            d = out[f.thing_id]
            d.count += 1
            d.months[_month(f.at)] += 1
            d.fans.append((f.at, f.user_id))
    return out


def _month(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _counter(thing_id: str, was: ThingCount | None, d: _Delta) -> ThingCount:
    months = (was.months.as_dict() if was is not None and was.months else {}) if was else {}
    for m, k in d.months.items():
        months[m] = int(months.get(m, 0)) + k
    old_fans = [(int(a), u) for a, u in (f.split("|", 1) for f in (was.fans or []))] if was else []
    fans = sorted(old_fans + d.fans, key=lambda f: (-f[0], f[1]))[: ThingCount.FANS]
    newest = max(a for a, _ in d.fans)
    last_at = max(filter(None, [was.last_at if was else None, _iso(newest)]))
    return ThingCount(
        *ThingCount.key(thing_id),
        total=(int(was.total or 0) if was else 0) + d.count,
        months=months,
        last_at=last_at,
        fans=[f"{a}|{u}" for a, u in fans],
        v=(int(was.v or 0) if was else 0) + 1,
    )


class Applied(Exception):
    """A part's marker exists for another chunking: the chunk applied before ended at `last`."""

    def __init__(self, last: int):
        super().__init__(f"applied through {last}")
        self.last = last


def parts(records: list[dict]) -> list[dict[str, _Delta]]:
    """A chunk's counter updates, in parts of at most MAX_THINGS things (sorted: deterministic)."""
    deltas = _deltas(records)
    things = sorted(deltas)
    return [{t: deltas[t] for t in things[i : i + MAX_THINGS]} for i in range(0, len(things), MAX_THINGS)]


def apply_chunk(records: list[dict]) -> None:
    """One chunk: part by part, each one transaction of its marker and its things' counters. A part
    whose marker exists was applied (by an attempt that chunked alike); Applied if its marker says
    the earlier attempt's chunk ended elsewhere."""
    first, last = records[0]["eventID"], seq(records[-1])
    for k, deltas in enumerate(parts(records)):
        mark = TallyMark(
            *TallyMark.key(first, k),
            n=len(records),
            last=str(last),
            expires=int(time.time()) + MARK_DAYS * 86400,
        )
        _apply_part(mark, deltas, last)


def _apply_part(mark: TallyMark, deltas: dict[str, _Delta], last: int) -> None:
    for attempt in range(ATTEMPTS):
        keys = [ThingCount.key(t) for t in deltas]
        was = {c.pk.split("#", 1)[1]: c for c in ThingCount.batch_get(keys, consistent_read=attempt > 0)}
        tx = Tx().put(mark, condition=TallyMark.pk.does_not_exist(), label="mark")
        for thing_id, d in deltas.items():
            old = was.get(thing_id)
            unchanged = ThingCount.pk.does_not_exist() if old is None else ThingCount.v == int(old.v or 0)
            tx.put(_counter(thing_id, old, d), condition=unchanged, label="counter")
        try:
            tx.commit()
            return
        except Cancelled as exc:
            if "mark" in exc.failed:
                (done,) = TallyMark.batch_get([(mark.pk, mark.sk)], consistent_read=True)
                if int(done.last) == last:
                    return  # this very part was applied: nothing to do
                raise Applied(int(done.last)) from exc
            if attempt == ATTEMPTS - 1:  # another tally kept changing these counters (or a stale read)
                raise


def apply(records: list[dict], applied: Callable[[list[Flattr]], None] | None = None) -> str | None:
    """Apply a batch, chunk by chunk. Returns the sequence number to report as the batch's first
    failure (Lambda retries from there), or None when everything is applied.

    `applied` is handed each chunk's flattrs once the chunk is counted (or found counted by an
    earlier attempt): a failure there is reported like a failed chunk, so the retry finds the chunk
    counted by its markers and hands its flattrs over again (at least once, never counted twice)."""
    pending = list(records)
    while pending:
        chunk = pending[: first_chunk(pending)]
        if not any(flattrs_in(r) for r in chunk):
            pending = pending[len(chunk) :]  # nothing to count (a seal, say)
            continue
        try:
            try:
                apply_chunk(chunk)
                done_now, pending = chunk, pending[len(chunk) :]
            except Applied as done:  # an earlier attempt chunked these records otherwise: finish its
                done_now = [r for r in chunk if seq(r) <= done.last]  # chunk, then go on after it
                apply_chunk(done_now)
                pending = [r for r in pending if seq(r) > done.last]
            if applied is not None:
                applied([f for r in done_now for f in flattrs_in(r)])
        except Exception:  # noqa: BLE001 - reported, retried by Lambda from the chunk's first record
            log.exception("tally chunk failed")
            return chunk[0]["dynamodb"]["SequenceNumber"]
    return None
