"""POST /webhooks/stripe: Stripe's own events, signed as Stripe signs them, through the gateway.

Deposits credit once per PaymentIntent; refunds and disputes take money back as transfers; what
was already given becomes a debt the audit sees and that stops the user from flattring.
"""

from __future__ import annotations

import json
import time

import pytest
from flattr.domain import accounts
from flattr.store import ledger

from tests import stripe_shapes as s


@pytest.fixture
def stripe(api):
    def send(evt: dict, **sign_kw) -> tuple[int, object]:
        body, headers = s.body_and_headers(evt, **sign_kw)
        return api.call("POST", "/webhooks/stripe", raw=body, headers=headers)

    return send


def funds(api, user):
    return api.me(user)["balances"]["funds"]


def owed(user):
    return -ledger.balance(accounts.debt(user))


def test_a_payment_is_credited_once_whatever_the_event(api, stripe, audit):
    api.put("/me", {"monthly_budget": 500}, user="ada")
    first = s.payment_succeeded("pi_1", "ada", 1500)
    assert stripe(first) == (200, {"status": "processed"})
    assert stripe(first) == (200, {"status": "duplicate"})  # Stripe redelivers the same event
    # A second, different event about the same PaymentIntent cannot credit it again.
    assert stripe(s.payment_succeeded("pi_1", "ada", 1500)) == (200, {"status": "duplicate"})
    assert funds(api, "ada") == 1500
    audit()


@pytest.mark.parametrize("how", ["forged", "stale", "unsigned", "tampered"])
def test_a_forged_stale_or_unsigned_event_is_refused_and_changes_nothing(api, stripe, how):
    evt = s.payment_succeeded("pi_bad", "ada", 1500)
    if how == "forged":
        status, body = stripe(evt, secret="whsec_someone_else")
    elif how == "stale":
        status, body = stripe(evt, timestamp=int(time.time()) - 301)
    else:
        raw, headers = s.body_and_headers(evt)
        if how == "unsigned":
            del headers["Stripe-Signature"]
        else:
            raw = raw.replace(b"1500", b"9500")
        status, body = api.call("POST", "/webhooks/stripe", raw=raw, headers=headers)
    assert status == 401 and body["error"]["code"] == "invalid_signature"
    assert ledger.balance(accounts.funds("ada")) == 0
    assert stripe(evt) == (200, {"status": "processed"})  # the genuine one still counts, once


def test_events_we_do_not_handle_are_acknowledged_and_ignored(api, stripe):
    assert stripe(s.event("customer.created", {"id": "cus_1", "object": "customer"})) == (
        200,
        {"status": "ignored"},
    )
    assert stripe(s.event("payment_intent.succeeded", {"id": "pi_x", "amount": 5, "metadata": {}})) == (
        200,
        {"status": "ignored"},
    )  # no user of ours
    status, body = stripe(s.event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1"}))
    assert status == 400 and body["error"]["code"] == "invalid_event"
    status, body = stripe(s.payment_succeeded("pi_usd", "ada", 1000, currency="usd"))
    assert status == 400 and body["error"]["code"] == "invalid_currency"


def test_refunds_take_back_the_new_part_of_a_running_total_in_any_order(api, stripe, audit):
    stripe(s.payment_succeeded("pi_r", "ada", 2000))
    late_small = s.charge_refunded("pi_r", 2000, 300)
    assert stripe(s.charge_refunded("pi_r", 2000, 800)) == (200, {"status": "processed"})
    assert stripe(late_small) == (200, {"status": "duplicate"})  # an older total, delivered late
    assert stripe(s.charge_refunded("pi_r", 2000, 800)) == (200, {"status": "duplicate"})
    assert funds(api, "ada") == 1200
    assert stripe(s.charge_refunded("pi_r", 2000, 2000)) == (200, {"status": "processed"})
    assert funds(api, "ada") == 0 and owed("ada") == 0
    audit()


def test_a_refund_before_its_payment_is_refused_until_the_payment_arrives(api, stripe):
    refund = s.charge_refunded("pi_early", 1000, 1000)
    status, body = stripe(refund)
    assert status == 409 and body["error"]["code"] == "payment_not_credited_yet"
    stripe(s.payment_succeeded("pi_early", "ada", 1000))
    assert stripe(refund) == (200, {"status": "processed"})  # Stripe's retry
    assert funds(api, "ada") == 0


def test_a_dispute_won_returns_the_money_and_a_lost_one_does_not(api, stripe, audit):
    stripe(s.payment_succeeded("pi_w", "ada", 1000))
    stripe(s.payment_succeeded("pi_l", "bob", 1000))
    for pi, dp, user in (("pi_w", "dp_w", "ada"), ("pi_l", "dp_l", "bob")):
        assert stripe(s.dispute(pi, dp, 1000)) == (200, {"status": "processed"})
        assert stripe(s.dispute(pi, dp, 1000)) == (200, {"status": "duplicate"})
        assert funds(api, user) == 0
    assert stripe(s.dispute("pi_w", "dp_w", 1000, status="won", closed=True)) == (
        200,
        {"status": "processed"},
    )
    assert stripe(s.dispute("pi_l", "dp_l", 1000, status="lost", closed=True)) == (
        200,
        {"status": "duplicate"},
    )
    assert stripe(s.dispute("pi_w", "dp_w", 1000, status="won", closed=True)) == (
        200,
        {"status": "duplicate"},
    )
    assert (funds(api, "ada"), funds(api, "bob")) == (1000, 0)
    audit()


def test_a_dispute_closed_before_it_was_opened_still_counts_once(api, stripe, audit):
    stripe(s.payment_succeeded("pi_o", "ada", 1000))
    assert stripe(s.dispute("pi_o", "dp_o", 1000, status="won", closed=True)) == (
        200,
        {"status": "processed"},
    )
    assert stripe(s.dispute("pi_o", "dp_o", 1000)) == (200, {"status": "duplicate"})
    assert funds(api, "ada") == 1000
    audit()


def test_money_back_after_it_was_given_is_a_debt_that_stops_flattring(api, stripe, close, at, audit):
    at("2026-10-10T00:00:00")
    api.giver("bob", budget=200, funds=1000)
    thing = api.thing("bob")
    api.put("/me", {"monthly_budget": 1000}, user="ada")
    stripe(s.payment_succeeded("pi_gone", "ada", 1500))
    assert api.flattr("ada", thing)[0] == 201
    assert api.flattr("bob", api.thing("ada"))[0] == 201  # ada is a creator too
    close("2026-10", now="2026-11-01T00:10:00")
    assert funds(api, "ada") == 500  # 1,000 went to bob's thing and the fee

    assert stripe(s.charge_refunded("pi_gone", 1500, 1500)) == (200, {"status": "processed"})
    assert funds(api, "ada") == 0 and owed("ada") == 1000  # no balance below zero: the rest is owed
    audit()
    # Even with funds again (her revenue moved into them), a user who owes cannot flattr.
    assert api.post("/me/revenue/to-funds", {"amount": 100}, user="ada")[0] == 200
    other = api.thing("bob")
    status, body = api.flattr("ada", other)
    assert status == 402 and body["error"]["code"] == "no_means" and "owe 1000" in body["error"]["message"]

    # The next deposit pays the debt first; what is left is funds again.
    stripe(s.payment_succeeded("pi_next", "ada", 1200))
    assert owed("ada") == 0 and funds(api, "ada") == 300
    assert api.flattr("ada", other)[0] == 201
    audit()


def test_a_dispute_won_pays_a_debt_first(api, stripe, close, at, audit):
    at("2026-10-10T00:00:00")
    api.giver("bob", budget=200, funds=1000)
    thing = api.thing("bob")
    api.put("/me", {"monthly_budget": 1000}, user="ada")
    stripe(s.payment_succeeded("pi_d", "ada", 1000))
    api.flattr("ada", thing)
    close("2026-10", now="2026-11-01T00:10:00")
    stripe(s.dispute("pi_d", "dp_d", 1000))
    assert (funds(api, "ada"), owed("ada")) == (0, 1000)
    stripe(s.dispute("pi_d", "dp_d", 1000, status="won", closed=True))
    assert (funds(api, "ada"), owed("ada")) == (0, 0)
    audit()


def test_a_payout_settles_from_stripe_events(api, stripe, close, at, audit):
    at("2026-10-10T00:00:00")
    api.giver("bob", budget=200, funds=200)
    thing = api.thing("bob")
    api.giver("fan", budget=2000, funds=2000)
    api.flattr("fan", thing)
    close("2026-10", now="2026-11-01T00:10:00")
    status, payout = api.post("/me/payouts", {"amount": 1000}, user="bob")
    assert status == 202, payout
    assert stripe(s.payout("paid", payout["id"], 1000)) == (200, {"status": "processed"})
    assert stripe(s.payout("paid", payout["id"], 1000)) == (200, {"status": "duplicate"})
    assert ledger.balance(accounts.WORLD_PAYOUTS) == 1000
    platform_own = s.event("payout.paid", {"id": "po_own", "object": "payout", "amount": 5, "metadata": {}})
    assert stripe(platform_own) == (200, {"status": "ignored"})  # not one of ours: no payout_id
    audit()


def test_deposits_are_at_least_the_minimum_budget_and_need_a_user(api):
    for bad in (
        {"amount": 199},
        {"amount": 0},
        {"amount": "500"},
        {"amount": 10_000_001},
        {},
        {"amount": 500, "x": 1},
    ):
        status, body = api.post("/me/deposits", bad, user="ada")
        assert status == 400, (bad, body)
    status, body = api.call(
        "POST",
        "/me/deposits",
        raw=json.dumps({"amount": 500}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 401


def test_the_connect_endpoint_or_a_rotated_secret_is_accepted_beside_the_platforms(api, stripe, aws):
    import boto3
    from aws_lambda_powertools.utilities import parameters

    name = aws.environment["FLATTR_STRIPE_WEBHOOK_SECRET_PARAMETER"]
    boto3.client("ssm").put_parameter(
        Name=name, Value="whsec_local, whsec_connect", Type="SecureString", Overwrite=True
    )
    parameters.clear_caches()
    try:
        assert stripe(s.payment_succeeded("pi_c", "ada", 700), secret="whsec_connect")[0] == 200
        assert stripe(s.payment_succeeded("pi_p", "ada", 300))[0] == 200
        assert stripe(s.payment_succeeded("pi_x", "ada", 300), secret="whsec_other")[0] == 401
        assert funds(api, "ada") == 1000
    finally:
        boto3.client("ssm").put_parameter(Name=name, Value="whsec_local", Type="SecureString", Overwrite=True)
        parameters.clear_caches()


def test_no_secret_appears_in_a_refusal(api, stripe):
    for status, body in (
        stripe(s.payment_succeeded("pi_s", "ada", 100), secret="whsec_wrong"),
        api.post("/webhooks/stripe", {"id": "evt"}),
    ):
        assert status == 401
        assert "whsec_local" not in json.dumps(body) and "sk_test_local" not in json.dumps(body)


def test_refund_totals_in_any_order_take_back_exactly_the_largest(aws):
    """Hypothesis: whatever running totals Stripe sends, in whatever order and however often, what
    goes back is the largest total (never more than was paid), split between funds and debt."""
    from flattr.store import audit, payments
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    runs = iter(range(10_000))

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        amount=st.integers(1, 5000),
        spent=st.integers(0, 5000),
        totals=st.lists(st.integers(0, 6000), min_size=1, max_size=6),
    )
    def check(amount, spent, totals):
        user, ref = f"h{next(runs)}", f"stripe:pi_h{next(runs)}"
        payments.deposit(ref, user, amount)
        spent = min(spent, amount)
        if spent:  # money already given: out of funds as a settlement would take it
            ledger.post(
                [
                    accounts.Transfer(
                        f"spent:{ref}", accounts.funds(user), accounts.FEES, spent, "charge", user_id=user
                    )
                ]
            )
        for total in totals:
            payments.refund(ref, total)
        back = min(max(totals), amount)
        have, owes = ledger.balance(accounts.funds(user)), payments.owed(user)
        assert have - owes == amount - spent - back
        assert have >= 0 and owes >= 0 and min(have, owes) == 0
        assert owes == max(0, back - (amount - spent))
        assert audit.run_audit() == []

    check()
