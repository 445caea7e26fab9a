"""Settlement reads the giver and the owners of what they flattred together, 100 to a request:
a month of flattrs over more owners than one request holds still binds give to get for each."""

import json
from datetime import datetime, timezone
from types import SimpleNamespace

from flattr.settings import Policy
from flattr.store import cards, fold, models, payments, settlement

MONTH = "2026-10"


def _user(uid: str, budget: int) -> models.User:
    return models.User(
        *models.User.key(uid), uid=uid, budget=budget, created_at="2026-10-01T00:00:00", created_month=MONTH
    )


def test_a_giver_of_150_owners_pays_each_owner_who_gives(api, at, audit):
    at("2026-10-03T00:00:00")
    owners = [f"o{i:03d}" for i in range(150)]
    stopped = set(owners[::5])  # every fifth owner has no funds: their shares go to charity
    # Written in bulk (this test is about settlement, not signing up), funded by deposits.
    with models.User.batch_write() as batch:
        batch.save(_user("whale", budget=15_000))
        for o in owners:
            batch.save(_user(o, budget=200))
    payments.deposit("whale-dep", "whale", 20_000)
    for o in owners:
        if o not in stopped:
            payments.deposit(f"{o}-dep", o, 200)
    made = {str(500_000 + i): o for i, o in enumerate(owners)}
    at_epoch = int(datetime(2026, 10, 3, tzinfo=timezone.utc).timestamp())
    cards.put_many([cards.as_item("whale", MONTH, made, at_epoch)])

    at("2026-11-01T00:10:00")
    assert api.post(f"/admin/months/{MONTH}/close", user="admin", admin=True)[0] == 202
    record = settlement.settle_user("whale", MONTH, Policy(fee_bps=1000, unspent="charity"))

    assert (record.charged, record.fee, record.things) == (15_000, 1_500, 150)
    paid = {s.owner_id: s.cents for s in fold.decode(record.shares)}
    redirected = {s.owner_id: s.cents for s in fold.decode(record.redirected)}
    assert paid == {o: 90 for o in owners if o not in stopped}
    assert redirected == {o: 90 for o in stopped}
    assert api.me("whale")["balances"]["funds"] == 5_000
    assert api.me("o001")["balances"]["revenue"] == 90
    assert api.me("o000")["balances"]["revenue"] == 0
    audit()


def test_what_dynamodb_leaves_unprocessed_is_read_again(api, at):
    at("2026-10-03T00:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=200, funds=200)
    assert api.flattr("ada", api.thing("bob"))[0] == 201
    at("2026-11-01T00:10:00")
    assert api.post(f"/admin/months/{MONTH}/close", user="admin", admin=True)[0] == 202

    left = []

    def unprocessed_once(model, params, **kw):
        # DynamoDB may answer a BatchGetItem with some keys unprocessed (throttling, size): all, here.
        if not left:
            asked = json.loads(params["body"])["RequestItems"]
            left.append(asked)
            return SimpleNamespace(status_code=200, headers={}), {
                "Responses": {table: [] for table in asked},
                "UnprocessedKeys": asked,
            }
        return None

    client = models.connection().client
    client.meta.events.register("before-call.dynamodb.BatchGetItem", unprocessed_once)
    try:
        record = settlement.settle_user("ada", MONTH, Policy(fee_bps=1000, unspent="charity"))
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchGetItem", unprocessed_once)
    assert left, "the first read was answered unprocessed"
    assert (record.charged, [s.owner_id for s in fold.decode(record.shares)]) == (1000, ["bob"])
