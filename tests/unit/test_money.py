"""The split and the month's plan: exact to the cent, whatever the inputs."""

from flattr.domain.money import fee_for, plan_month, split
from hypothesis import given
from hypothesis import strategies as st

keys = st.lists(st.integers(1, 2**53 - 1).map(str), min_size=1, max_size=300, unique=True)
cents = st.integers(0, 10_000_000)


@given(net=cents, things=keys, salt=st.text(max_size=20))
def test_shares_sum_exactly_and_differ_by_at_most_a_cent(net, things, salt):
    shares = split(net, things, salt=salt)
    assert set(shares) <= set(things)
    assert sum(shares.values()) == net
    base = net // len(things)
    assert all(v in (base, base + 1) for v in shares.values())


@given(net=st.integers(0, 2_000), things=keys, salt=st.text(max_size=20))
def test_no_share_is_zero_and_there_are_never_more_shares_than_cents(net, things, salt):
    """Work bounded by money: each share paid is at least a cent, so at most `net` things are paid;
    every thing is paid when the cents go round."""
    shares = split(net, things, salt=salt)
    assert all(v >= 1 for v in shares.values())
    assert len(shares) == min(net, len(things))
    assert sum(shares.values()) == net


@given(net=st.integers(0, 300), things=keys)
def test_who_gets_the_cents_is_decided_by_the_inputs_alone(net, things):
    assert split(net, things, salt="u:m") == split(net, list(reversed(things)), salt="u:m")


@given(net=cents, things=keys)
def test_the_split_is_deterministic_and_ignores_input_order(net, things):
    assert split(net, things, salt="u:m") == split(net, list(reversed(things)), salt="u:m")


def test_ten_things_on_ten_euros_get_one_euro_each():
    assert set(split(1000, [str(i) for i in range(10)]).values()) == {100}
    assert set(split(1000, ["a", "b"]).values()) == {500}


def test_leftover_cents_do_not_always_go_to_the_same_thing():
    winners = {
        max(split(1, ["a", "b", "c"], salt=f"user{i}").items(), key=lambda kv: kv[1])[0] for i in range(30)
    }
    assert winners == {"a", "b", "c"}


@given(charged=cents, bps=st.integers(0, 10_000))
def test_fee_is_floor_of_basis_points(charged, bps):
    assert fee_for(charged, bps) == (charged * bps) // 10_000
    assert 0 <= fee_for(charged, bps) <= charged


@given(budget=st.integers(200, 100_000), funds=cents, things=keys, bps=st.integers(0, 10_000))
def test_a_month_with_flattrs_charges_min_of_budget_and_funds(budget, funds, things, bps):
    plan = plan_month(
        budget=budget, funds=funds, things=things, fee_bps=bps, policy="charity", idle_months=0, salt="s"
    )
    assert plan.charged == min(budget, funds)
    assert plan.fee == fee_for(plan.charged, bps)
    assert plan.fee + plan.distributed + plan.charity == plan.charged
    assert plan.charity == 0


def test_clicking_more_never_costs_more():
    one = plan_month(
        budget=1000, funds=5000, things=["a"], fee_bps=1000, policy="charity", idle_months=0, salt=""
    )
    many = plan_month(
        budget=1000,
        funds=5000,
        things=list("abcdefghij"),
        fee_bps=1000,
        policy="charity",
        idle_months=0,
        salt="",
    )
    assert one.charged == many.charged == 1000


def test_unspent_policies():
    kw = dict(budget=1000, funds=5000, things=[], fee_bps=1000, salt="")
    charity = plan_month(policy="charity", idle_months=0, **kw)
    assert (charity.charged, charity.charity, charity.fee) == (1000, 1000, 0)
    carry = plan_month(policy="carry", idle_months=0, **kw)
    assert (carry.charged, carry.charity) == (0, 0)
    idle = plan_month(policy="dormant6", idle_months=4, **kw)
    assert (idle.charged, idle.idle_months) == (0, 5)
    sixth = plan_month(policy="dormant6", idle_months=5, **kw)
    assert (sixth.charged, sixth.charity, sixth.idle_months) == (5000, 5000, 0)
    active = plan_month(policy="dormant6", idle_months=5, **{**kw, "things": ["a"]})
    assert active.idle_months == 0
