"""A worker's batch of settle jobs: its users sealed, read and settled together, each exactly as
they would settle alone. The batch is only a shortcut: whatever breaks it, each job settles its
user on its own."""

import pytest
from flattr.settings import Policy
from flattr.store import models, payments, people, settle_tx, settlement
from flattr.store.fold import decode

MONTH = "2026-10"
POLICY = Policy(fee_bps=1000, unspent="charity")


@pytest.fixture
def world(api, at):
    """ada flattrs bob and cy; bob flattrs cy; cy flattrs ada and dan, whose deposit was refunded
    since: cy's share for dan goes to charity (give to get), dan's own month charges nothing."""
    at("2026-10-03T00:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=200, funds=200)
    api.giver("cy", budget=500, funds=5000)
    api.giver("dan", budget=200, funds=0)
    payments.deposit("dan-deposit", "dan", 100)
    for user, owner in (("ada", "bob"), ("ada", "cy"), ("bob", "cy"), ("cy", "ada"), ("cy", "dan")):
        assert api.flattr(user, api.thing(owner))[0] == 201
    payments.refund("dan-deposit", 100)
    at("2026-11-01T00:10:00")


class Queue:
    def __init__(self):
        self.jobs = []

    def send(self, jobs):
        self.jobs.extend(jobs)


def run_counting_writes(users) -> int:
    """Run one batch of settle jobs for `users` (on page 0.0); how many TransactWriteItems it sent."""
    calls = []
    client = models.connection().client
    handler = lambda **kw: calls.append(1)  # noqa: E731
    client.meta.events.register("before-call.dynamodb.TransactWriteItems", handler)
    try:
        settlement.run_batch([settlement.settle_job(MONTH, u, "0.0") for u in users], Queue(), POLICY)
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", handler)
    return len(calls)


def months(users=("ada", "bob", "cy", "dan")):
    """What each user's month came to: charged, fee, charity, and who got which share."""
    out = {}
    for user in users:
        r = models.Settlement.get(*models.Settlement.key(user, MONTH), consistent_read=True)
        out[user] = (r.charged, r.fee, r.charity, sorted((s.owner_id, s.cents) for s in decode(r.shares)))
    return out


EXPECTED = {
    "ada": (1000, 100, 0, [("bob", 450), ("cy", 450)]),
    "bob": (200, 20, 0, [("cy", 180)]),
    "cy": (500, 50, 225, [("ada", 225)]),  # dan does not give: his share goes to charity
    "dan": (0, 0, 0, []),
}


def test_a_batch_settles_its_users_in_one_transaction(api, world):
    assert run_counting_writes(("ada", "bob", "cy", "dan")) == 1
    assert months() == EXPECTED
    assert {u: api.me(u)["balances"]["funds"] for u in ("ada", "bob", "cy", "dan")} == {
        "ada": 4000,
        "bob": 0,
        "cy": 4500,
        "dan": 0,
    }


def test_a_job_delivered_twice_in_its_batch_settles_once(api, world):
    jobs = [settlement.settle_job(MONTH, u, "0.0") for u in ("ada", "bob", "ada", "cy", "dan", "bob")]
    settlement.run_batch(jobs, Queue(), POLICY)
    settlement.run_batch(jobs, Queue(), POLICY)  # and the whole batch again
    assert months() == EXPECTED
    assert api.me("ada")["balances"]["funds"] == 4000


def test_a_user_settled_by_a_twin_meanwhile_leaves_the_others_to_settle_alone(api, world, monkeypatch):
    commit = settle_tx.commit

    def twin_first(staged):
        if len(staged) > 1:  # another worker settles bob between the batch's read and its write
            settlement.settle_user("bob", MONTH, POLICY, "0.0")
        return commit(staged)

    monkeypatch.setattr(settle_tx, "commit", twin_first)
    # the batch's transaction (refused: bob is settled), bob's twin, then ada, cy and dan alone;
    # bob's job reads afresh (his condition failed) and finds him settled
    assert run_counting_writes(("ada", "bob", "cy", "dan")) == 5
    assert months() == EXPECTED
    assert api.me("bob")["balances"]["funds"] == 0  # charged once


def test_owners_outside_the_batch_are_read_as_owners(api, world, monkeypatch):
    asked = []
    read = people.read
    monkeypatch.setattr(people, "read", lambda ids, **kw: asked.append((sorted(ids), kw)) or read(ids, **kw))
    jobs = [settlement.settle_job(MONTH, u, "0.0") for u in ("ada", "bob")]
    settlement.run_batch(jobs, Queue(), POLICY)
    assert asked == [(["ada", "bob"], {}), (["cy"], {"as_owners": True})]
    assert months(("ada", "bob")) == {u: EXPECTED[u] for u in ("ada", "bob")}


def test_the_worker_settles_each_job_alone_when_the_batch_cannot_be_read(api, world, close, monkeypatch):
    batches = []

    def unavailable(jobs, policy=None):
        batches.append(jobs)
        raise RuntimeError("DynamoDB is throttling")

    monkeypatch.setattr(settlement, "prepare", unavailable)
    status = close(MONTH)
    assert any(j["kind"] == "settle" for jobs in batches for j in jobs), "the worker tried its batches"
    assert status["status"] == "closed" and status["users_settled"] == 4
    assert {u: m[:3] for u, m in months().items()} == {u: m[:3] for u, m in EXPECTED.items()}
