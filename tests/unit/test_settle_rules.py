"""Rules bound at settlement: what the giver pays, and shares of owners who do not give."""

from flattr.domain.money import bind_owners, fee_for, payable, plan_month, split
from hypothesis import given
from hypothesis import strategies as st

things = st.lists(st.integers(1, 10**9).map(str), min_size=0, max_size=40, unique=True)


@given(
    budget=st.integers(0, 100_000),
    funds=st.integers(0, 100_000),
    debt=st.integers(-5_000, 0),
    flattred=things,
    owners_seed=st.integers(0, 2**32),
    fee_bps=st.integers(0, 3000),
    policy=st.sampled_from(["charity", "carry", "dormant6"]),
)
def test_binding_owners_moves_shares_to_charity_and_loses_no_cent(
    budget, funds, debt, flattred, owners_seed, fee_bps, policy
):
    owners = {t: f"o{(int(t) * 7919 + owners_seed) % 5}" for t in flattred}
    giving = {f"o{i}" for i in range(5) if (owners_seed >> i) & 1}
    plan = plan_month(
        budget=budget,
        funds=payable(funds, debt),
        things=sorted(flattred),
        fee_bps=fee_bps,
        policy=policy,
        idle_months=0,
        salt="s",
    )
    bound = bind_owners(plan, owners, giving)
    assert bound.charged == plan.charged  # what the giver pays does not depend on the owners
    assert bound.charged <= (funds if debt >= 0 else 0)
    assert bound.charged == bound.fee + bound.distributed + bound.charity  # conservation
    assert {**bound.shares, **bound.redirected} == plan.shares  # the split itself is unchanged
    assert all(owners[t] in giving for t in bound.shares)
    assert all(owners[t] not in giving for t in bound.redirected)
    assert bound.charity == plan.charity + sum(bound.redirected.values())
    if flattred:
        assert bound.fee == fee_for(bound.charged, fee_bps)
        assert plan.shares == split(bound.charged - bound.fee, sorted(flattred), salt="s")


@given(budget=st.integers(0, 10_000), funds=st.integers(0, 10_000), debt=st.integers(-10_000, -1))
def test_a_giver_who_owes_pays_nothing(budget, funds, debt):
    plan = plan_month(
        budget=budget,
        funds=payable(funds, debt),
        things=["1", "2"],
        fee_bps=1000,
        policy="charity",
        idle_months=0,
        salt="",
    )
    assert plan.charged == plan.fee == plan.distributed == 0 and plan.shares == {}


def test_a_giver_pays_at_most_their_funds_and_budget():
    for budget, funds, charged in ((1000, 300, 300), (300, 1000, 300), (0, 500, 0), (500, 0, 0)):
        plan = plan_month(
            budget=budget,
            funds=payable(funds, 0),
            things=["1"],
            fee_bps=1000,
            policy="charity",
            idle_months=0,
            salt="",
        )
        assert plan.charged == charged
