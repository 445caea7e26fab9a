"""The month close: from clicks to creators' revenue, exactly once."""

import json
from datetime import datetime, timezone

import pytest
from flattr.domain import accounts
from flattr.settings import Policy
from flattr.store import ledger


def balance(account):
    return ledger.balance(account)


@pytest.fixture
def october(api, at):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=300, funds=300)
    api.giver("cy", budget=200, funds=200)
    bob1, bob2 = api.thing("bob"), api.thing("bob")
    cy1 = api.thing("cy")
    for t in (bob1, bob2, cy1):
        assert api.flattr("ada", t)[0] == 201
    assert api.flattr("bob", cy1)[0] == 201
    return {"bob1": bob1, "bob2": bob2, "cy1": cy1}


def test_a_whole_month(api, october, close, audit):
    status = close("2026-10", now="2026-11-01T00:10:00")
    assert status["status"] == "closed"
    assert status["users_total"] == status["users_settled"] == 3
    # ada: 1000 charged, 100 fee, 900 over 3 things. bob: 300, 30 fee, 270 to cy. cy flattred nothing:
    # the charity policy sends the 200 budget to charity.
    assert (status["charged"], status["fees"], status["distributed"], status["charity"]) == (
        1500,
        130,
        1170,
        200,
    )
    assert api.me("ada")["balances"] == {"funds": 4000, "revenue": 0}
    assert api.me("bob")["balances"] == {"funds": 0, "revenue": 600}
    assert api.me("cy")["balances"] == {"funds": 0, "revenue": 570}
    assert balance(accounts.FEES) == 130
    assert balance(accounts.CHARITY) == 200
    assert balance(accounts.clearing("2026-10")) == 0

    statement = api.get("/me/statements/2026-10", user="ada")[1]
    assert (statement["charged"], statement["fee"], statement["charity"]) == (1000, 100, 0)
    assert sorted(g["amount"] for g in statement["given"]) == [300, 300, 300]
    cy = api.get("/me/statements/2026-10", user="cy")[1]
    assert cy["received"] == [{"thing_id": october["cy1"], "flattrs": 2, "amount": 570}]
    assert cy["charity"] == 200
    audit()


def test_closing_twice_changes_nothing(api, october, close, audit):
    first = close("2026-10", now="2026-11-01T00:10:00")
    again = close("2026-10")
    assert first == again
    assert api.me("bob")["balances"]["revenue"] == 600
    audit()


def test_a_month_that_has_not_ended_cannot_close(api, october):
    status, body = api.post("/admin/months/2026-10/close", user="admin", admin=True)
    assert (status, body["error"]["code"]) == (409, "month_not_over")
    status, body = api.post("/admin/months/2026-12/close", user="admin", admin=True)
    assert status == 409
    assert api.get("/admin/months/2026-10", user="admin", admin=True)[1]["status"] == "open"


def test_admin_routes_are_for_admins(api, october, at):
    at("2026-11-02T00:00:00")
    assert api.post("/admin/months/2026-10/close", user="ada")[1]["error"]["code"] == "forbidden"
    assert api.get("/admin/months/2026-10", user="ada")[0] == 403
    assert api.post("/admin/months/2026-10/close")[0] == 401
    assert api.post("/admin/months/2026-13/close", user="admin", admin=True)[0] == 400


def test_the_next_month_starts_fresh(api, october, close, at):
    close("2026-10", now="2026-11-01T00:10:00")
    at("2026-11-05T00:00:00")
    # bob gave his whole funds in October: he must top up to keep receiving (give to get).
    assert api.flattr("ada", october["bob1"])[1]["error"]["code"] == "owner_not_participating"
    api.deposit("bob", 500)
    assert api.flattr("ada", october["bob1"])[0] == 201
    assert api.me("ada")["flattrs_this_month"] == 1
    thing = api.get(f"/things/{october['bob1']}")[1]
    assert (thing["flattrs"], thing["flattrs_month"]) == (2, 1)


def test_the_schedule_closes_the_previous_month(api, october, poller, at):
    from local import runtime, stack

    at("2026-11-01T00:05:00")
    fn = next(f for f in stack.functions() if f.logical_id == "CloseMonthFunction")
    schedule = next(e for e in fn.events.values() if e["Type"] == "ScheduleV2")["Properties"]
    assert schedule["ScheduleExpression"] == "cron(5 0 1 * ? *)"
    # EventBridge Scheduler sends the Input, with its scheduled time filled in (also on retries).
    event = json.loads(schedule["Input"].replace("<aws.scheduler.scheduled-time>", "2026-11-01T00:05:00Z"))
    result = runtime.invoke(fn, event)
    assert result == {"month": "2026-10"}
    poller.drain()
    assert api.get("/admin/months/2026-10", user="admin", admin=True)[1]["status"] == "closed"


def test_carry_policy_keeps_unspent_budget_in_funds(api, october, close, monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_UNSPENT_POLICY", "carry")
    settings.get.cache_clear()
    close("2026-10", now="2026-11-01T00:10:00")
    assert api.me("cy")["balances"]["funds"] == 200
    assert balance(accounts.CHARITY) == 0


def test_a_user_with_500_flattrs_settles_exactly(api, at, close, audit):
    at("2026-10-03T00:00:00")
    api.giver("whale", budget=100_000, funds=100_000)
    creators = [f"c{i}" for i in range(10)]
    for c in creators:
        api.giver(c, budget=200, funds=200)
    from flattr.store import clicks, things

    ids = []
    for i in range(500):
        t = things.register(creators[i % 10], url=f"https://c.example/{i}", title=f"Thing {i:03d}")
        clicks.flattr("whale", t.thing_id)
        ids.append(t.thing_id)
    status = close("2026-10", now="2026-11-01T00:10:00")
    assert status["status"] == "closed"
    given = api.get("/me/statements/2026-10", user="whale")[1]["given"]
    assert len(given) == 500
    assert sum(g["amount"] for g in given) == 90_000
    assert {g["amount"] for g in given} == {180}
    audit()


def test_a_popular_creator_is_not_a_hot_item(api, at):
    """Fans settle into one creator: no DynamoDB item takes more than ~fans/8 writes.

    FLATTR_HOT_FANS sets the number of fans (moto spends ~30 ms a user).
    """
    import os
    from collections import Counter

    from flattr.store import calendar, models, settlement

    fans = int(os.environ.get("FLATTR_HOT_FANS", "2000"))
    at("2026-10-03T00:00:00")
    api.giver("star", budget=200, funds=200)
    star_thing = str(api.thing("star"))
    # Fans written in bulk (this test is about settlement's write pattern, not about clicking).
    with models.User.batch_write() as batch:
        for i in range(fans):
            u = f"fan{i}"
            batch.save(
                models.User(
                    *models.User.key(u),
                    uid=u,
                    budget=200,
                    funds=200,
                    created_at="2026-10-01T00:00:00",
                    created_month="2026-10",
                )
            )

    from flattr.store import cards

    at_epoch = int(datetime(2026, 10, 3, tzinfo=timezone.utc).timestamp())
    cards.put_many([cards.as_item(f"fan{i}", "2026-10", {star_thing: "star"}, at_epoch) for i in range(fans)])
    writes = Counter()

    def count(params, model, **kw):
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                if "ConditionCheck" not in item:
                    op = next(iter(item.values()))
                    writes[(op.get("Key") or op.get("Item"))["pk"]["S"]] += 1
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            writes[(params.get("Key") or params.get("Item"))["pk"]["S"]] += 1

    client = models.connection().client
    client.meta.events.register("provide-client-params.dynamodb", count)
    at("2026-11-01T00:10:00")
    jobs = []
    queue = type("Q", (), {"send": lambda self, batch: jobs.extend(batch)})()
    try:
        settlement.start_close("2026-10", queue)
        while jobs:  # the worker's loop, without SQS: this test counts DynamoDB writes
            settlement.run_job(jobs.pop(), queue, Policy(1000, "charity"))
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", count)
    assert calendar.month_status("2026-10")["users_settled"] == fans + 1
    hottest, n = writes.most_common(1)[0]
    assert n <= fans / 8 + 20, (hottest, n)
    assert api.me("star")["balances"]["revenue"] == fans * 180


def test_the_audit_catches_a_corrupted_balance(api, october, close):
    """The audit is only worth running if it fails: corrupt one balance on purpose."""
    from flattr.store import models
    from flattr.store.audit import run_audit

    close("2026-10", now="2026-11-01T00:10:00")
    assert run_audit() == []
    user = models.User.get(*models.User.key("ada"))
    user.update(actions=[models.User.funds.add(1)])  # one cent from nowhere
    found = run_audit()
    assert {v.invariant for v in found} == {1, 2}
    assert any("user:ada:funds" in v.detail for v in found)


def test_the_audit_catches_a_double_paid_share(api, october, close):
    from flattr.domain.accounts import Transfer
    from flattr.store import ledger
    from flattr.store.audit import run_audit

    close("2026-10", now="2026-11-01T00:10:00")
    # A share paid a second time (from outside money, since clearing is rightly empty by now).
    ledger.post(
        [
            Transfer(
                "settle:2026-10:ada:share:again",
                "world:payments",
                "user:bob:revenue",
                300,
                "share",
                "2026-10",
                "ada",
                str(october["bob1"]),
            )
        ]
    )
    found = {v.invariant for v in run_audit()}
    assert 4 in found and 6 in found
