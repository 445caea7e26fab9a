"""The click: every rule, every error code, and races."""

import threading

import pytest


@pytest.fixture
def world(api, at):
    at("2026-10-15T12:00:00")
    api.giver("ada")  # a reader who gives
    api.giver("bob")  # a creator who gives too
    return {"thing": api.thing("bob")}


def test_first_click_is_201_and_a_repeat_is_200(api, world):
    status, body = api.flattr("ada", world["thing"])
    assert (status, body) == (201, {"thing_id": world["thing"], "month": "2026-10", "status": "flattred"})
    status, body = api.flattr("ada", world["thing"])
    assert (status, body["status"]) == (200, "already_flattred")
    thing = api.get(f"/things/{world['thing']}", user="ada")[1]
    assert (thing["flattrs"], thing["flattrs_month"], thing["flattred"]) == (1, 1, True)
    assert api.me("ada")["flattrs_this_month"] == 1


def test_the_same_thing_can_be_flattred_again_next_month(api, world, at):
    api.flattr("ada", world["thing"])
    at("2026-11-02T00:00:00")
    assert api.flattr("ada", world["thing"])[0] == 201
    thing = api.get(f"/things/{world['thing']}")[1]
    assert (thing["flattrs"], thing["flattrs_month"]) == (2, 1)


def test_you_cannot_flattr_your_own_thing(api, world):
    status, body = api.flattr("bob", world["thing"])
    assert (status, body["error"]["code"]) == (403, "flattr_owner")


def test_no_account_no_budget_or_no_funds_is_no_means(api, world):
    assert api.flattr("stranger", world["thing"])[1]["error"]["code"] == "no_means"
    api.put("/me", {"display_name": "Nobudget"}, user="nobudget")
    api.deposit("nobudget", 1000)
    assert api.flattr("nobudget", world["thing"])[1]["error"]["code"] == "no_means"
    api.giver("nofunds", funds=0)
    status, body = api.flattr("nofunds", world["thing"])
    assert (status, body["error"]["code"]) == (402, "no_means")
    assert api.get(f"/things/{world['thing']}")[1]["flattrs"] == 0


def test_give_to_get_refuses_a_thing_whose_owner_does_not_give(api, world):
    lurker_thing = api.thing("lurker")  # lurker never set a budget
    status, body = api.flattr("ada", lurker_thing)
    assert (status, body["error"]["code"]) == (409, "owner_not_participating")


def test_give_to_get_off_lets_anyone_receive(api, world, monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_GIVE_TO_GET", "false")
    settings.get.cache_clear()
    assert api.flattr("ada", api.thing("lurker"))[0] == 201


def test_a_click_after_the_users_month_is_settled_is_month_closed(api, world):
    from flattr.settings import Policy
    from flattr.store import settlement

    settlement.settle_user("ada", "2026-10", Policy(fee_bps=1000, unspent="charity"))
    other = api.thing("bob")
    status, body = api.flattr("ada", other)
    assert (status, body["error"]["code"]) == (409, "month_closed")
    assert api.get(f"/things/{other}")[1]["flattrs"] == 0


def test_clicking_needs_a_token(api, world):
    status, body = api.post(f"/things/{world['thing']}/flattr")
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def _race(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


def test_fifty_racing_repeats_count_once(api, world):
    statuses = _race(50, lambda i: api.flattr("ada", world["thing"])[0])
    assert sorted(statuses) == [200] * 49 + [201]
    assert api.get(f"/things/{world['thing']}")[1]["flattrs"] == 1


def test_many_users_racing_on_one_thing_each_count(api, world):
    users = [f"fan{i}" for i in range(30)]
    for u in users:
        api.giver(u, funds=500)
    statuses = _race(len(users), lambda i: api.flattr(users[i], world["thing"])[0])
    assert statuses == [201] * len(users)
    thing = api.get(f"/things/{world['thing']}")[1]
    assert thing["flattrs"] == thing["flattrs_month"] == len(users)


def test_a_warm_click_is_one_update_of_the_card(api, world, monkeypatch):
    from flattr.store import clicks, models

    monkeypatch.setattr(clicks, "PEOPLE_TTL", 300.0)  # as deployed
    calls = []
    client = models.connection().client
    client.meta.events.register("before-call.dynamodb", lambda model, **kw: calls.append(model.name))
    try:
        # A cold container reads the thing and the two people once, then writes the card.
        assert clicks.flattr("ada", str(world["thing"])).created
        assert calls == ["GetItem", "BatchGetItem", "UpdateItem"]
        second = str(api.thing("bob"))
        clicks._owner_of(second)  # a container that has shown this thing's button before
        calls.clear()
        # A warm one knows the thing, the giver and the owner: the click is one request.
        assert clicks.flattr("ada", second).created
        assert calls == ["UpdateItem"]
        assert not clicks.flattr("ada", second).created  # a repeat: the card's condition says so
        assert calls == ["UpdateItem", "UpdateItem"]
    finally:
        client.meta.events.unregister("before-call.dynamodb")


def test_a_click_of_a_giver_refused_on_a_cached_verdict_is_read_again(api, world):
    """A negative verdict is never cached: the deposit that follows counts at the next click."""
    api.put("/me", {"display_name": "Dee", "monthly_budget": 500}, user="dee")
    assert api.flattr("dee", world["thing"])[1]["error"]["code"] == "no_means"
    api.deposit("dee", 1000)
    assert api.flattr("dee", world["thing"])[0] == 201


def test_racing_clicks_in_the_store_count_each_user_once(api, world):
    """The gateway runs one invocation per function at a time, like one Lambda environment; here
    the click's transaction itself races, as it does across many environments on AWS."""
    from flattr.store import clicks

    users = [f"racer{i}" for i in range(10)]
    for u in users:
        api.giver(u, funds=500)
    results = _race(40, lambda i: clicks.flattr(users[i % 10], str(world["thing"])).created)
    assert sum(results) == 10
    thing = api.get(f"/things/{world['thing']}")[1]
    assert thing["flattrs"] == thing["flattrs_month"] == 10


def test_a_click_accepted_on_a_cached_verdict_is_bound_at_settlement(
    api, world, at, close, audit, monkeypatch
):
    """Funds and budget may be stale in the container's cache (DESIGN.md, "Scale"): a click it
    accepts after the giver's money went back is paid from what settlement finds, min(budget,
    funds), so it cannot spend money that is not there."""
    from flattr.store import clicks

    from tests import stripe_shapes as s

    def stripe(evt: dict) -> int:
        body, headers = s.body_and_headers(evt)
        return api.call("POST", "/webhooks/stripe", raw=body, headers=headers)[0]

    monkeypatch.setattr(clicks, "PEOPLE_TTL", 300.0)  # one warm container, as deployed
    api.put("/me", {"display_name": "Eve", "monthly_budget": 1000}, user="eve")
    assert stripe(s.payment_succeeded("pi_eve", "eve", 1500)) == 200
    assert api.flattr("eve", world["thing"])[0] == 201  # the verdict "gives" is cached now
    assert stripe(s.charge_refunded("pi_eve", 1500, 1500)) == 200  # her funds are gone
    other = api.thing("bob")
    assert api.flattr("eve", other)[0] == 201  # accepted early, from the cache
    close("2026-10", now="2026-11-01T00:10:00")
    statement = api.get("/me/statements/2026-10", user="eve")[1]
    assert (statement["charged"], statement["given"]) == (0, [])  # nothing there, nothing given
    assert api.me("bob")["balances"]["revenue"] == 0
    clicks.clear()  # a fresh container reads her again, and refuses early
    at("2026-11-05T00:00:00")
    assert api.flattr("eve", other)[1]["error"]["code"] == "no_means"
    audit()


def test_the_clicks_read_of_people_is_what_their_items_say(aws):
    """Hypothesis: the click's own projection of a user's item (no model) judges from the same
    budget, funds, debt and sealed month as the user's model, and a user with no item is nobody."""
    from flattr.store import clicks, users
    from flattr.store.models import User
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    runs = iter(range(10_000))
    cents = st.integers(-(10**12), 10**12)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        budget=st.none() | cents,
        funds=st.none() | cents,
        debt=st.none() | cents,
        closed=st.none() | st.sampled_from(["2026-09", "2026-10", "2027-01"]),
    )
    def check(budget, funds, debt, closed):
        user = f"p{next(runs)}"
        item = User(*User.key(user), uid=user, created_month="2026-10", closed_through=closed, debt=debt)
        item.save()
        # A model saves its defaults (0): set each number, or take it away, after.
        fields = ((User.budget, budget), (User.funds, funds))
        item.update(actions=[a.remove() if v is None else a.set(v) for a, v in fields])
        read = clicks._read_people([user, f"nobody-{user}"])
        assert read == {user: clicks._person(users.get(user)), f"nobody-{user}": None}

    check()
