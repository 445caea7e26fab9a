"""The page fold's plan: every transaction moves out of clearing exactly what it credits, fits one
TransactWriteItems, and the chunks together credit exactly what the records say."""

from collections import defaultdict

from flattr.domain import accounts
from flattr.store import fold
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


def record(i: int, shares, fee: int, charity: int) -> Settlement:
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
        page="3.1",
    )


@settings(max_examples=60, deadline=None)
@given(users=st.lists(user, max_size=40))
def test_each_chunk_balances_fits_a_transaction_and_all_of_them_credit_the_records(users):
    records = [record(i, *u) for i, u in enumerate(users)]
    chunks = fold.plan(MONTH, "3.1", records, len(records))
    assert [c.name for c in chunks][-1] == fold.DONE
    credited: dict[str, int] = defaultdict(int)
    received: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for chunk in chunks:
        assert sum(chunk.money.values()) == 0  # conservation inside every transaction
        items = 1 + len(chunk.money) + len(chunk.received) + (chunk.progress is not None)
        assert items <= MAX_ITEMS
        assert all(v != 0 for v in chunk.money.values())  # no zero-cent movement
        for (account, _), delta in chunk.money.items():
            credited[account] += delta
        for (thing, _), (n, cents) in chunk.received.items():
            received[thing][0] += n
            received[thing][1] += cents
    expected: dict[str, int] = defaultdict(int)
    for r in records:
        expected[accounts.clearing(MONTH)] -= int(r.charged)
        expected[accounts.FEES] += int(r.fee)
        expected[accounts.CHARITY] += int(r.charity)
        for s in fold.decode(r.shares):
            expected[accounts.revenue(s.owner_id)] += s.cents
    assert {k: v for k, v in credited.items() if v} == {k: v for k, v in expected.items() if v}
    paid: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        for s in fold.decode(r.shares):
            paid[s.thing_id][0] += 1
            paid[s.thing_id][1] += s.cents
    assert dict(received) == dict(paid)
    assert chunks[-1].progress["charged"] == sum(int(r.charged) for r in records)
    # Deterministic: the audit recomputes the same chunks from the same records, in any order.
    again = fold.plan(MONTH, "3.1", list(reversed(records)), len(records))
    assert [(c.name, c.money, c.received, c.progress) for c in again] == [
        (c.name, c.money, c.received, c.progress) for c in chunks
    ]
