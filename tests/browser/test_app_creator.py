"""A creator's month in the web app, in a real browser: the give-to-get warning and its fix, register
a thing, copy its snippet (which works on another site), see its QR code, get paid, request a payout."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests import stack_months
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_creators_month(api, app, site, make_user, stack_url):
    month = stack_months.take(stack_url)  # a past month of its own, closed in order
    api.post("/_local/clock", json={"now": f"{month}-10T12:00:00+00:00"})
    try:
        creator = f"maker-{uuid.uuid4().hex[:6]}"
        page = app()
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack_url)
        page.goto(f"{stack_url}/creator.html")
        sign_in(page, stack_url, creator)
        expect(page.get_by_role("heading", level=1)).to_have_text("Creator dashboard")

        # Give to get: with a budget but no funds, the buttons take no flattrs. Said plainly, with the fix.
        page.goto(f"{stack_url}/index.html")
        page.get_by_label("Monthly budget (€)").fill("5.00")
        page.get_by_role("button", name="Set budget").click()
        expect(page.locator("#budget-now")).to_have_text("€5.00")
        page.get_by_role("link", name="Creator dashboard").click()
        warning = page.locator("#give-to-get")
        expect(warning).to_contain_text("Your buttons can't take flattrs right now")
        expect(warning.get_by_role("link", name="top up your funds")).to_have_attribute(
            "href", "index.html#top-up"
        )
        assert_accessible(page)
        assert api.post("/_local/deposit", json={"user_id": creator, "amount": 500}).status_code == 200
        page.reload()
        expect(page.get_by_role("heading", name="Your revenue")).to_be_visible()
        expect(page.locator("#give-to-get")).to_have_count(0)

        # Register a thing; its snippets and QR code open with it.
        page.get_by_role("link", name="My things").click()
        url = f"{site.origin}/songs/{uuid.uuid4().hex[:8]}"
        page.get_by_label("URL").fill(url)
        page.get_by_label("Title").fill("Creator's new song")
        page.get_by_label("Description (optional)").fill("Three minutes of joy.")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("#register .status")).to_contain_text("Registered “Creator's new song”")
        thing = api.get(f"/things/lookup?url={url}").json()["id"]
        page.get_by_role("button", name="Copy: Flattr button (HTML)").click()
        snippet = page.evaluate("navigator.clipboard.readText()")
        assert f'data-thing-id="{thing}"' in snippet and "widget.js" in snippet
        expect(page.get_by_role("textbox", name="Text tag, for any text")).to_have_value(f"[Flattr={thing}]")
        payment = page.get_by_role("textbox", name="Payment link, in your page's <head>")
        expect(payment).to_have_value(re.compile(r'^<link rel="payment" href=".*/submit/auto\?user_id='))

        # The QR code renders in the browser (an SVG without its namespace showed as nothing).
        qr = page.get_by_role(
            "img", name=re.compile("QR code that opens the Flattr page of “Creator's new song”")
        )
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
        with page.expect_download() as png:
            page.get_by_role("button", name="Download PNG").click()
        assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        assert_accessible(page)

        # The copied snippet, pasted into another site, is a working button.
        blog = page.context.new_page()
        blog.goto(site.page(snippet))
        expect(blog.locator(".flattr-w").get_by_role("button")).to_have_accessible_name(
            re.compile("Creator's new song")
        )

        # Three supporters flattr it; the month closes; the creator is paid.
        for _ in range(3):
            fan = make_user("fan")
            assert api.post(f"/things/{thing}/flattr", token=fan.token).status_code == 201
        api.post("/_local/clock", json={"now": f"{stack_months.following(month)}-01T00:10:00+00:00"})
        assert (
            api.post(f"/admin/months/{month}/close", token=api.token("admin", admin=True)).status_code == 202
        )
        assert api.post("/_local/drain").status_code == 200
        # Lists show counts folded from the click shards within seconds (a minute on AWS): wait for it.
        deadline = time.monotonic() + 60
        while api.get(f"/users/{creator}/things").json()["things"][0]["flattrs"] != 3:
            assert time.monotonic() < deadline, "the counts were never folded"
            time.sleep(0.5)

        page.goto(f"{stack_url}/creator.html")
        expect(page.locator("#revenue")).to_have_text("€13.50")  # 3 x (€5.00 less the 10% fee)
        earnings = page.get_by_role("img", name=re.compile("Earnings per month"))
        page.wait_for_function("c => window.Chart && window.Chart.getChart(c)", arg=earnings.element_handle())
        page.get_by_text("Earnings per month: the numbers").click()  # the chart's text alternative
        expect(
            page.get_by_role("table", name="Earnings per month").get_by_role(
                "row", name=re.compile(stack_months.name(month))
            )
        ).to_contain_text("€13.50")
        per_thing = page.get_by_role("table", name="Supporters and flattrs per thing")
        expect(per_thing.get_by_role("row", name=re.compile("Creator's new song"))).to_contain_text("3")
        assert_accessible(page)

        page.get_by_label("Payout amount (€)").fill("10.00")
        page.get_by_role("button", name="Request payout").click()
        expect(page.get_by_text("Payout of €10.00 requested: pending.")).to_be_visible()
        expect(page.locator("#revenue")).to_have_text("€3.50")
        payouts = page.get_by_role("table", name="Your payouts, newest first")
        expect(payouts.get_by_role("row", name=re.compile("pending"))).to_contain_text("€10.00")
        page.reload()  # and it stays listed, with its status
        expect(
            page.get_by_role("table", name="Your payouts, newest first").get_by_role(
                "row", name=re.compile("pending")
            )
        ).to_contain_text("€10.00")
        assert page.js_errors == []
    finally:
        api.post("/_local/clock", json={"now": None})
