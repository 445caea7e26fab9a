"""The stream tally: things' counters from the month cards, exactly once however the stream is
delivered (a batch twice, a crash between chunks, a retry from the reported failure)."""

from __future__ import annotations

import pytest
from flattr.store import audit, cards, clicks, settlement, tally, things
from flattr.store.models import ThingCount


@pytest.fixture
def world(api, at, stream):
    """Three givers clicked two of bob's things; the stream holds their card records, undelivered."""
    at("2026-10-15T12:00:00")
    for u in ("ada", "cy", "dee", "bob"):
        api.giver(u)
    a, b = str(api.thing("bob")), str(api.thing("bob"))
    stream.drain()
    before = stream.mappings[0].next_seq
    for u in ("ada", "cy", "dee"):
        clicks.flattr(u, a)
    clicks.flattr("ada", b)
    clicks.flattr("ada", b)  # a repeat: no record
    records = [r for r in _records(stream, before) if tally.flattrs_in(r)]
    assert len(records) == 4
    return {"a": a, "b": b, "records": records}


def _records(stream, start: int) -> list[dict]:
    from local.streams import _plain

    m = stream.mappings[0]
    it = stream.streams.get_shard_iterator(
        StreamArn=m.stream_arn,
        ShardId=m.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=str(start),
    )["ShardIterator"]
    out = [_plain(r) for r in stream.streams.get_records(ShardIterator=it, Limit=1000)["Records"]]
    m.next_seq = int(out[-1]["dynamodb"]["SequenceNumber"]) + 1  # the poller must not deliver them too
    return out


def _counts(world) -> tuple[int, int]:
    got = things.counts_many([world["a"], world["b"]])
    return got[world["a"]].total, got[world["b"]].total


def test_a_batch_delivered_twice_counts_once(world):
    assert tally.apply(world["records"]) is None
    assert tally.apply(world["records"]) is None
    assert _counts(world) == (3, 1)
    fans = things.latest_fans(world["a"])
    assert sorted(u for u, _ in fans) == ["ada", "cy", "dee"]
    assert audit.check_counters(_entries(), _counters(), lag=0) == []


def test_a_crash_between_chunks_is_retried_from_the_reported_chunk(world, monkeypatch):
    monkeypatch.setattr(tally, "CHUNK_THINGS", 1)  # a chunk per thing: [a, a, a], [b]
    assert [end - start for start, end in tally.chunks(world["records"])] == [3, 1]
    real, calls = tally.apply_chunk, []

    def crash_on_second(records):
        calls.append(records)
        if len(calls) == 2:
            raise RuntimeError("the tally died")
        return real(records)

    monkeypatch.setattr(tally, "apply_chunk", crash_on_second)
    failed = tally.apply(world["records"])
    assert failed == world["records"][3]["dynamodb"]["SequenceNumber"]  # the second chunk's first record
    assert _counts(world) == (3, 0)
    # Lambda retries from the reported record, or (a crash of the whole invocation) the whole batch.
    assert tally.apply(world["records"][3:]) is None
    assert tally.apply(world["records"]) is None
    assert _counts(world) == (3, 1)


def test_a_crash_after_a_chunk_committed_skips_it_on_the_retry(world, monkeypatch):
    real = tally.apply_chunk

    def commit_then_crash(records):
        real(records)
        raise RuntimeError("died before answering")

    monkeypatch.setattr(tally, "apply_chunk", commit_then_crash)
    assert tally.apply(world["records"]) is not None
    monkeypatch.setattr(tally, "apply_chunk", real)
    assert tally.apply(world["records"]) is None
    assert _counts(world) == (3, 1)


def test_a_retry_chunked_differently_applies_only_what_its_markers_do_not_cover(world, monkeypatch):
    assert tally.apply(world["records"][:2]) is None  # the batch, when only two records were there
    assert tally.apply(world["records"]) is None  # delivered again, longer: one chunk, ending later
    assert _counts(world) == (3, 1)


def test_a_crash_between_the_parts_of_a_chunk_finishes_the_chunk_on_the_retry(world, monkeypatch):
    monkeypatch.setattr(tally, "MAX_THINGS", 1)  # one chunk of two parts: [a], [b]
    real, calls = tally._apply_part, []

    def crash_on_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the tally died")
        return real(*args)

    monkeypatch.setattr(tally, "_apply_part", crash_on_second)
    assert tally.apply(world["records"]) == world["records"][0]["dynamodb"]["SequenceNumber"]
    assert _counts(world) in ((3, 0), (0, 1))
    monkeypatch.setattr(tally, "_apply_part", real)
    assert tally.apply(world["records"]) is None
    assert _counts(world) == (3, 1)


def test_a_longer_retry_of_a_half_applied_chunk_finishes_it_first(world, monkeypatch):
    """The first delivery (three records) chunked into parts [a], [b]... it held only a's records;
    a longer retry chunks [a], [b] differently: the first marker says where the old chunk ended."""
    monkeypatch.setattr(tally, "MAX_THINGS", 1)
    first = world["records"][:2]  # a, a
    assert tally.apply(first) is None
    assert tally.apply(world["records"]) is None
    assert tally.apply(world["records"]) is None
    assert _counts(world) == (3, 1)


def test_notices_that_could_not_be_queued_are_queued_again_and_never_counted_twice(world, monkeypatch):
    from flattr.notify import events

    def sqs_down(jobs, delay=0):
        raise RuntimeError("SQS refused")

    monkeypatch.setattr(events, "send", sqs_down)
    failed = tally.apply(world["records"], events.flattrs_received)
    assert failed == world["records"][0]["dynamodb"]["SequenceNumber"]  # reported: Lambda retries it
    assert _counts(world) == (3, 1)  # counted before the notices were handed on
    sent: list[dict] = []
    monkeypatch.setattr(events, "send", lambda jobs, delay=0: sent.extend(jobs))
    assert tally.apply(world["records"], events.flattrs_received) is None
    assert _counts(world) == (3, 1)
    (job,) = sent
    assert job["kind"] == "received" and list(job["owners"]) == ["bob"]
    told = sorted((giver, thing) for giver, thing, _ in job["owners"]["bob"])
    assert told == sorted([("ada", world["a"]), ("cy", world["a"]), ("dee", world["a"]), ("ada", world["b"])])


def test_a_retry_chunked_differently_hands_on_every_flattr_of_the_batch(world):
    handed: list[tuple[str, str]] = []

    def keep(flattrs):
        handed.extend((f.user_id, f.thing_id) for f in flattrs)

    assert tally.apply(world["records"][:2], keep) is None  # the batch, when two records were there
    assert tally.apply(world["records"], keep) is None  # again, longer: the old chunk, then the rest
    assert sorted(set(handed)) == sorted(
        [("ada", world["a"]), ("cy", world["a"]), ("dee", world["a"]), ("ada", world["b"])]
    )
    assert _counts(world) == (3, 1)


def test_a_counter_changed_by_another_tally_is_read_again(world, monkeypatch):
    """Two stream shards' tallies on one thing: the version condition makes the loser re-read."""
    real, raced = ThingCount.batch_get, []

    def stale_then_fresh(keys, **kw):
        got = list(real(keys, **kw))
        if not raced:
            raced.append(True)
            tally.apply_chunk(world["records"][:1])  # the other tally lands meanwhile
        return got

    monkeypatch.setattr(ThingCount, "batch_get", stale_then_fresh)
    assert tally.apply(world["records"][1:]) is None
    assert _counts(world) == (3, 1)


def test_the_audit_sees_a_counter_that_counted_twice_or_fell_behind(world, at):
    assert tally.apply(world["records"]) is None
    ThingCount(*ThingCount.key(world["b"]), total=2, months={"2026-10": 2}).save()
    found = audit.check_counters(_entries(), _counters(), lag=0)
    assert [v.invariant for v in found] == [6, 6] and "counter says 2" in str(found[0])
    ThingCount(*ThingCount.key(world["b"]), total=0, months={}).save()
    assert audit.check_counters(_entries(), _counters(), lag=0) != []
    assert audit.check_counters(_entries(), _counters(), lag=3600) == []  # within the stream's delay


def test_a_cancelled_transaction_leaves_no_stream_record(api, at, stream):
    """moto applies a transaction's items one by one: a refused first flattr must not be counted."""
    at("2026-10-15T12:00:00")
    api.giver("bob")
    api.put("/me", {"display_name": "Poor", "monthly_budget": 500}, user="poor")
    stream.drain()
    before = stream.mappings[0].next_seq
    with pytest.raises(Exception):
        clicks.first_flattr("poor", "bob", {"url": "https://bob.example/auto", "title": "Made by a click"})
    assert [
        r
        for r in stream.streams.get_records(
            ShardIterator=stream.streams.get_shard_iterator(
                StreamArn=stream.mappings[0].stream_arn,
                ShardId=stream.mappings[0].shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=str(before),
            )["ShardIterator"]
        )["Records"]
    ] == []


def test_a_click_racing_the_seal_is_refused_or_sealed(world):
    """The seal and the click write one item: a click after the seal is month_closed, and one
    acknowledged before it is in what the seal returns (what settlement pays)."""
    sealed = settlement._freeze("cy", "2026-10")
    assert world["a"] in sealed and world["b"] not in sealed
    from flattr.domain.errors import MonthClosed

    with pytest.raises(MonthClosed):
        clicks.flattr("cy", world["b"])
    assert settlement._freeze("cy", "2026-10") == sealed  # idempotent
    assert cards.read("cy", "2026-10").n == 1


def _entries():
    out = []
    for u in ("ada", "cy", "dee"):
        out += cards.read(u, "2026-10").flattrs.values()
    return out


def _counters():
    return {c.pk.split("#", 1)[1]: c for c in ThingCount.scan(ThingCount.sk == "COUNT")}


def test_the_event_source_filter_keeps_only_the_cards_changes(stream):
    """The template's FilterCriteria, as the local stream poller applies them (and Lambda does)."""
    from local.streams import matches

    pattern = stream.mappings[0].pattern

    def record(sk: str, name: str = "MODIFY") -> dict:
        return {"eventName": name, "dynamodb": {"Keys": {"pk": {"S": "USER#ada"}, "sk": {"S": sk}}}}

    assert matches(pattern, record("CARD#2026-10"))
    assert matches(pattern, record("CARD#2026-10", "INSERT"))
    assert not matches(pattern, record("CARD#2026-10", "REMOVE"))
    assert not matches(pattern, record("USER"))
    assert not matches(pattern, record("SETTLE#2026-10"))
