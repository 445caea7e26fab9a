"""The audit as a map-reduce: it finds each kind of planted violation, a job delivered twice adds
nothing twice, memory stays within its bound whatever the table's size, and a run through the
queue publishes its violations once."""

from __future__ import annotations

import json

import pytest
from flattr.store import audit, cards, fold, models
from flattr.store import audit_scratch as scratch

from local import runtime, stack


@pytest.fixture
def closed(api, at, close):
    """October closed: ada flattred three things of bob and cy, bob one of cy's."""
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=300, funds=300)
    api.giver("cy", budget=200, funds=200)
    things = {"bob1": api.thing("bob"), "bob2": api.thing("bob"), "cy1": api.thing("cy")}
    for t in things.values():
        assert api.flattr("ada", t)[0] == 201
    assert api.flattr("bob", things["cy1"])[0] == 201
    assert close("2026-10", now="2026-11-01T00:10:00")["status"] == "closed"
    return {k: str(v) for k, v in things.items()}


def _update(model, key, *actions):
    model(*key).update(actions=list(actions))


def _moved_cent(c):
    """ada's record pays one cent of a share to another of her things (the sum is unchanged)."""
    record = models.Settlement.get(*models.Settlement.key("ada", "2026-10"))
    shares = fold.decode(record.shares)
    a, b = shares[0], shares[1]
    moved = [
        fold.encode(a.thing_id, a.owner_id, a.cents + 1),
        fold.encode(b.thing_id, b.owner_id, b.cents - 1),
        *[fold.encode(x.thing_id, x.owner_id, x.cents) for x in shares[2:]],
    ]
    record.update(actions=[models.Settlement.shares.set(moved)])


def _first_page():
    pages = models.Page.query("MONTH#2026-10", models.Page.sk.startswith("PAGE#"))
    return next(p.sk[len("PAGE#") :] for p in pages if p.users)


def _earlier_unsettled(c):
    models.Settlement(*models.Settlement.key("ada", "2026-10")).delete()
    models.Settlement(
        *models.Settlement.key("ada", "2026-11"), user_id="ada", month="2026-11", status="done"
    ).save()


# Each: what to break, the invariant the audit must name, a word its detail must hold.
PLANTED = {
    "a balance from nowhere": (
        lambda c: _update(models.User, models.User.key("ada"), models.User.funds.add(1)),
        {1, 2},
        "user:ada:funds",
    ),
    "a negative user balance": (
        lambda c: _update(models.User, models.User.key("cy"), models.User.funds.set(-5)),
        {3},
        "user:cy:funds shard 0 is -5",
    ),
    "a debt above zero": (
        lambda c: _update(models.User, models.User.key("bob"), models.User.debt.set(7)),
        {10},
        "debt:bob is 7",
    ),
    "a wrong fee on the record": (
        lambda c: _update(
            models.Settlement, models.Settlement.key("ada", "2026-10"), models.Settlement.fee_bps.set(2000)
        ),
        {5},
        "ada 2026-10: fee",
    ),
    "a record's share that went to another thing": (_moved_cent, {5}, "ada 2026-10: shares"),
    "a card that counts a flattr it does not hold": (
        lambda c: _update(cards.Card, cards.Card.key("ada", "2026-10"), cards.Card.n.add(1)),
        {6},
        "ada 2026-10: card says 4, holds 3",
    ),
    "a fold step its records do not explain": (
        lambda c: models.Marker(*models.Page.fold_key("2026-10", _first_page(), "CHUNK#099")).save(),
        {4},
        "fold step CHUNK#099",
    ),
    "a month's progress off by a settled user": (
        lambda c: _update(
            models.MonthProgress,
            models.MonthProgress.key("2026-10", 0),
            models.MonthProgress.users_settled.add(1),
            models.MonthProgress.users_total.add(1),
        ),
        {4},
        "month 2026-10: progress shows",
    ),
    "a counter that counted a click twice": (
        lambda c: _update(
            models.ThingCount, models.ThingCount.key(c["bob2"]), models.ThingCount.total.add(1)
        ),
        {6},
        "counter says",
    ),
    "a statement that shows more than was paid": (
        lambda c: _update(
            models.Received,
            models.Received.key(c["cy1"], 0, "2026-10"),
            models.Received.amount.add(1),
            models.Received.flattrs.add(0),
        ),
        {6},
        "statements say",
    ),
    "a zero-cent transfer": (
        lambda c: models.TransferItem(
            *models.TransferItem.key("zero"),
            transfer_id="zero",
            debit="world:payments",
            debit_shard=0,
            credit="user:ada:funds",
            credit_shard=0,
            amount=0,
            kind="deposit",
            at="2026-10-11",
        ).save(),
        {9},
        "transfer zero is zero cents",
    ),
    "a folded count above its counters": (
        lambda c: _update(models.Thing, models.Thing.key(c["cy1"]), models.Thing.rank_total.set(99)),
        {6},
        "folded 99 flattrs",
    ),
    "a settled month before an unsettled one": (
        _earlier_unsettled,
        {8},
        "ada: 2026-11 took money while 2026-10 is unsettled",
    ),
}


@pytest.mark.parametrize("name", PLANTED)
def test_the_audit_finds_each_planted_violation(closed, name):
    assert audit.run_audit() == []
    plant, invariants, words = PLANTED[name]
    plant(closed)
    found = audit.run_audit()
    assert invariants <= {v.invariant for v in found}, found
    assert any(words in v.detail for v in found if v.invariant in invariants), found


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of a few items and a combiner of a few keys: every page ends inside a partition,
    and every page writes its sums in several parts."""
    monkeypatch.setattr(audit, "PAGE", 3)
    monkeypatch.setattr(audit, "REDUCE_PAGE", 4)
    monkeypatch.setattr(audit, "MAX_KEYS", 5)
    peaks: list[int] = []
    original = audit.Facts

    class Watched(original):
        def take(self):
            peaks.append(self.peak)
            return super().take()

    monkeypatch.setattr(audit, "Facts", Watched)
    return peaks


def _sums(run: str) -> dict[str, dict[str, int]]:
    out = {}
    for bucket in audit.buckets_of(4):
        out.update(dict(scratch.all_keys(run, bucket)))
    return out


def _run_and_sums(deliver) -> tuple[list, dict]:
    runs = []
    original = scratch.new_run

    def remember(*a):
        runs.append(original(*a))
        return runs[-1]

    scratch.new_run = remember
    try:
        found = audit.run_audit(segments=2, buckets=4, deliver=deliver)
    finally:
        scratch.new_run = original
    return found, _sums(runs[0])


class Crash(Exception):
    pass


def test_a_redelivered_map_job_adds_nothing_twice(closed, small_pages, monkeypatch):
    once, sums_once = _run_and_sums(None)
    assert once == []
    advance = scratch.advance
    crashes = []

    def crash_before_done(run, segment, page):
        crashes.append(page)
        raise Crash  # the job wrote its sums and sent the next page, then died

    def redelivered(job, queue):
        """Each map job dies once after writing its sums; each job then comes again, twice."""
        if job["kind"] == "audit_map":
            monkeypatch.setattr(scratch, "advance", crash_before_done)
            try:  # (a twin of a page already done is skipped, and does not get this far)
                audit.handle(job, queue)
            except Crash:
                pass
            monkeypatch.setattr(scratch, "advance", advance)
        audit.handle(job, queue)
        audit.handle(job, queue)

    again, sums_twice = _run_and_sums(redelivered)
    assert len(crashes) > 10
    assert again == []
    assert sums_twice == sums_once
    assert sums_once["total"] == {"balances": 0}
    assert sum(c.get("flattrs", 0) for k, c in sums_once.items() if k.startswith("thing|")) == 4


def test_memory_is_bounded_by_the_page_not_the_table(api, at, close, small_pages, monkeypatch):
    at("2026-10-10T09:00:00")
    api.giver("owner", budget=200, funds=200)
    things = [api.thing("owner") for _ in range(4)]
    for i in range(12):
        api.giver(f"fan{i}", budget=500, funds=1000)
        for t in things[: 1 + i % 4]:
            assert api.flattr(f"fan{i}", t)[0] == 201
    close("2026-10", now="2026-11-01T00:10:00")
    assert audit.run_audit(segments=2, buckets=4) == []
    assert small_pages and max(small_pages) <= 5  # MAX_KEYS, whatever the number of items
    models.User(*models.User.key("fan3")).update(actions=[models.User.funds.add(-1)])
    assert {v.invariant for v in audit.run_audit(segments=2, buckets=4)} == {1, 2}


def test_the_scheduled_run_goes_through_the_queue_and_publishes_once(closed, poller, capsys):
    _update(models.User, models.User.key("ada"), models.User.funds.add(1))
    capsys.readouterr()
    by_id = {f.logical_id: f for f in stack.functions()}
    started = runtime.invoke(by_id["AuditFunction"], {})
    assert poller.drain()["dead_lettered"] == 0
    published = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"AuditViolations"' in line and '"_aws"' in line
    ]
    assert [p["AuditViolations"] for p in published] == [[2.0]], published
    record = scratch.run_record(started["run"])
    assert record["finished"] and record["maps_done"] == record["segments"]


def test_the_things_fold_cursor_is_not_taken_for_a_settlement_fold(closed):
    from flattr.store import aggregates

    aggregates.fold_some(limit=1)  # leaves its cursor item, FOLD / CURSOR, where the stack has run
    assert models.Marker.get(*aggregates.CURSOR)
    assert audit.run_audit() == []
