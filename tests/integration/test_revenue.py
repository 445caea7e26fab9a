"""Creators get paid: revenue to funds, payouts, and the provider's payout events."""

import threading

import pytest
from flattr.domain import accounts
from flattr.store import ledger


@pytest.fixture
def creator(api, at, close):
    """bob ends October with 2,700 cents of revenue from three fans."""
    at("2026-10-10T00:00:00")
    api.giver("bob", budget=200, funds=200)
    thing = api.thing("bob")
    for fan in ("f1", "f2", "f3"):
        api.giver(fan, budget=1000, funds=1000)
        api.flattr(fan, thing)
    close("2026-10", now="2026-11-01T00:10:00")
    assert api.me("bob")["balances"]["revenue"] == 2700
    return "bob"


def payout_event(event_id, kind, payout_id):
    return {"id": event_id, "type": f"payout.{kind}", "data": {"payout_id": payout_id}}


def test_revenue_moves_to_funds(api, creator, audit):
    status, me = api.post("/me/revenue/to-funds", {"amount": 700}, user="bob")
    assert status == 200
    assert me["balances"] == {"funds": 700, "revenue": 2000}
    assert (
        api.post("/me/revenue/to-funds", {"amount": 2001}, user="bob")[1]["error"]["code"]
        == "insufficient_revenue"
    )
    for bad in (0, -5, "10", 1.5):
        assert api.post("/me/revenue/to-funds", {"amount": bad}, user="bob")[0] == 400
    assert api.me("bob")["balances"] == {"funds": 700, "revenue": 2000}
    audit()


def test_a_retried_request_with_the_same_idempotency_key_moves_once(api, creator):
    for _ in range(3):
        api.post("/me/revenue/to-funds", {"amount": 500}, user="bob", headers={"Idempotency-Key": "k1"})
    assert api.me("bob")["balances"] == {"funds": 500, "revenue": 2200}


def test_payout_paid(api, creator, audit):
    status, payout = api.post("/me/payouts", {"amount": 1500}, user="bob")
    assert status == 202 and payout["status"] == "pending"
    assert api.me("bob")["balances"]["revenue"] == 1200
    assert ledger.balance(accounts.payouts_pending("bob")) == 1500
    assert api.webhook(payout_event("p1", "paid", payout["id"])) == (200, {"status": "processed"})
    assert api.webhook(payout_event("p1", "paid", payout["id"])) == (200, {"status": "duplicate"})
    assert ledger.balance(accounts.payouts_pending("bob")) == 0
    assert ledger.balance(accounts.WORLD_PAYOUTS) == 1500  # what left the system
    statement = api.get("/me/statements/2026-11", user="bob")[1]
    assert statement["payouts"] == [{"id": payout["id"], "amount": 1500, "status": "paid"}]
    audit()


def test_payout_failed_returns_the_money_and_a_late_paid_is_refused(api, creator, audit):
    payout = api.post("/me/payouts", {"amount": 1000}, user="bob")[1]
    assert api.webhook(payout_event("p2", "failed", payout["id"]))[1] == {"status": "processed"}
    assert api.me("bob")["balances"]["revenue"] == 2700
    # Out of order: the provider now says paid. The money is back in revenue; refuse, change nothing.
    status, body = api.webhook(payout_event("p3", "paid", payout["id"]))
    assert (status, body["error"]["code"]) == (409, "payout_already_settled")
    assert api.me("bob")["balances"]["revenue"] == 2700
    assert ledger.balance(accounts.WORLD_PAYOUTS) == 0
    # The same 'failed' again under a new event id is a harmless duplicate.
    assert api.webhook(payout_event("p4", "failed", payout["id"]))[1] == {"status": "duplicate"}
    audit()


def test_payout_limits(api, creator):
    assert api.post("/me/payouts", {"amount": 999}, user="bob")[1]["error"]["code"] == "payout_below_minimum"
    assert api.post("/me/payouts", {"amount": 2701}, user="bob")[1]["error"]["code"] == "insufficient_revenue"
    assert api.webhook(payout_event("p5", "paid", "nope"))[1]["error"]["code"] == "payout_not_found"
    assert api.me("bob")["balances"]["revenue"] == 2700


def test_racing_payouts_never_overdraw(api, creator, audit):
    results = []
    barrier = threading.Barrier(6)

    def pay():
        barrier.wait()
        results.append(api.post("/me/payouts", {"amount": 1000}, user="bob")[0])

    threads = [threading.Thread(target=pay) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [202, 202, 409, 409, 409, 409]
    assert api.me("bob")["balances"]["revenue"] == 700
    audit()
