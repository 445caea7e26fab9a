"""The money rules a hostile review broke: late clicks after a close, months out of order,
subscriptions that skipped the click's rules, and settlement work not bounded by money."""

from collections import Counter
from datetime import datetime, timezone

import pytest
from flattr.settings import Policy
from flattr.store import models
from flattr.store.audit import run_audit


@pytest.fixture
def october(api, at):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=200, funds=5000)
    thing = api.thing("bob")
    assert api.flattr("ada", thing)[0] == 201
    return thing


# ---------------------------------------------------------------- invariant 7: late clicks


def test_a_newcomer_after_the_close_began_cannot_flattr_the_closed_month(api, october, close, at, audit):
    assert close("2026-10", now="2026-11-01T00:10:00")["status"] == "closed"
    at("2026-10-20T00:00:00")  # a function whose clock still reads October
    api.giver("late", budget=500, funds=1000)
    status, body = api.flattr("late", october)
    assert (status, body["error"]["code"]) == (409, "month_closed")
    assert api.get(f"/things/{october}")[1]["flattrs"] == 1
    # Closing again: still ada and bob, and nothing left unpaid.
    assert close("2026-10", now="2026-11-02T00:00:00")["users_total"] == 2
    audit()
    at("2026-11-03T00:00:00")  # November is the late user's first month
    assert api.flattr("late", october)[0] == 201
    close("2026-11", now="2026-12-01T00:10:00")
    assert api.me("late")["balances"]["funds"] == 500
    audit()


@pytest.fixture
def lagging_index():
    """The users index is eventually consistent: make its scans miss the given users."""
    client = models.connection().client
    missed: set[str] = set()

    def drop(http_response, parsed, model, **kw):
        if parsed.get("Items"):
            parsed["Items"] = [i for i in parsed["Items"] if i.get("uid", {}).get("S") not in missed]

    client.meta.events.register("after-call.dynamodb.Scan", drop)
    yield missed
    client.meta.events.unregister("after-call.dynamodb.Scan", drop)


def test_the_audit_sees_an_unpaid_flattr_and_the_next_close_pays_it_first(
    api, october, close, at, lagging_index
):
    at("2026-10-31T23:59:00")
    api.giver("ghost", budget=400, funds=1000)
    assert api.flattr("ghost", october)[0] == 201
    lagging_index.add("ghost")
    assert close("2026-10", now="2026-11-01T00:10:00")["status"] == "closed"
    found = [v for v in run_audit() if v.invariant == 7]
    assert found and "ghost 2026-10" in found[0].detail

    lagging_index.clear()
    close("2026-11", now="2026-12-01T00:10:00")
    # October is settled before November takes anything: 400 charged, 360 to bob's thing.
    october_statement = api.get("/me/statements/2026-10", user="ghost")[1]
    assert (october_statement["charged"], october_statement["given"]) == (
        400,
        [{"thing_id": october, "amount": 360, "via": "click"}],
    )
    assert api.me("ghost")["balances"]["funds"] == 1000 - 400 - 400
    assert run_audit() == []


# ---------------------------------------------------------------- invariant 8: months in order


def test_a_month_cannot_close_before_the_one_before_it(api, october, at, poller, close, audit):
    at("2026-12-01T00:10:00")
    status, body = api.post("/admin/months/2026-11/close", user="admin", admin=True)
    assert (status, body["error"]["code"]) == (409, "previous_month_open")
    assert api.get("/admin/months/2026-11", user="admin", admin=True)[1]["status"] == "open"
    assert api.me("ada")["balances"]["funds"] == 5000

    # October's close has begun, but a job of it is still waiting (or dead-lettered).
    assert api.post("/admin/months/2026-10/close", user="admin", admin=True)[0] == 202
    status, body = api.post("/admin/months/2026-11/close", user="admin", admin=True)
    assert (status, body["error"]["code"]) == (409, "previous_month_open")
    poller.drain()
    assert close("2026-11")["status"] == "closed"
    # ada: October 1000, then November 1000 (charity: she flattred nothing in November).
    assert api.me("ada")["balances"]["funds"] == 3000
    audit()


def test_a_users_later_month_waits_for_their_earlier_one(api, october, at, audit):
    """A job sent by hand (or a redriven one) for November settles the user's October first."""
    from flattr.store import settlement

    at("2026-12-01T00:10:00")
    queued: list[dict] = []
    queue = type("Q", (), {"send": lambda self, jobs: queued.extend(jobs)})()
    settlement.start_close("2026-10", queue)
    while queued:  # October's close runs, but ada's settle job and her page's fold are lost
        job = queued.pop()
        if job["kind"] == "scan" or (job["kind"] == "settle" and job["user_id"] != "ada"):
            settlement.run_job(job, queue, Policy(1000, "charity"))
    order = [v for v in run_audit() if v.invariant in (7, 8)]
    assert order == []  # October is still closing: nothing is reported unpaid yet
    settlement.settle_user("ada", "2026-11", Policy(1000, "charity"))
    assert api.get("/me/statements/2026-10", user="ada")[1]["charged"] == 1000
    assert api.me("ada")["balances"]["funds"] == 3000
    audit()


def test_the_audit_sees_months_settled_out_of_order(api, october, close):
    from flattr.store import calendar

    close("2026-10", now="2026-11-01T00:10:00")
    models.Settlement.get(*models.Settlement.key("ada", "2026-10")).delete()  # as if never settled
    models.Settlement(
        *models.Settlement.key("ada", "2026-11"), user_id="ada", month="2026-11", status="done"
    ).save()
    assert calendar.read().last_begun == "2026-10"
    assert 8 in {v.invariant for v in run_audit()}


# ---------------------------------------------------------------- subscriptions follow the click's rules


def test_subscribing_follows_the_clicks_rules(api, at):
    at("2026-10-10T00:00:00")
    api.giver("bob")
    api.giver("poor", funds=0)
    thing = api.thing("bob")
    for user in ("nobody", "poor"):  # no account; an account without funds
        status, body = api.post(f"/things/{thing}/subscription", {"months": 3}, user=user)
        assert (status, body["error"]["code"]) == (402, "no_means"), user
    api.giver("taker", funds=0)
    taken = api.thing("taker")
    api.giver("ada")
    status, body = api.post(f"/things/{taken}/subscription", {"months": 3}, user="ada")
    assert (status, body["error"]["code"]) == (409, "owner_not_participating")
    assert api.get("/me/subscriptions", user="ada")[1]["subscriptions"] == []


def test_each_month_of_a_subscription_follows_the_clicks_rules(api, at, close, audit):
    at("2026-10-10T00:00:00")
    api.giver("ada", budget=1000, funds=1000)  # enough for October's charity and November only
    api.giver("bob", budget=200, funds=200)  # gives in October and November, then stops
    thing = api.thing("bob")
    assert api.post(f"/things/{thing}/subscription", {"months": 6}, user="ada")[0] == 201
    close("2026-10", now="2026-11-01T00:10:00")
    api.deposit("ada", 1000)
    api.deposit("bob", 200)
    close("2026-11", now="2026-12-01T00:10:00")
    assert api.get("/me/statements/2026-11", user="ada")[1]["given"] == [
        {"thing_id": thing, "amount": 900, "via": "subscription"}
    ]
    # December: bob's funds are empty (he no longer gives), so the subscription flattrs nothing.
    api.deposit("ada", 1000)
    close("2026-12", now="2027-01-01T00:10:00")
    assert api.get("/me/statements/2026-12", user="ada")[1]["given"] == []
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1
    # January: ada has nothing left after December's charity, so nothing is flattred or counted.
    api.deposit("bob", 500)
    close("2027-01", now="2027-02-01T00:10:00")
    assert api.get("/me/statements/2027-01", user="ada")[1]["given"] == []
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1
    audit()


def test_a_subscription_to_a_deleted_thing_ends(api, at, close, audit):
    at("2026-10-10T00:00:00")
    api.giver("ada")
    api.giver("bob")
    thing = api.thing("bob")
    assert api.post(f"/things/{thing}/subscription", {"months": 3}, user="ada")[0] == 201
    assert api.call("DELETE", f"/rest/v2/things/{thing}", user="bob")[0] == 204
    assert api.get("/me/subscriptions", user="ada")[1]["subscriptions"] == []
    close("2026-10", now="2026-11-01T00:10:00")
    close("2026-11", now="2026-12-01T00:10:00")
    assert api.get("/me/statements/2026-11", user="ada")[1]["given"] == []
    assert list(models.Subscription.query("USER#ada", models.Subscription.sk.startswith("SUB#"))) == []
    audit()


# ---------------------------------------------------------------- invariant 9: work bounded by money


def test_one_cent_and_a_thousand_flattrs_write_a_handful_of_items(api, at, audit):
    from flattr.store import settlement

    at("2026-10-03T00:00:00")
    api.giver("penny", budget=200, funds=1)
    api.giver("bob", budget=200, funds=200)
    from flattr.store import cards

    thing_ids = [str(10_000 + i) for i in range(1000)]  # a thousand accepted flattrs, written in bulk
    at_epoch = int(datetime(2026, 10, 3, tzinfo=timezone.utc).timestamp())
    cards.put_many([cards.as_item("penny", "2026-10", dict.fromkeys(thing_ids, "bob"), at_epoch)])
    # (their counters come from the stream, as a click's do)

    written = Counter()

    def count(params, model, **kw):
        if model.name == "TransactWriteItems":
            written["items"] += sum(1 for item in params["TransactItems"] if "ConditionCheck" not in item)
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            written["items"] += 1
        elif model.name == "BatchWriteItem":
            written["items"] += sum(len(v) for v in params["RequestItems"].values())

    at("2026-11-01T00:10:00")
    client = models.connection().client
    client.meta.events.register("provide-client-params.dynamodb", count)
    try:
        settlement.settle_user("penny", "2026-10", Policy(1000, "charity"))
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", count)
    assert written["items"] <= 16, written  # with the month card's seal
    statement = api.get("/me/statements/2026-10", user="penny")[1]
    assert (statement["charged"], statement["fee"]) == (1, 0)
    assert [g["amount"] for g in statement["given"]] == [1]
    assert api.me("bob")["balances"]["revenue"] == 1
    audit()  # which finds no zero-cent transfer or received row
