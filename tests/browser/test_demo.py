"""The demo page at /: a newcomer's two-minute walk through the whole idea, in a real browser."""

from __future__ import annotations

import os
import re
import uuid

import pytest

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

MONTH = "2042-06"  # the walk-through closes a month of its own, far from any other test's


def open_demo(reader_context, stack_url: str):
    page = reader_context(None).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack_url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Flattr")
    return page, errors


def sign_in(page, user: str) -> None:
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_role("button", name="Get a token").click()
    expect(page.locator("#signin-out")).to_contain_text(f"Signed in as {user}.")


def test_demo_page_loads_and_step_1_gives_a_token(api, reader_context, stack_url):
    page, errors = open_demo(reader_context, stack_url)
    expect(page.locator("ol.steps > li")).to_have_count(5)
    user = f"newcomer-{uuid.uuid4().hex[:6]}"
    sign_in(page, user)

    token = page.evaluate("localStorage.getItem('flattr.token')")
    assert token and token.count(".") == 2  # a JWT, kept on our origin for the Flattr window
    answer = api.get("/me", token=token)
    # The authorizer takes it (no 401); the user just has no account yet.
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "user_not_found"
    expect(page.locator("#who")).to_have_text(user)
    expect(page.locator("#step1")).to_have_class(re.compile(r"\bdone\b"))
    assert errors == []


def test_demo_walk_through(api, reader_context, stack_url):
    alice, bob = (f"{name}-{uuid.uuid4().hex[:4]}" for name in ("alice", "bob"))
    api.post("/_local/clock", json={"now": f"{MONTH}-10T12:00:00+00:00"})
    try:
        page, errors = open_demo(reader_context, stack_url)
        # 1 and 2: a creator signs in, pays in and sets a budget.
        sign_in(page, alice)
        page.get_by_label("Deposit €").fill("20.00")
        page.get_by_label("Budget €/month").fill("10.00")
        page.get_by_role("button", name="Deposit & set budget").click()
        said = f"{alice} deposited €20.00 and gives €10.00 a month."
        expect(page.locator("#fund-out")).to_contain_text(said)
        alice_row = page.locator("#balances tr", has_text=alice)
        expect(alice_row).to_contain_text("€20.00")
        expect(page.locator("#month")).to_have_text(MONTH)

        # 3: she registers a thing and its live button appears.
        page.get_by_label("Title").fill("Alice's first song")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("#thing-out")).to_contain_text("Registered")
        card = page.locator(".thing", has_text="Alice's first song")
        button = card.locator("div.flattr-button").get_by_role("button")
        expect(button).to_have_accessible_name(re.compile("Alice's first song.*0 flattrs"))
        expect(card.locator(".comment").get_by_role("button")).to_have_count(1)  # the [Flattr=id] text

        # 4: a reader flattrs it through the real widget; a crowd joins in.
        page.get_by_label("Switch to").fill(bob)
        page.get_by_role("button", name="Switch user").click()
        expect(page.locator("#switch-out")).to_contain_text(f"Now signed in as {bob}.")
        with page.expect_popup() as info:
            button.click()
        expect(card.locator("div.flattr-button .flattr-w-m")).to_have_text("Thanks! You flattred this.")
        info.value.wait_for_event("close")
        page.get_by_label("Seed", exact=True).fill("3")
        page.get_by_role("button", name="Seed", exact=True).click()
        expect(page.locator("#seed-out")).to_contain_text("Seeded 3 users", timeout=30_000)
        expect(page.locator("#seed-progress")).to_have_js_property("value", 3)

        # 5: the month ends, closes and settles; statements and balances show where the money went.
        page.get_by_role("button", name="Do all four").click()
        expect(page.locator("#step5")).to_have_class(re.compile(r"\bdone\b"), timeout=30_000)
        expect(page.locator("#month-summary")).to_contain_text(f"{MONTH} (closed)")
        statements = page.locator("#statement-list")
        expect(statements.locator("tr", has_text=bob)).to_contain_text("→ Alice's first song")
        expect(statements.locator("tr", has_text=alice)).to_contain_text("for Alice's first song")
        expect(page.locator("#month")).to_have_text("2042-07")
        revenue = api.get("/me", token=api.token(alice)).json()["balances"]["revenue"]
        assert revenue > 0
        expect(alice_row).to_contain_text(f"€{revenue // 100}.{revenue % 100:02d}")
        assert errors == []
        if os.environ.get("FLATTR_DEMO_SCREENSHOT"):
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=os.environ["FLATTR_DEMO_SCREENSHOT"], full_page=True)
    finally:
        api.post("/_local/clock", json={"now": None})
