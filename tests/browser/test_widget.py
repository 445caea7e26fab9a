"""The embeddable button in a real browser: a page on another site embeds widget.js, the reader is
signed in on our origin only, and the flattr happens in a first-party window on our origin."""

from __future__ import annotations

import gzip
import json
import re
import time

import pytest
import requests

from tests import stack_months

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

# What the widget says, by outcome (widget/widget.js, TEXT).
SAYS = {
    "flattred": "Thanks! You flattred this.",
    "already_flattred": "You already flattred this thing this month.",
    "unauthorized": "Sign in to Flattr in the window that opened.",
    "no_means": "Add funds and a monthly budget on Flattr first.",
    "flattr_owner": "This is your own thing: you can't flattr it.",
    "owner_not_participating": "Its owner doesn't give on Flattr yet, so it can't take flattrs.",
    "month_closed": "Your month is already settled: try again next month.",
    "thing_not_found": "This thing isn't on Flattr.",
}
NO_THING = 4_503_599_627_370_497  # a valid-looking id that names no thing (ids are random below 2**53)


def button_div(thing_id: int) -> str:
    return f'<div class="flattr-button" data-thing-id="{thing_id}"></div>'


def widget(page, thing_id: int):
    host = page.locator(f'.flattr-button[data-thing-id="{thing_id}"]')
    return host.get_by_role("button"), host.locator(".flattr-w-n"), host.get_by_role("status")


def flattrs(api, thing_id: int) -> int:
    return api.get(f"/things/{thing_id}").json()["flattrs"]


def click_and_get_popup(page, button):
    with page.expect_popup() as info:
        button.click()
    return info.value


# ---------------------------------------------------------------- (a) the whole round trip


def test_reader_flattrs_from_another_site_and_the_count_goes_up(
    api, site, make_user, make_thing, reader_context, stack_url
):
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner, title="Cross-site post")
    page = reader_context(reader).new_page()
    page.goto(site.page(button_div(thing)))
    assert page.evaluate("location.origin") != stack_url

    button, count, status = widget(page, thing)
    expect(count).to_have_text("0")
    expect(button).to_have_accessible_name(re.compile(r"^Flattr .Cross-site post., 0 flattrs$"))

    popup = click_and_get_popup(page, button)
    assert popup.url.startswith(f"{stack_url}/flattr.html?thing={thing}&origin=")
    expect(status).to_have_text(SAYS["flattred"])
    expect(count).to_have_text("1")
    expect(button).to_have_accessible_name(re.compile(r"^Flattred .Cross-site post., 1 flattr$"))
    popup.wait_for_event("close")  # it reports, then closes itself
    assert flattrs(api, thing) == 1
    assert api.get(f"/things/{thing}", token=reader.token).json()["flattred"] is True


# ---------------------------------------------------------------- (b) plain-text tags, and the URL form


def test_plain_text_tag_becomes_a_button(api, site, make_user, make_thing, reader_context):
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner)
    tag = f"[Flattr={thing}]"
    body = (
        f'<p id="post">Like this? {tag} Thanks for reading.</p>'
        f'<p id="code">Write <code>{tag}</code> in any text.</p>'
        f'<textarea id="draft">{tag}</textarea>'
        f'<pre id="pre">{tag}</pre>'
        f'<script type="text/plain" id="data">{tag}</script>'
    )
    page = reader_context(reader).new_page()
    page.goto(site.page(body))

    post = page.locator("#post")
    expect(post.get_by_role("button")).to_have_count(1)
    expect(post).to_contain_text("Like this?")
    expect(post).to_contain_text("Thanks for reading.")
    expect(post).not_to_contain_text("[Flattr=")
    expect(post.locator(".flattr-w-n")).to_have_text("0")
    # Code, editable text, preformatted text and scripts keep the tag as written.
    expect(page.locator("#code code")).to_have_text(tag)
    expect(page.locator("#draft")).to_have_value(tag)
    expect(page.locator("#pre")).to_have_text(tag)
    assert page.locator("#data").text_content() == tag

    popup = click_and_get_popup(page, post.get_by_role("button"))
    expect(post.get_by_role("status")).to_have_text(SAYS["flattred"])
    expect(post.locator(".flattr-w-n")).to_have_text("1")
    popup.wait_for_event("close")


def test_content_added_later_is_picked_up_on_scan(site, make_user, make_thing, reader_context):
    owner = make_user("owner")
    first, second = make_thing(owner), make_thing(owner)
    page = reader_context(None).new_page()
    page.goto(site.page("<div id='feed'></div>"))
    page.wait_for_function("window.FlattrWidget !== undefined")
    page.evaluate(
        """([a, b]) => {
            const p = document.createElement("p");
            p.textContent = `A comment, added later [Flattr=${a}]`;
            const div = document.createElement("div");
            div.className = "flattr-button";
            div.dataset.thingId = String(b);
            const feed = document.getElementById("feed");
            feed.append(p, div);
            window.FlattrWidget.scan(feed);
        }""",
        [first, second],
    )
    expect(page.locator("#feed").get_by_role("button")).to_have_count(2)
    expect(widget(page, second)[1]).to_have_text("0")


def test_button_by_url(api, site, make_user, make_thing, reader_context):
    owner, reader = make_user("owner"), make_user("reader")
    url = f"{site.origin}/articles/by-url"
    thing = make_thing(owner, url=url, title="Found by its URL")
    page = reader_context(reader).new_page()
    page.goto(
        site.page(
            f'<div class="flattr-button" id="b" data-flattr-url="{url}"></div>'
            '<div class="flattr-button" id="nope" data-flattr-url="https://not-registered.example/"></div>'
        )
    )
    button = page.locator("#b").get_by_role("button")
    expect(button).to_have_accessible_name(re.compile("Found by its URL"))
    expect(page.locator("#b .flattr-w-n")).to_have_text("0")
    expect(page.locator("#nope").get_by_role("button")).to_be_disabled()
    expect(page.locator("#nope").get_by_role("status")).to_have_text(SAYS["thing_not_found"])

    popup = click_and_get_popup(page, button)
    expect(page.locator("#b .flattr-w-n")).to_have_text("1")
    popup.wait_for_event("close")
    assert flattrs(api, thing) == 1


# ---------------------------------------------------------------- (c) keyboard


def test_button_works_from_the_keyboard(api, site, make_user, make_thing, reader_context):
    owner, reader = make_user("owner"), make_user("reader")
    first, second = make_thing(owner), make_thing(owner)
    page = reader_context(reader).new_page()
    page.goto(site.page(f"<p><a href='#top'>a link first</a></p>{button_div(first)}{button_div(second)}"))
    expect(widget(page, second)[1]).to_have_text("0")

    page.keyboard.press("Tab")  # the link
    page.keyboard.press("Tab")  # the first button: a real <button> is in the tab order
    button, count, status = widget(page, first)
    expect(button).to_be_focused()
    with page.expect_popup() as info:
        page.keyboard.press("Enter")
    expect(status).to_have_text(SAYS["flattred"])
    expect(count).to_have_text("1")
    info.value.wait_for_event("close")

    button, count, status = widget(page, second)
    button.focus()
    with page.expect_popup() as info:
        page.keyboard.press("Space")
    expect(status).to_have_text(SAYS["flattred"])
    expect(count).to_have_text("1")
    info.value.wait_for_event("close")
    assert flattrs(api, first) == flattrs(api, second) == 1


# ---------------------------------------------------------------- (d) every refusal, in words


def _click_and_expect(page, thing: int, says: str, popup_closes: bool = True):
    button, _, status = widget(page, thing)
    popup = click_and_get_popup(page, button)
    expect(status).to_have_text(says)
    if popup_closes:
        popup.wait_for_event("close")
    return popup


@pytest.mark.parametrize(
    "case", ["no_means", "flattr_owner", "owner_not_participating", "thing_not_found", "already_flattred"]
)
def test_each_refusal_shows_its_message(case, api, site, make_user, make_thing, reader_context):
    gives = case != "owner_not_participating"
    owner = make_user("owner", funded=gives, account=gives)
    reader = {
        "no_means": lambda: make_user("reader", funded=False),  # a budget, but no money
        "flattr_owner": lambda: owner,
    }.get(case, lambda: make_user("reader"))()
    thing = NO_THING if case == "thing_not_found" else make_thing(owner)
    if case == "thing_not_found":
        assert api.get(f"/things/{thing}").status_code == 404
    if case == "already_flattred":
        assert api.post(f"/things/{thing}/flattr", token=reader.token).status_code == 201

    page = reader_context(reader).new_page()
    page.goto(site.page(button_div(thing)))
    if case == "thing_not_found":  # known before any click: the button says so, and is not offered
        button, count, status = widget(page, thing)
        expect(status).to_have_text(SAYS[case])
        expect(button).to_be_disabled()
        expect(button).to_have_accessible_name("Flattr (unavailable)")
        expect(count).to_have_text("")
        return
    expect(widget(page, thing)[1]).to_have_text("1" if case == "already_flattred" else "0")
    _click_and_expect(page, thing, SAYS[case])
    if case == "already_flattred":
        expect(widget(page, thing)[1]).to_have_text("1")
    else:
        assert thing == NO_THING or flattrs(api, thing) == 0


def test_not_signed_in_says_so_and_the_window_offers_sign_in(
    api, site, make_user, make_thing, reader_context
):
    owner = make_user("owner")
    thing = make_thing(owner)
    page = reader_context(None).new_page()
    page.goto(site.page(button_div(thing)))
    popup = _click_and_expect(page, thing, SAYS["unauthorized"], popup_closes=False)
    expect(popup.get_by_role("status")).to_have_text("You are not signed in to Flattr.")
    expect(popup.get_by_role("link", name="Sign in")).to_be_focused()

    # Sign in right there (the sign-in page, then back), as a reader who gives: the flattr goes
    # through and the button hears it.
    reader = make_user("reader")
    popup.get_by_role("link", name="Sign in").click()
    popup.get_by_label("User name").fill(reader.id)
    popup.get_by_role("button", name="Sign in").click()
    expect(widget(page, thing)[2]).to_have_text(SAYS["flattred"])
    expect(widget(page, thing)[1]).to_have_text("1")
    popup.wait_for_event("close")
    assert api.get(f"/things/{thing}", token=reader.token).json()["flattred"] is True


def test_month_closed(api, site, make_user, make_thing, reader_context):
    """A reader whose month is already settled gets month_closed, never a silently dropped click."""
    admin = api.token("browser-admin", admin=True)
    try:
        month = stack_months.take(api.url)
        assert api.post("/_local/clock", json={"now": f"{month}-10T12:00:00+00:00"}).status_code == 200
        owner, reader = make_user("owner"), make_user("reader")
        paid, late = make_thing(owner), make_thing(owner)
        assert api.post(f"/things/{paid}/flattr", token=reader.token).status_code == 201
        api.post("/_local/clock", json={"now": f"{stack_months.following(month)}-01T00:10:00+00:00"})
        assert api.post(f"/admin/months/{month}/close", token=admin).status_code == 202
        assert api.post("/_local/drain").status_code == 200
        assert api.get(f"/admin/months/{month}", token=admin).json()["status"] == "closed"
        api.post("/_local/clock", json={"now": f"{month}-20T12:00:00+00:00"})  # a click that comes too late

        page = reader_context(reader).new_page()
        page.goto(site.page(button_div(late)))
        expect(widget(page, late)[1]).to_have_text("0")
        _click_and_expect(page, late, SAYS["month_closed"])
        assert flattrs(api, late) == 0
    finally:
        api.post("/_local/clock", json={"now": None})


def test_a_failure_it_does_not_know_gets_a_generic_message(
    site, make_user, make_thing, reader_context, stack_url
):
    """Whatever the window reports that the button has no words for, the reader gets a plain sentence."""
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner)
    page = reader_context(reader).new_page()
    # Stand in for an API that breaks: the flattr call answers 503 with no JSON.
    page.context.route(
        f"{stack_url}/things/{thing}/flattr", lambda route: route.fulfill(status=503, body="upstream down")
    )
    page.goto(site.page(button_div(thing)))
    expect(widget(page, thing)[1]).to_have_text("0")
    _click_and_expect(page, thing, "Something went wrong. Please try again.")


# ---------------------------------------------------------------- (e) the token stays on our origin


RECORD_MESSAGES = """
window.__heard = [];
addEventListener("message", (e) => window.__heard.push({origin: e.origin, data: JSON.stringify(e.data)}));
"""
# A page that answers our window's handshake itself, to pass for a verified opener.
ANSWER_HELLO = """
addEventListener("message", (e) => {
  if (e.data && e.data.type === "flattr:hello")
    e.source.postMessage({type: "flattr:ready", thing_id: e.data.thing_id}, e.origin);
});
"""


def script(js: str) -> str:
    return f"<script>{js}</script>"


def test_embedding_page_never_sees_the_token(api, site, make_user, make_thing, reader_context, stack_url):
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner)
    context = reader_context(reader)
    page = context.new_page()
    page.add_init_script(RECORD_MESSAGES)
    page.goto(site.page(button_div(thing)))
    popup = click_and_get_popup(page, widget(page, thing)[0])
    expect(widget(page, thing)[2]).to_have_text(SAYS["flattred"])
    popup.wait_for_event("close")

    # The page's own storage has nothing of ours; ours (first-party) has the token.
    assert page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})") == "{}{}"
    assert page.evaluate("document.cookie") == ""
    ours = [o for o in context.storage_state()["origins"] if o["origin"] == stack_url]
    assert {"name": "flattr.token", "value": reader.token} in ours[0]["localStorage"]

    # All it heard were a handshake and the outcome, from our origin, with no token in them.
    heard = page.evaluate("window.__heard")
    assert heard, "the page heard nothing"
    assert {h["origin"] for h in heard} == {stack_url}
    kinds = [json.loads(h["data"])["type"] for h in heard]
    assert kinds == ["flattr:hello", "flattr:result"]
    result = json.loads(heard[-1]["data"])
    assert set(result) == {"type", "thing_id", "status", "code", "message", "flattrs"}
    assert result["thing_id"] == thing and result["status"] == "flattred" and result["flattrs"] == 1
    token_parts = reader.token.split(".")
    for h in heard:
        assert not any(part in h["data"] for part in token_parts)


def test_the_button_believes_only_its_own_window(site, make_user, make_thing, reader_context):
    owner = make_user("owner")
    thing = make_thing(owner)
    page = reader_context(None).new_page()
    page.goto(site.page(button_div(thing)))
    button, count, status = widget(page, thing)
    expect(count).to_have_text("0")
    page.evaluate(  # the page, or any frame in it, forging an outcome
        """(thing) => window.postMessage(
             {type: "flattr:result", thing_id: thing, status: "flattred", code: null, flattrs: 99}, "*")""",
        thing,
    )
    page.wait_for_timeout(200)
    expect(count).to_have_text("0")
    expect(status).to_have_text("")


def test_embedding_page_cannot_flattr_for_the_reader(
    api, site, make_user, make_thing, reader_context, stack_url
):
    """Neither by calling the API (it has no token) nor by opening our window itself for a thing that
    is not its own: then the window asks the reader first, and says nothing was flattred if they decline."""
    owner, reader = make_user("owner"), make_user("reader")
    foreign = make_thing(owner, url="https://somewhere-else.example/post", title="Someone else's post")
    page = reader_context(reader).new_page()
    bait = "<button id='bait'>Read more</button>"
    page.goto(site.page(bait + script(RECORD_MESSAGES) + script(ANSWER_HELLO)))

    direct = page.evaluate(
        """async (url) => [
             (await fetch(url, {method: "POST"})).status,
             await fetch(url, {method: "POST", credentials: "include"}).then(() => "sent", () => "refused"),
           ]""",
        f"{stack_url}/things/{foreign}/flattr",
    )
    assert direct == [401, "refused"]  # no token; and our CORS (*) never admits credentials

    for claimed in (site.origin, "https://somewhere-else.example"):  # its own origin, and a lie
        page.evaluate(
            """([stack, thing, origin]) => document.getElementById("bait").onclick = () =>
                 window.open(`${stack}/flattr.html?thing=${thing}&origin=${encodeURIComponent(origin)}`,
                             "flattr", "popup")""",
            [stack_url, foreign, claimed],
        )
        with page.expect_popup() as info:
            page.click("#bait")
        popup = info.value
        expect(popup.get_by_role("button", name="Flattr it")).to_be_visible()
        assert flattrs(api, foreign) == 0
        popup.get_by_role("button", name="Cancel").click()
        popup.wait_for_event("close")
    assert flattrs(api, foreign) == 0
    results = [json.loads(h["data"]) for h in page.evaluate("window.__heard")]
    # Only the truthful page hears back (that it was cancelled); the lie's answer went to the other origin.
    assert [r["status"] for r in results if r["type"] == "flattr:result"] == ["cancelled"]


def test_the_window_reports_only_to_a_plain_http_origin(
    api, site, make_user, make_thing, reader_context, stack_url
):
    """An origin parameter that is not exactly an http(s) origin: the window reports to no one (never
    "*"), and since it cannot check its opener it asks the reader instead of flattring."""
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner)  # on the embedding site: with a good origin this would flattr at once
    page = reader_context(reader).new_page()
    page.goto(site.page("<button id='open'>open</button>" + script(RECORD_MESSAGES)))
    for bad in ("*", "null", f"{site.origin}/", f"{site.origin}/x", "javascript:alert(1)", "ftp://localhost"):
        page.evaluate(
            """(url) => {
                 document.getElementById("open").onclick = () => window.open(url, "flattr", "popup");
               }""",
            f"{stack_url}/flattr.html?thing={thing}&origin={requests.utils.quote(bad, safe='')}",
        )
        with page.expect_popup() as info:
            page.click("#open")
        popup = info.value
        expect(popup.get_by_role("button", name="Flattr it")).to_be_visible()
        popup.close()
    assert page.evaluate("window.__heard") == []
    assert flattrs(api, thing) == 0


# ---------------------------------------------------------------- (f) our acting pages refuse to be framed


@pytest.mark.parametrize("path", ["/flattr.html", "/"])
def test_acting_pages_refuse_framing(path, api):
    response = api.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_widget_js_is_served_for_any_site(api):
    response = api.get("/widget.js", headers={"Origin": "https://blog.example"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert len(gzip.compress(response.content)) < 5 * 1024  # what it costs a reader to fetch


def test_static_files_are_served_by_name_only(api):
    assert api.get("/flattr.js").headers["Content-Type"].startswith("application/javascript")
    outside = ("/../gateway.py", "/..%2Fgateway.py", "/%2E%2E/local/gateway.py", "/.hidden.js", "/nope.html")
    for path in outside:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json", path


def test_a_framed_flattr_window_does_not_load(site, reader_context, stack_url):
    page = reader_context(None).new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(site.page(f'<iframe id="f" src="{stack_url}/flattr.html?thing=1"></iframe>'))

    def blocked() -> bool:
        refused = any("frame-ancestors 'none'" in line for line in console)
        return refused and page.frames[-1].url.startswith("chrome-error://")  # an error page, not ours

    deadline = time.monotonic() + 5
    while not blocked() and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver events meanwhile
    assert blocked(), (console, [f.url for f in page.frames])
