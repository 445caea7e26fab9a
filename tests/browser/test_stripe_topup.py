"""A newcomer tops up from the local page with Stripe's test card, through localstripe."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.test_demo import open_demo, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_newcomer_tops_up_with_the_test_card(api, reader_context, stack_url):
    page, errors = open_demo(reader_context, stack_url)
    user = f"topup-{uuid.uuid4().hex[:6]}"
    sign_in(page, user)
    number = page.get_by_label("Card number")
    number.fill("4000000000000341")  # a test card whose charge is declined: nothing arrives
    page.get_by_label("Deposit €").fill("5.00")
    page.get_by_label("Budget €/month").fill("2.00")
    page.get_by_role("button", name="Deposit & set budget").click()
    expect(page.locator("#fund-out")).to_contain_text("declined")

    number.fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Deposit & set budget").click()
    expect(page.locator("#fund-out")).to_contain_text(f"{user} deposited €5.00", timeout=20_000)
    assert api.get("/me", token=api.token(user)).json()["balances"]["funds"] == 500
    assert errors == []
