"""A supporter's month in the web app, in a real browser: sign in, top up, set the budget, flattr
through the widget on another site, see what it is worth, close the month in the developer panel,
then see the chart and the statement, and download it as CSV. axe finds nothing on any page."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from tests import stack_months
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_supporters_month(api, app, site, make_user, make_thing, stack_url):
    month = stack_months.take(stack_url)  # a past month of its own, closed in order
    api.post("/_local/clock", json={"now": f"{month}-10T12:00:00+00:00"})
    try:
        creator = make_user("creator")
        thing = make_thing(creator, title="A song worth a flattr")
        supporter = f"sup-{uuid.uuid4().hex[:6]}"
        page = app()

        # Signed out, the front page says what Flattr is and offers to sign in.
        page.goto(f"{stack_url}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("My month")
        assert_accessible(page)
        sign_in(page, stack_url, supporter)

        # A newcomer: the empty state says what to do first.
        expect(page.locator("#welcome")).to_contain_text("set a monthly budget and top up")
        assert_accessible(page)
        page.get_by_label("Monthly budget (€)").fill("5.00")
        page.get_by_role("button", name="Set budget").click()
        expect(page.locator("#budget-now")).to_have_text("€5.00")
        # No money yet: flattring can't work, and the message links to the fix.
        low = page.locator("#low-funds")
        expect(low).to_contain_text("Your funds are empty")
        expect(low.get_by_role("link", name="Top up your funds")).to_have_attribute("href", "#top-up")
        assert_accessible(page)

        # Top up with the card form: Stripe.js (here localstripe's stand-in) and test card 4242.
        page.get_by_label("Amount (€)").fill("20.00")
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        assert_accessible(page)
        page.get_by_role("button", name="Top up", exact=True).click()
        expect(page.locator("#funds")).to_have_text("€20.00", timeout=20_000)
        expect(page.locator("#low-funds")).to_have_count(0)
        expect(page.locator("#empty-month")).to_contain_text("You haven't flattred anything this month")

        # Flattr through the widget on somebody else's site: the same browser, so the same sign-in.
        blog = page.context.new_page()
        blog.goto(site.page(f'<div class="flattr-button" data-thing-id="{thing}"></div>'))
        with blog.expect_popup() as popup:
            blog.locator(".flattr-w").get_by_role("button").click()
        expect(blog.locator(".flattr-w-n")).to_have_text("1")
        popup.value.wait_for_event("close")

        # What it is worth if the month closed now: the budget less the 10% fee, one thing.
        page.reload()
        worth = page.get_by_role("table", name="What each flattr is worth if the month closed now")
        expect(worth.get_by_role("row", name=re.compile("A song worth a flattr"))).to_contain_text("€4.50")
        assert_accessible(page)

        # The month ends and closes, in the developer panel.
        page.get_by_role("link", name="Developer panel", exact=True).click()
        page.get_by_role("button", name="Move to next month").click()
        expect(page.get_by_label("Month (YYYY-MM)")).to_have_value(month)
        page.get_by_role("button", name="Close and settle").click()
        expect(page.locator("#close-out")).to_contain_text(f"{month} is closed", timeout=30_000)

        # Where the money went: the month's chart with its numbers, and the statement.
        page.goto(f"{stack_url}/money.html?month={month}")
        chart = page.get_by_role("img", name=re.compile(f"Your budget in {stack_months.name(month)}"))
        expect(chart).to_be_visible()
        page.wait_for_function("c => window.Chart && window.Chart.getChart(c)", arg=chart.element_handle())
        expect(chart).to_have_attribute(
            "aria-label", re.compile(f"€5.00 charged: €4.50 to {creator.id}, €0.50 fee")
        )
        statement = page.get_by_role("table", name="Where your budget went")
        expect(statement.get_by_role("row", name=re.compile("A song worth a flattr"))).to_contain_text(
            "€4.50"
        )
        expect(statement.get_by_role("row", name=re.compile("Platform fee"))).to_contain_text("€0.50")
        expect(statement.get_by_role("row", name=re.compile("Charged from your funds"))).to_contain_text(
            "€5.00"
        )
        expect(page.get_by_role("img", name=re.compile("Giving over the months"))).to_be_visible()
        assert_accessible(page)
        if os.environ.get("FLATTR_APP_SCREENSHOT"):  # the README's picture
            page.set_viewport_size({"width": 1200, "height": 900})
            page.screenshot(path=os.environ["FLATTR_APP_SCREENSHOT"])

        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert download.value.suggested_filename == f"flattr-statement-{month}.csv"
        lines = open(download.value.path(), encoding="utf-8").read().splitlines()
        assert lines[0] == "month,kind,thing_id,title,creator,flattrs,amount_eur"
        assert f"{month},charged from funds,,,,,-5.00" in lines
        assert f"{month},given,{thing},A song worth a flattr,{creator.id},,4.50" in lines
        assert f"{month},fee,,,,,0.50" in lines

        page.get_by_role("link", name="Printable view").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Statement for {stack_months.name(month)}")
        expect(page.get_by_role("table", name="Where your budget went")).to_contain_text("€4.50")
        assert_accessible(page)
        assert page.js_errors == []
    finally:
        api.post("/_local/clock", json={"now": None})
