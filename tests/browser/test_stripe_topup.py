"""A newcomer tops up in the web app with Stripe's test cards, through localstripe."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_declined_card_pays_nothing_and_the_test_card_pays_once(api, app, stack_url):
    user = f"topup-{uuid.uuid4().hex[:6]}"
    page = app()
    page.goto(f"{stack_url}/")
    sign_in(page, stack_url, user)
    page.get_by_label("Monthly budget (€)").fill("2.00")
    page.get_by_role("button", name="Set budget").click()
    page.get_by_label("Amount (€)").fill("5.00")
    number = page.get_by_label("Card number")
    number.fill("4000000000000341")  # a test card whose charge is declined: nothing arrives
    page.get_by_role("button", name="Top up", exact=True).click()
    expect(page.locator("#topup-form [role=status]")).to_contain_text("declined", timeout=20_000)
    assert api.get("/me", token=api.token(user)).json()["balances"]["funds"] == 0

    number.fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Top up", exact=True).click()
    expect(page.locator("#funds")).to_have_text("€5.00", timeout=20_000)
    assert api.get("/me", token=api.token(user)).json()["balances"]["funds"] == 500
    assert page.js_errors == []
