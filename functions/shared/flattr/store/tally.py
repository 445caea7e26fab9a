"""The stream tally: things' counters derived from the month cards, exactly once.

The table's stream (NEW_AND_OLD_IMAGES) brings every change of a card; a flattr is an attribute
`t<thing id>` that the new image has and the old one had not. A batch's records are applied in
chunks, in stream order. A chunk is ONE TransactWriteItems: a marker put, keyed by the chunk's
first record (`TALLY#<event id>`, with how many records it covers and the last sequence number),
and one update per thing it names. So a chunk is applied entirely or not at all, and once:

- a chunk whose marker exists was applied: its records are skipped (a batch delivered twice);
- a failure is reported from the first record of the failed chunk (ReportBatchItemFailures),
  so Lambda's retry starts at a chunk start, and the chunks before it are not applied again.

A thing's counter is read first (one BatchGetItem per chunk) and written whole, on condition that
its version `v` is still what was read: two tallies on two stream shards never lose an update
(the loser re-reads and tries again). A popular thing costs one write per chunk, not per click.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import cards
from .models import TallyMark, ThingCount
from .tx import MAX_ITEMS, Cancelled, Tx

MAX_THINGS = MAX_ITEMS - 1  # things a chunk updates: one transaction with its marker
MARK_DAYS = 2  # a marker outlives the stream's 24-hour retention, then the table's TTL takes it
ATTEMPTS = 5  # re-reads when another tally updated one of the chunk's things meanwhile
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flattr:
    thing_id: str
    user_id: str
    at: int  # epoch seconds


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
    return [Flattr(e.thing_id, user_id, e.at) for e in card.flattrs.values()]


def seq(record: dict) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def chunks(records: list[dict]) -> list[tuple[int, int]]:
    """[start, end) ranges of `records`, each naming at most MAX_THINGS things. Deterministic."""
    out, start, things = [], 0, set()
    for i, record in enumerate(records):
        named = {f.thing_id for f in flattrs_in(record)}
        if len(things | named) > MAX_THINGS and i > start:
            out.append((start, i))
            start, things = i, set()
        things |= named
    if start < len(records):
        out.append((start, len(records)))
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
    """The chunk's marker exists: it was applied before, through sequence number `last`."""

    def __init__(self, last: int):
        super().__init__(f"applied through {last}")
        self.last = last


def apply_chunk(records: list[dict]) -> None:
    """One chunk: its marker and its things' counters in one transaction (or Applied)."""
    deltas = _deltas(records)
    first = records[0]
    mark = TallyMark(
        *TallyMark.key(first["eventID"]),
        n=len(records),
        last=str(seq(records[-1])),
        expires=int(time.time()) + MARK_DAYS * 86400,
    )
    for attempt in range(ATTEMPTS):
        was = {
            c.pk.split("#", 1)[1]: c
            for c in ThingCount.batch_get([ThingCount.key(t) for t in deltas], consistent_read=True)
        }
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
                (done,) = TallyMark.batch_get([TallyMark.key(first["eventID"])], consistent_read=True)
                raise Applied(int(done.last)) from exc
            if attempt == ATTEMPTS - 1:
                raise


def apply(records: list[dict]) -> str | None:
    """Apply a batch, chunk by chunk. Returns the sequence number to report as the batch's first
    failure (Lambda retries from there), or None when everything is applied."""
    applied_through = -1
    for start, end in chunks(records):
        chunk = [r for r in records[start:end] if seq(r) > applied_through]
        if not chunk or not any(flattrs_in(r) for r in chunk):
            continue  # nothing to count (a seal, a record another marker covered)
        try:
            apply_chunk(chunk)
        except Applied as done:
            applied_through = max(applied_through, done.last)
            rest = [r for r in chunk if seq(r) > done.last]
            if rest:  # the earlier run chunked differently: apply what its marker does not cover
                try:
                    apply_chunk(rest)
                except Applied as again:
                    applied_through = max(applied_through, again.last)
                except Exception:  # noqa: BLE001 - reported, retried by Lambda from here
                    log.exception("tally chunk failed")
                    return rest[0]["dynamodb"]["SequenceNumber"]
        except Exception:  # noqa: BLE001 - reported, retried by Lambda from here
            log.exception("tally chunk failed")
            return chunk[0]["dynamodb"]["SequenceNumber"]
    return None
