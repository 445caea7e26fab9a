"""Money in through Stripe, over HTTP: our API, localstripe (a real Stripe server process) and its
signed webhook, with nothing stubbed in between."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests import stack_months
from tests import stripe_shapes as s

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def localstripe(api):
    config = api.post("/_local/stripe").json()
    assert config["enabled"] and config["publishable_key"].startswith("pk_test_")
    import stripe

    stripe.api_base = config["api_base"]
    stripe.api_key = "sk_test_local"
    return stripe


def funds(api, tok):
    return api.get("/me", token=tok).json()["balances"]["funds"]


def wait_for_funds(api, tok, amount, timeout=15.0):
    deadline = time.monotonic() + timeout
    while funds(api, tok) != amount and time.monotonic() < deadline:
        time.sleep(0.2)
    return funds(api, tok)


def test_a_deposit_through_stripe_arrives_exactly_once(api, localstripe):
    user = f"stripe-{uuid.uuid4().hex[:8]}"
    tok = api.token(user)
    api.put("/me", token=tok, json={"monthly_budget": 500})
    created = api.post("/me/deposits", token=tok, json={"amount": 1500}, headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.text
    intent = created.json()
    assert intent["id"].startswith("pi_") and intent["client_secret"].startswith(intent["id"])
    assert (intent["amount"], intent["currency"], intent["publishable_key"]) == (1500, "EUR", "pk_test_local")
    assert localstripe.PaymentIntent.retrieve(intent["id"]).metadata["user_id"] == user

    # What Stripe.js does in the browser with test card 4242 4242 4242 4242.
    method = localstripe.PaymentMethod.create(
        type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    )
    localstripe.PaymentIntent.modify(intent["id"], payment_method=method.id)
    assert localstripe.PaymentIntent.confirm(intent["id"]).status == "succeeded"
    assert wait_for_funds(api, tok, 1500) == 1500  # localstripe's signed webhook credited it

    # Stripe redelivers the same event: nothing changes.
    sent = [
        e
        for e in localstripe.Event.list(type="payment_intent.succeeded", limit=100).data
        if e.data.object.id == intent["id"]
    ]
    assert len(sent) == 1
    body = requests.get(
        f"{localstripe.api_base}/v1/events/{sent[0].id}", auth=("sk_test_local", ""), timeout=10
    ).content
    again = requests.post(
        f"{api.url}/webhooks/stripe",
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json", "Stripe-Signature": s.sign(body)},
    )
    assert again.json() == {"status": "duplicate"}
    time.sleep(1.5)
    assert funds(api, tok) == 1500


def test_a_forged_event_is_refused_over_http(api):
    body, headers = s.body_and_headers(s.payment_succeeded("pi_forged", "mallory", 99_999))
    headers["Stripe-Signature"] = s.sign(body, secret="whsec_not_ours")
    answer = requests.post(f"{api.url}/webhooks/stripe", data=body, headers=headers, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_signature"


def test_the_sandbox_deposit_goes_through_stripe(api):
    user = f"sandbox-{uuid.uuid4().hex[:8]}"
    paid = api.post("/_local/deposit", json={"user_id": user, "amount": 800})
    assert paid.status_code == 200 and paid.json()["payment_intent"].startswith("pi_")
    assert funds(api, api.token(user)) == 800


def test_a_payout_request_becomes_a_payout_at_stripe(api, localstripe):
    """localstripe has no Connect, so locally the payout is the platform's own (FLATTR_STRIPE_CONNECT
    is false); it keeps payouts pending, so Stripe's payout.paid is signed here, as Stripe signs it."""
    clock = lambda when: api.post("/_local/clock", json={"now": when})  # noqa: E731
    month = stack_months.take(api.url)
    clock(f"{month}-10T12:00:00Z")
    try:
        creator, fan = (f"{name}-{uuid.uuid4().hex[:6]}" for name in ("creator", "fan"))
        tokens = {u: api.token(u) for u in (creator, fan)}
        for u, budget, amount in ((creator, 200, 200), (fan, 3000, 3000)):
            api.put("/me", token=tokens[u], json={"monthly_budget": budget})
            assert api.post("/_local/deposit", json={"user_id": u, "amount": amount}).status_code == 200
        thing = api.post(
            "/things",
            token=tokens[creator],
            json={"url": f"https://{creator}.example/", "title": "A payout's thing"},
        ).json()["id"]
        assert api.post(f"/things/{thing}/flattr", token=tokens[fan]).status_code == 201
        clock(f"{stack_months.following(month)}-01T00:05:00Z")
        assert (
            api.post(f"/admin/months/{month}/close", token=api.token("root", admin=True)).status_code == 202
        )
        api.post("/_local/drain")
        assert api.get("/me", token=tokens[creator]).json()["balances"]["revenue"] == 2700

        asked = api.post("/me/payouts", token=tokens[creator], json={"amount": 1000})
        assert asked.status_code == 202, asked.text
        payout = asked.json()
        at_stripe = [
            p
            for p in localstripe.Payout.list(limit=100).data
            if p.to_dict()["metadata"].get("payout_id") == payout["id"]
        ]
        assert len(at_stripe) == 1 and at_stripe[0].amount == 1000 and at_stripe[0].status == "pending"

        paid = s.payout("paid", payout["id"], 1000)
        body, headers = s.body_and_headers(paid)
        assert requests.post(f"{api.url}/webhooks/stripe", data=body, headers=headers, timeout=10).json() == {
            "status": "processed"
        }
        statement = api.get(f"/me/statements/{stack_months.following(month)}", token=tokens[creator]).json()
        assert statement["payouts"] == [{"id": payout["id"], "amount": 1000, "status": "paid"}]
        assert api.post("/_local/audit").json()["ok"] is True
    finally:
        clock(None)


def test_connect_onboarding_is_refused_where_connect_is_not_used(api):
    answer = api.post(
        "/me/payout-account", token=api.token("someone"), json={"return_url": "https://x.example/"}
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "connect_not_used"
