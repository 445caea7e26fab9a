"""Things' folded counts: a thing's counter (kept by the stream tally), copied onto the thing itself.

Lists and search show these, and search sorts by them (the `ranked` and `ranked_month` indexes),
so no list reads a counter per thing. The counters stay the source of truth: the tally (store.tally)
writes them from the table's stream and never touches the thing, so the fold runs apart from it.

The fold recomputes a thing's aggregate from its shards (it never adds), so running it twice, late
or out of order gives the same result. Today a schedule walks the live things (`fold_some`, a
bounded slice per run, resuming from a cursor). A stream aggregator can call `fold` with the
things its batch of counter records names, unchanged.

`check` is for the audit: no aggregate exceeds its source, and one the fold saw last is equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..clock import now
from ..domain.months import month_of
from . import things as store
from .models import Marker, Thing

BATCH = 25  # things folded together: 25 counters, one BatchGetItem call
PARTITIONS = ("public", "hidden")
CURSOR = ("FOLD", "CURSOR")


def shown(found: list[Thing], month: str | None = None) -> dict[str, store.Counts]:
    """The counts lists show: each thing's folded aggregate, read with the thing (no shard reads)."""
    month = month or month_of(now())
    return {
        t.thing_id: store.Counts(
            total=int(t.rank_total or 0),
            month=int(t.rank_month or 0) if t.counted_month == month else 0,
            last_at=t.last_flattr_at,
        )
        for t in found
    }


def _actions(thing: Thing, counts: store.Counts, month: str) -> list:
    """The updates that bring `thing`'s aggregate to `counts`; none if it is already there."""
    month_listed = month if counts.month and thing.listed == "public" else None
    now_has = (
        thing.rank_total,
        thing.rank_month,
        thing.counted_month,
        thing.last_flattr_at,
        thing.month_listed,
    )
    wanted = (counts.total, counts.month, month, counts.last_at, month_listed)
    if now_has == wanted:
        return []
    actions = [
        Thing.rank_total.set(counts.total),
        Thing.rank_month.set(counts.month),
        Thing.counted_month.set(month),
        Thing.month_listed.set(month_listed) if month_listed else Thing.month_listed.remove(),
    ]
    if counts.last_at:
        actions.append(Thing.last_flattr_at.set(counts.last_at))
    return actions


def fold(found: list[Thing]) -> int:
    """Bring these things' aggregates up to their shards; how many changed."""
    month = month_of(now())
    changed = 0
    for i in range(0, len(found), BATCH):
        chunk = [t for t in found[i : i + BATCH] if t.listed]
        counts = store.counts_many([t.thing_id for t in chunk], month)
        for thing in chunk:
            actions = _actions(thing, counts[thing.thing_id], month)
            if not actions:
                continue
            try:  # only while its listing is what the fold saw: a hide or delete since wins
                thing.update(actions=actions, condition=Thing.listed == thing.listed)
                changed += 1
            except Exception as exc:  # noqa: BLE001 - a changed thing is folded on the next pass
                if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                    raise
    return changed


def fold_ids(thing_ids: list[str]) -> int:
    """`fold` by id (what a stream aggregator would call with its batch's things)."""
    return fold(store.get_many(list(dict.fromkeys(thing_ids))))


@dataclass(frozen=True)
class Pass:
    folded: int
    changed: int
    done: bool  # True when this run reached the end of the live things


def _walk(partition: str, start: dict | None, limit: int):
    return Thing.by_listing.query(partition, last_evaluated_key=start, limit=limit, page_size=BATCH)


def fold_some(limit: int = 500) -> Pass:
    """Fold up to `limit` live things, from where the last run stopped (a cursor item)."""
    try:
        saved = json.loads(Marker.get(*CURSOR).at or "{}")
    except Marker.DoesNotExist:
        saved = {}
    partition, start = saved.get("partition", PARTITIONS[0]), saved.get("start")
    folded = changed = 0
    while folded < limit:
        pages = _walk(partition, start, limit - folded)
        batch = list(pages)
        folded += len(batch)
        changed += fold(batch)
        start = pages.last_evaluated_key
        if start is None:
            nxt = PARTITIONS.index(partition) + 1
            if nxt == len(PARTITIONS):
                Marker(*CURSOR, at="{}").save()
                return Pass(folded, changed, done=True)
            partition = PARTITIONS[nxt]
    Marker(*CURSOR, at=json.dumps({"partition": partition, "start": start})).save()
    return Pass(folded, changed, done=False)


def fold_all() -> int:
    """Every live thing, now (tests, the local stack, a backfill)."""
    Marker(*CURSOR, at="{}").save()
    changed = 0
    while True:
        step = fold_some(limit=1000)
        changed += step.changed
        if step.done:
            return changed


def check(found: list[Thing]) -> list[str]:
    """The aggregate against its source: never more than the shards count, and equal to them when
    no flattr came after the one the fold saw last. Problems as sentences (none: consistent)."""
    problems = []
    for i in range(0, len(found), BATCH):
        chunk = [t for t in found[i : i + BATCH] if t.rank_total is not None]
        counts = store.counts_many([t.thing_id for t in chunk])
        for thing in chunk:
            source, folded = counts[thing.thing_id], int(thing.rank_total)
            if folded > source.total:
                problems.append(
                    f"thing {thing.thing_id}: folded {folded} flattrs, its counters hold {source.total}"
                )
            elif thing.last_flattr_at == source.last_at and folded != source.total:
                problems.append(
                    f"thing {thing.thing_id}: folded {folded} flattrs at its last flattr, counters {source.total}"
                )
    return problems


def check_all() -> list[str]:
    """`check` over every live thing (the audit's entry point)."""
    problems = []
    for partition in PARTITIONS:
        problems += check(list(Thing.by_listing.query(partition, page_size=BATCH * 4)))
    return problems


def backfill() -> int:
    """Once, by an operator, on a table made before the `listed` index: give every thing its
    listing (a scan of the table: no function's policy allows it). Then fold."""
    marked = 0
    for thing in Thing.scan(Thing.sk == "THING"):
        wanted = store.listing(hidden=bool(thing.hidden), deleted=bool(thing.deleted_at))
        if wanted and thing.listed != wanted:
            thing.update(actions=[Thing.listed.set(wanted), Thing.rank_total.set(thing.rank_total or 0)])
            marked += 1
    return marked
