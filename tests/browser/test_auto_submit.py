"""Flattr's auto-submit links in a real browser: a page on another site names its owner and itself in
`<link rel="payment" href=".../submit/auto?user_id=&url=&title=">`, as Flattr's docs had sites do, and
the widget turns that into a button. The first flattr, confirmed by the reader in our window, makes the
thing for that owner; the reader's token never leaves our origin."""

from __future__ import annotations

import json
import re
import uuid
from html import escape
from urllib.parse import quote, urlencode

import pytest

from tests.browser.test_widget import RECORD_MESSAGES, SAYS, click_and_get_popup, script

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

INVALID = "This Flattr link is not valid."  # widget/widget.js, TEXT.invalid


def auto_submit(host: str = "https://flattr.com", **fields: str) -> str:
    return f"{host}/submit/auto?{urlencode(fields)}"


def payment_link(href: str, rel: str = "payment") -> str:
    return f'<link rel="{rel}" href="{escape(href)}">'


def looked_up(api, url: str):
    """The thing registered for `url`, or None."""
    response = api.get("/things/lookup", params={"url": url})
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


def new_post(site) -> str:
    return f"{site.origin}/posts/{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------- (a) the first flattr makes the thing


def test_flattr_com_payment_link_becomes_a_button_that_submits_and_flattrs(
    api, site, make_user, reader_context, stack_url
):
    owner, reader = make_user("owner"), make_user("reader")
    url, title = new_post(site), "Moved here from Flattr"
    href = auto_submit(user_id=owner.id, url=url, title=title, tags="blog,moving", category="text")
    page = reader_context(reader).new_page()
    page.add_init_script(RECORD_MESSAGES)
    page.goto(
        site.page(
            "<p>A post that used to have a Flattr button.</p>", head=payment_link(href, "license payment")
        )
    )
    assert looked_up(api, url) is None

    # No placeholder on the page: the button goes at the end of the body, as a real, labelled button.
    host = page.locator("body > .flattr-w:last-child")
    button, count, status = (
        host.get_by_role("button"),
        host.locator(".flattr-w-n"),
        host.get_by_role("status"),
    )
    expect(count).to_have_text("0")
    expect(button).to_have_accessible_name(re.compile(r"^Flattr .Moved here from Flattr., 0 flattrs$"))
    expect(button).to_be_enabled()

    # Our window, on our origin whatever host the link named, shows what is about to be made and for whom.
    popup = click_and_get_popup(page, button)
    expect(popup.get_by_role("heading", name=title)).to_be_visible()
    assert popup.url.startswith(f"{stack_url}/flattr.html?submit=")
    assert reader.token not in popup.url
    expect(popup.get_by_text(url, exact=True)).to_be_visible()
    expect(popup.locator("#thing-owner")).to_have_text(owner.id)
    expect(status).to_have_text("Continue in the Flattr window\u2026")
    assert looked_up(api, url) is None  # nothing is made before the reader confirms

    popup.get_by_role("button", name="Flattr it").click()
    expect(status).to_have_text(SAYS["flattred"])
    expect(count).to_have_text("1")
    expect(button).to_have_accessible_name(re.compile(r"^Flattred .Moved here from Flattr., 1 flattr$"))
    popup.wait_for_event("close")

    thing = looked_up(api, url)
    assert thing is not None
    assert thing["owner"]["user_id"] == owner.id
    assert (thing["title"], thing["flattrs"], thing["category"]) == (title, 1, "text")
    assert sorted(thing["tags"]) == ["blog", "moving"]
    assert api.get(f"/things/{thing['id']}", token=reader.token).json()["flattred"] is True

    # The page heard only our origin, with the new thing's id and count, never the token.
    heard = page.evaluate("window.__heard")
    assert {h["origin"] for h in heard} == {stack_url}
    result = json.loads(heard[-1]["data"])
    assert (result["type"], result["status"], result["thing_id"], result["flattrs"]) == (
        "flattr:result",
        "flattred",
        thing["id"],
        1,
    )
    assert not any(part in h["data"] for h in heard for part in reader.token.split("."))

    # Again this month: the reader is told, and nothing is counted twice.
    popup = click_and_get_popup(page, button)
    expect(status).to_have_text(SAYS["already_flattred"])
    expect(count).to_have_text("1")
    popup.wait_for_event("close")
    assert looked_up(api, url)["flattrs"] == 1

    # A later visit finds the thing by its URL.
    page.reload()
    expect(page.locator(".flattr-w .flattr-w-n")).to_have_text("1")
    expect(page.locator(".flattr-w").get_by_role("button")).to_have_accessible_name(
        re.compile(r"^Flattr .Moved here from Flattr., 1 flattr$")
    )


def test_button_goes_into_the_placeholder_and_works_on_our_own_auto_submit_url(
    api, site, make_user, reader_context, stack_url
):
    owner, reader = make_user("owner"), make_user("reader")
    url = new_post(site)  # no title: the window shows the URL instead
    page = reader_context(reader).new_page()
    body = '<p>Before</p><p id="pay" data-flattr-payment></p><p id="after">After</p>'
    page.goto(site.page(body, head=payment_link(auto_submit(stack_url, user_id=owner.id, url=url))))

    button = page.locator("#pay").get_by_role("button")
    expect(page.locator("#pay .flattr-w-n")).to_have_text("0")
    expect(page.get_by_role("button")).to_have_count(1)
    popup = click_and_get_popup(page, button)
    expect(popup.get_by_role("heading", name=url)).to_be_visible()
    popup.get_by_role("button", name="Flattr it").click()
    expect(page.locator("#pay").get_by_role("status")).to_have_text(SAYS["flattred"])
    expect(page.locator("#pay .flattr-w-n")).to_have_text("1")
    popup.wait_for_event("close")
    assert looked_up(api, url)["owner"]["user_id"] == owner.id


def test_payment_link_added_later_is_picked_up_on_scan(site, make_user, reader_context):
    owner = make_user("owner")
    page = reader_context(None).new_page()
    page.goto(site.page("<div id='feed'></div><p id='slot' data-flattr-payment></p>"))
    page.wait_for_function("window.FlattrWidget !== undefined")
    page.evaluate(
        """(href) => {
            const link = document.createElement("link");
            link.rel = "payment";
            link.href = href;
            const feed = document.getElementById("feed");
            feed.append(link);
            window.FlattrWidget.scan(feed);
            window.FlattrWidget.scan(feed);  // twice: still one button
        }""",
        auto_submit(user_id=owner.id, url=new_post(site), title="Added later"),
    )
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.locator("#slot").get_by_role("button")).to_have_accessible_name(
        re.compile(r"^Flattr .Added later., 0 flattrs$")
    )


# ---------------------------------------------------------------- (b) only auto-submit payment links


def test_links_that_are_not_auto_submit_payment_links_get_no_button(
    api, site, make_user, make_thing, reader_context
):
    owner, reader = make_user("owner"), make_user("reader")
    control = make_thing(owner)
    url = new_post(site)
    head = "".join(
        [
            payment_link(f"https://example.com/donate?{urlencode({'user_id': owner.id, 'url': url})}"),
            payment_link("https://flattr.com/thing/12345/A-post"),
            payment_link(
                f"https://flattr.com/submit/autopilot?{urlencode({'user_id': owner.id, 'url': url})}"
            ),
            payment_link(f"mailto:someone@example.com?{urlencode({'user_id': owner.id, 'url': url})}"),
            payment_link(auto_submit(user_id=owner.id, url=url), rel="alternate"),  # not rel=payment
            payment_link(auto_submit(user_id=owner.id, url=url), rel="stylesheet-payment"),  # not the token
        ]
    )
    page = reader_context(reader).new_page()
    page.goto(site.page(f"<p>[Flattr={control}]</p><div id='pay' data-flattr-payment></div>", head=head))

    expect(page.locator(".flattr-w-n")).to_have_text("0")  # the widget ran: the control's button
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.locator("#pay")).to_be_empty()
    assert looked_up(api, url) is None


# ---------------------------------------------------------------- (c) a broken link says so


def test_auto_submit_link_without_owner_shows_an_error_and_changes_nothing(
    api, site, make_user, reader_context, stack_url
):
    reader = make_user("reader")
    url = new_post(site)
    page = reader_context(reader).new_page()
    page.goto(
        site.page(
            '<div id="pay" data-flattr-payment></div>',
            head=payment_link(auto_submit(url=url, title="Nobody's post")),
        )
    )
    button = page.locator("#pay").get_by_role("button")
    expect(page.locator("#pay").get_by_role("status")).to_have_text(INVALID)
    expect(button).to_be_disabled()
    expect(button).to_have_accessible_name(re.compile(r"^Flattr .Nobody's post. \(unavailable\)$"))
    assert looked_up(api, url) is None
    # Our side refuses it too, were it opened some other way.
    refused = api.get(f"/submit/auto?{urlencode({'url': url})}", allow_redirects=False)
    assert refused.status_code == 400
    popup = page.context.new_page()
    popup.goto(f"{stack_url}/flattr.html?submit={quote(auto_submit(stack_url, url=url), safe='')}")
    expect(popup.get_by_role("status")).to_have_text("This Flattr link does not name an owner and a page.")
    expect(popup.get_by_role("button", name="Flattr it")).to_be_hidden()
    assert looked_up(api, url) is None


def test_link_naming_another_owner_for_a_registered_url_shows_an_error(
    api, site, make_user, make_thing, reader_context
):
    owner, impostor, reader = make_user("owner"), make_user("impostor"), make_user("reader")
    url = new_post(site)
    make_thing(owner, url=url)
    page = reader_context(reader).new_page()
    page.goto(site.page("", head=payment_link(auto_submit(user_id=impostor.id, url=url, title="Not yours"))))
    expect(page.locator(".flattr-w").get_by_role("status")).to_have_text(INVALID)
    expect(page.locator(".flattr-w").get_by_role("button")).to_be_disabled()
    assert looked_up(api, url)["owner"]["user_id"] == owner.id


# ---------------------------------------------------------------- refusals, before the thing exists


def test_signed_out_reader_signs_in_in_the_window_then_flattrs(api, site, make_user, reader_context):
    owner = make_user("owner")
    url = new_post(site)
    page = reader_context(None).new_page()
    page.goto(site.page("", head=payment_link(auto_submit(user_id=owner.id, url=url, title="Sign in first"))))
    host = page.locator(".flattr-w")
    expect(host.locator(".flattr-w-n")).to_have_text("0")

    popup = click_and_get_popup(page, host.get_by_role("button"))
    expect(host.get_by_role("status")).to_have_text(SAYS["unauthorized"])
    expect(popup.get_by_role("link", name="Sign in")).to_be_focused()
    reader = make_user("reader")
    popup.get_by_role("link", name="Sign in").click()
    popup.get_by_label("User name").fill(reader.id)
    popup.get_by_role("button", name="Sign in").click()
    assert looked_up(api, url) is None
    popup.get_by_role("button", name="Flattr it").click()
    expect(host.get_by_role("status")).to_have_text(SAYS["flattred"])
    expect(host.locator(".flattr-w-n")).to_have_text("1")
    popup.wait_for_event("close")
    assert looked_up(api, url)["flattrs"] == 1


@pytest.mark.parametrize("case", ["no_means", "flattr_owner", "cancelled"])
def test_refusals_say_why_and_make_nothing(case, api, site, make_user, reader_context):
    owner = make_user("owner")
    reader = {"no_means": lambda: make_user("reader", funded=False), "flattr_owner": lambda: owner}.get(
        case, lambda: make_user("reader")
    )()
    url = new_post(site)
    page = reader_context(reader).new_page()
    page.goto(site.page("", head=payment_link(auto_submit(user_id=owner.id, url=url, title="Refused post"))))
    host = page.locator(".flattr-w")
    expect(host.locator(".flattr-w-n")).to_have_text("0")

    popup = click_and_get_popup(page, host.get_by_role("button"))
    popup.get_by_role("button", name="Cancel" if case == "cancelled" else "Flattr it").click()
    expect(host.get_by_role("status")).to_have_text("Not flattred." if case == "cancelled" else SAYS[case])
    expect(host.locator(".flattr-w-n")).to_have_text("0")
    popup.wait_for_event("close")
    thing = looked_up(api, url)
    if case == "no_means":
        # v2's flattr by URL registers the thing before the click checks the reader's means: it may stay, unflattred.
        assert thing is None or (thing["owner"]["user_id"], thing["flattrs"]) == (owner.id, 0)
    else:
        assert thing is None


def test_window_reports_a_repeat_by_auto_submit_url_as_already_flattred(
    api, site, make_user, reader_context, stack_url
):
    """v2 answers a repeat with flattr_once and no thing: the window finds the thing and reports it
    the way the widget knows, with its id and count."""
    owner, reader = make_user("owner"), make_user("reader")
    auto = auto_submit(stack_url, user_id=owner.id, url=new_post(site), title="Flattred before")
    first = api.post("/rest/v2/flattr", token=reader.token, json={"url": auto})
    assert first.status_code == 200, first.text
    thing_id = first.json()["thing"]["id"]

    page = reader_context(reader).new_page()
    page.goto(site.page("<button id='open'>open</button>" + script(RECORD_MESSAGES)))
    window = (
        f"{stack_url}/flattr.html?submit={quote(auto + '&' + urlencode({'origin': site.origin}), safe='')}"
    )
    page.evaluate(
        "(u) => document.getElementById('open').onclick = () => window.open(u, 'flattr', 'popup')", window
    )
    with page.expect_popup() as info:
        page.click("#open")
    popup = info.value
    popup.get_by_role("button", name="Flattr it").click()
    expect(popup.get_by_role("status")).to_have_text("You already flattred this thing this month.")
    popup.wait_for_event("close")
    results = [json.loads(h["data"]) for h in page.evaluate("window.__heard")]
    results = [r for r in results if r["type"] == "flattr:result"]
    assert [(r["status"], r["thing_id"], r["flattrs"]) for r in results] == [
        ("already_flattred", thing_id, 1)
    ]
