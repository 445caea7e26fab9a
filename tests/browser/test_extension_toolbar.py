"""Överallt's toolbar button and switches, in Chromium with the built extension: a registered page is
flattred through our window from the page itself, a page naming its owner is offered, others are told
plainly; a site switched off keeps its tags as text."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import in_extension, sign_in_storage, toolbar

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_toolbar_flattrs_a_registered_page(api, site, make_user, make_thing, extension, ext_page, stack_url):
    url = f"{site.origin}/post-{uuid.uuid4().hex[:8]}.html"
    reader = make_user("reader")
    thing = make_thing(make_user("owner"), url=url, title="This very page")
    site._server.pages[url[len(site.origin) :]] = b"<!doctype html><title>p</title><p>A page</p>"
    sign_in_storage(extension[0], stack_url, reader)
    ext_page.goto(url)
    popup, tab_id = toolbar(extension, ext_page)
    expect(popup.get_by_role("status")).to_have_text("This page is on Flattr.")
    expect(popup.locator("#title")).to_have_text("This very page")
    badge = "(t) => chrome.action.getBadgeText({tabId: t})"
    assert in_extension(extension, badge, tab_id) == "+"
    with ext_page.expect_popup() as info:  # opened by the page's content script: it hears the outcome
        popup.get_by_role("button", name="Flattr this page").click()
    window = info.value
    assert window.url.startswith(f"{stack_url}/flattr.html?thing={thing}&origin=")
    window.wait_for_event("close")
    assert api.get(f"/things/{thing}", token=reader.token).json()["flattred"] is True
    assert in_extension(extension, badge, tab_id) == "\u2713"
    again, _ = toolbar(extension, ext_page)
    expect(again.get_by_role("status")).to_have_text("You flattred this page this month.")


def test_toolbar_offers_an_auto_submit_link_or_says_nobody_registered(site, extension, ext_page, stack_url):
    ext_page.goto(site.page("<p>Nobody's page</p>", widget=False))
    popup, tab_id = toolbar(extension, ext_page)
    expect(popup.get_by_role("status")).to_have_text("Nobody has registered this page on Flattr.")
    expect(popup.get_by_role("button", name="Flattr this page")).to_be_hidden()
    assert in_extension(extension, "(t) => chrome.action.getBadgeText({tabId: t})", tab_id) == ""
    popup.close()

    auto = f"https://flattr.com/submit/auto?user_id=alice&url={site.origin}/x&title=Alice%27s%20post"
    link = f'<link rel="payment" href="{auto}">'
    ext_page.goto(site.page("<p>Alice's page</p>", head=link, widget=False))
    popup, tab_id = toolbar(extension, ext_page)
    expect(popup.get_by_role("status")).to_contain_text("names its owner, alice")
    with popup.context.expect_page() as info:
        popup.get_by_role("button", name="Flattr this page").click()
    window = info.value  # our /submit/auto, which sends the window on to the question
    window.wait_for_url(re.compile("^" + re.escape(f"{stack_url}/flattr.html?submit=")))
    expect(window.get_by_role("status")).to_contain_text("adds it for alice")


def test_a_site_switched_off_keeps_its_tags_as_text(site, make_user, make_thing, extension, ext_page):
    thing = make_thing(make_user("owner"))
    ext_page.goto(site.page(f"<p id='post'>[Flattr={thing}]</p>", widget=False))
    expect(ext_page.locator("#post").get_by_role("button")).to_have_count(1)
    popup, _ = toolbar(extension, ext_page)
    switch = popup.get_by_label(re.compile("tags on localhost"))
    expect(switch).to_be_checked()
    try:
        switch.uncheck()
        popup.wait_for_function(
            "chrome.scripting.getRegisteredContentScripts()"
            ".then(s => (s[0]?.excludeMatches || []).length === 2)"  # none while re-registered
        )
        ext_page.goto(site.page(f"<p id='post'>[Flattr={thing}]</p>", widget=False))
        ext_page.wait_for_timeout(500)
        expect(ext_page.locator("#post")).to_have_text(f"[Flattr={thing}]")
    finally:
        switch.check()
        popup.wait_for_function(
            "chrome.scripting.getRegisteredContentScripts()"
            ".then(s => s.length > 0 && !(s[0].excludeMatches || []).length)"
        )


def test_content_scripts_may_ask_the_background_for_things_by_id_only(extension, make_user, make_thing):
    """The background fetches for the tag script, thing reads only: never a URL lookup or the user's data."""
    thing = make_thing(make_user("owner"))
    ask = """(paths) => Promise.all(paths.map((path) => chrome.runtime.sendMessage({type: "get", path})
        .then((r) => r ? r.status : "refused", () => "refused")))"""
    assert in_extension(extension, ask, [f"/things/{thing}", f"/rest/v2/things/{thing},12"]) == [200, 200]
    refused = [
        "/things/lookup?url=https%3A%2F%2Fsecret.example%2F",
        "/me",
        f"/things/{thing}/flattr",
        "/rest/v2/things/12,x",
        "//evil.example/things/1",
        f"/things/{thing}?x",
        "/health",
    ]
    assert in_extension(extension, ask, refused) == ["refused"] * len(refused)
