"""Payouts through Stripe, and Stripe Connect onboarding for creators.

Stripe's API is replaced here by recording stand-ins: what these tests check is what we ask of
Stripe (the calls and their idempotency keys, as Stripe's documentation describes them), since
localstripe has no Connect. tests/e2e/test_stripe.py sends a payout to localstripe for real.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import stripe as stripe_lib
from flattr.domain import accounts
from flattr.store import ledger

from tests import stripe_shapes as s


@pytest.fixture
def creator(api, at, close):
    at("2026-10-10T00:00:00")
    api.giver("bob", budget=200, funds=200)
    thing = api.thing("bob")
    api.giver("fan", budget=3000, funds=3000)
    api.flattr("fan", thing)
    close("2026-10", now="2026-11-01T00:10:00")
    assert api.me("bob")["balances"]["revenue"] == 2700
    return "bob"


@pytest.fixture
def via_stripe(monkeypatch):
    """Payouts through Stripe Connect, with Stripe's API recorded instead of called."""
    from flattr import settings

    monkeypatch.setenv("FLATTR_PAYOUT_PROVIDER", "stripe")
    monkeypatch.setenv("FLATTR_STRIPE_CONNECT", "true")
    settings.get.cache_clear()
    calls: list[tuple[str, dict]] = []

    def recorder(name, answer):
        def call(**kw):
            calls.append((name, kw))
            return SimpleNamespace(**answer)

        return call

    monkeypatch.setattr(stripe_lib.Account, "create", recorder("Account.create", {"id": "acct_bob"}))
    monkeypatch.setattr(
        stripe_lib.AccountLink,
        "create",
        recorder("AccountLink.create", {"url": "https://connect.stripe.com/setup/e/acct_bob/x"}),
    )
    monkeypatch.setattr(stripe_lib.Transfer, "create", recorder("Transfer.create", {"id": "tr_1"}))
    monkeypatch.setattr(stripe_lib.Payout, "create", recorder("Payout.create", {"id": "po_1"}))
    yield calls
    settings.get.cache_clear()


def test_a_creator_without_a_payout_account_is_told_to_make_one(api, creator, via_stripe):
    status, body = api.post("/me/payouts", {"amount": 1000}, user="bob")
    assert status == 409 and body["error"]["code"] == "payout_account_missing"
    assert api.me("bob")["balances"]["revenue"] == 2700 and via_stripe == []


def test_onboarding_makes_one_account_and_a_fresh_link_each_time(api, creator, via_stripe):
    back = {"return_url": "https://flattr.example/me"}
    for _ in range(2):
        status, body = api.post("/me/payout-account", back, user="bob")
        assert status == 200, body
        assert body == {
            "account_id": "acct_bob",
            "onboarding_url": "https://connect.stripe.com/setup/e/acct_bob/x",
        }
    made = [kw for name, kw in via_stripe if name == "Account.create"]
    assert len(made) == 1 and made[0]["type"] == "express" and made[0]["idempotency_key"] == "connect:bob"
    assert made[0]["settings"] == {"payouts": {"schedule": {"interval": "manual"}}}
    links = [kw for name, kw in via_stripe if name == "AccountLink.create"]
    assert len(links) == 2 and links[0]["account"] == "acct_bob" and links[0]["type"] == "account_onboarding"
    assert api.post("/me/payout-account", {"return_url": "javascript:alert(1)"}, user="bob")[0] == 400


def test_a_payout_is_a_transfer_and_a_payout_on_the_creators_account(api, creator, via_stripe, audit):
    api.post("/me/payout-account", {"return_url": "https://flattr.example/me"}, user="bob")
    status, payout = api.post("/me/payouts", {"amount": 1000}, user="bob", headers={"Idempotency-Key": "p1"})
    assert status == 202 and payout["status"] == "pending"
    sent = {name: kw for name, kw in via_stripe if name in ("Transfer.create", "Payout.create")}
    assert sent["Transfer.create"]["destination"] == "acct_bob" and sent["Transfer.create"]["amount"] == 1000
    assert sent["Transfer.create"]["idempotency_key"] == f"payout:{payout['id']}:transfer"
    assert sent["Payout.create"]["stripe_account"] == "acct_bob"
    assert sent["Payout.create"]["metadata"] == {"payout_id": payout["id"]}
    assert sent["Payout.create"]["idempotency_key"] == f"payout:{payout['id']}"

    # Stripe's event, from the connected account, settles it.
    body, headers = s.body_and_headers(s.payout("paid", payout["id"], 1000))
    assert api.call("POST", "/webhooks/stripe", raw=body, headers=headers) == (200, {"status": "processed"})
    assert ledger.balance(accounts.WORLD_PAYOUTS) == 1000
    audit()


def test_a_failed_payout_returns_the_money(api, creator, via_stripe, audit):
    api.post("/me/payout-account", {"return_url": "https://flattr.example/me"}, user="bob")
    payout = api.post("/me/payouts", {"amount": 1000}, user="bob")[1]
    assert api.me("bob")["balances"]["revenue"] == 1700
    body, headers = s.body_and_headers(s.payout("failed", payout["id"], 1000))
    assert api.call("POST", "/webhooks/stripe", raw=body, headers=headers) == (200, {"status": "processed"})
    assert api.me("bob")["balances"]["revenue"] == 2700
    audit()
