"""The page fold's plan: it moves out of the records' transit exactly what they charged, each
transaction fits one TransactWriteItems, and the entries and credits are exactly what the records
say, whichever order the records come in."""

from collections import defaultdict

from flattr.domain import accounts
from flattr.store import credits, fold
from flattr.store.models import Settlement
from flattr.store.tx import MAX_ITEMS
from hypothesis import given, settings
from hypothesis import strategies as st

MONTH = "2030-03"

share = st.tuples(st.integers(1, 400), st.integers(0, 30), st.integers(1, 5_000))  # thing, owner, cents
user = st.tuples(
    st.lists(share, max_size=30, unique_by=lambda s: s[0]),
    st.integers(0, 5_000),  # fee
    st.integers(0, 5_000),  # charity
)


def record(i: int, shares, fee: int, charity: int, page: str = "3.1") -> Settlement:
    entries = [fold.encode(str(t), f"o{o}", c) for t, o, c in shares]
    distributed = sum(c for _, _, c in shares)
    return Settlement(
        *Settlement.key(f"u{i}", MONTH),
        user_id=f"u{i}",
        month=MONTH,
        status="done",
        charged=fee + distributed + charity,
        fee=fee,
        charity=charity,
        distributed=distributed,
        shares=entries,
        page=page,
    )


def _paid(records) -> tuple[dict, dict]:
    """What the records pay: by account, and by thing (flattrs, cents)."""
    expected: dict[str, int] = defaultdict(int)
    things: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        expected[accounts.FEES] += int(r.fee)
        expected[accounts.CHARITY] += int(r.charity)
        for s in fold.decode(r.shares):
            expected[accounts.revenue(s.owner_id)] += s.cents
            things[s.thing_id][0] += 1
            things[s.thing_id][1] += s.cents
    return {k: v for k, v in expected.items() if v}, dict(things)


def _check(chunks, records):
    assert [c.name for c in chunks][-1] == fold.DONE
    for chunk in chunks:
        items = 1 + len(chunk.money) + len(chunk.received) + (chunk.progress is not None)
        assert items <= MAX_ITEMS
        assert all(v > 0 for v in chunk.money.values())  # no zero-cent movement, nothing taken back
    # Everything out of transit: what the records charged, no cent more or less.
    assert sum(sum(c.money.values()) for c in chunks) == sum(int(r.charged) for r in records)
    assert chunks[-1].progress["charged"] == sum(int(r.charged) for r in records)


@settings(max_examples=60, deadline=None)
@given(users=st.lists(user, max_size=40))
def test_a_page_moves_its_shares_to_clearing_and_writes_each_creator_one_entry(users):
    records = [record(i, *u) for i, u in enumerate(users)]
    plan = fold.plan(MONTH, "3.1", records, len(records), parts=4)
    _check(plan.chunks, records)
    assert len(plan.chunks) == 1  # one transaction, whatever the page holds
    expected, things = _paid(records)
    moved: dict[str, int] = defaultdict(int)
    for (account, shard), delta in plan.chunks[0].money.items():
        moved[account] += delta
    shares = sum(v for k, v in expected.items() if k.startswith("user:"))
    assert moved.pop(accounts.clearing(MONTH), 0) == shares
    assert {k: v for k, v in moved.items()} == {
        k: v for k, v in expected.items() if k.startswith("platform:")
    }
    # Each creator's entry is what the page's records paid them, in the clearing shard of their part.
    assert {accounts.revenue(o): e.cents for o, e in plan.entries.items()} == {
        k: v for k, v in expected.items() if k.startswith("user:")
    }
    by_part: dict[int, int] = defaultdict(int)
    for owner, e in plan.entries.items():
        by_part[credits.part_of(owner, 4)] += e.cents
    assert {
        shard: v for (account, shard), v in plan.chunks[0].money.items() if account.startswith("clearing")
    } == {p: v for p, v in by_part.items() if v}
    got = defaultdict(lambda: [0, 0])
    for e in plan.entries.values():
        for t, (n, c) in e.things.items():
            got[t][0] += n
            got[t][1] += c
    assert dict(got) == things
    again = fold.plan(MONTH, "3.1", list(reversed(records)), len(records), parts=4)
    assert [(c.name, c.money, c.progress) for c in again.chunks] == [
        (c.name, c.money, c.progress) for c in plan.chunks
    ]
    assert {o: (e.cents, dict(e.things), e.givers) for o, e in again.entries.items()} == {
        o: (e.cents, dict(e.things), e.givers) for o, e in plan.entries.items()
    }


@settings(max_examples=40, deadline=None)
@given(users=st.lists(user, max_size=20))
def test_an_entry_as_written_holds_its_cents_as_the_sum_of_its_things(users):
    """The creators' fold reads an entry's things and takes its cents as their sum."""
    records = [record(i, *u) for i, u in enumerate(users)]
    for owner, e in fold.plan(MONTH, "3.1", records, len(records), parts=2).entries.items():
        item = credits.entry_item(MONTH, owner, "3.1", 2, e.cents, credits.entry_things(e.things), [])
        things = list(credits.parse_things(t["S"] for t in item["things"]["L"]))
        assert int(item["cents"]["N"]) == sum(c for _, _, c in things) > 0


@settings(max_examples=40, deadline=None)
@given(u=user)
def test_a_solo_page_credits_owners_directly_in_transactions_that_fit(u):
    records = [record(0, *u, page=fold.solo("u0"))]
    plan = fold.plan(MONTH, fold.solo("u0"), records, 1)
    assert plan.entries == {}
    _check(plan.chunks, records)
    credited: dict[str, int] = defaultdict(int)
    received: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for chunk in plan.chunks:
        for (account, _), delta in chunk.money.items():
            credited[account] += delta
        for (thing, shard), (n, cents) in chunk.received.items():
            assert shard != credits.RECEIVED_SHARD  # the creators' fold writes that one whole
            received[thing][0] += n
            received[thing][1] += cents
    expected, things = _paid(records)
    assert dict(credited) == expected
    assert dict(received) == things


def test_a_close_takes_parts_by_its_size():
    from flattr.store.credit_models import parts_for

    assert [parts_for(n) for n in (0, 1, 150_000, 150_001, 10_000_000, 10**9)] == [1, 1, 1, 2, 64, 64]
