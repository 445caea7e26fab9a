"""The web app's other pages in a real browser: public pages of a thing and a creator, switching users,
the sign-in pages, the favicon; axe finds nothing on any of them."""

from __future__ import annotations

import re
import uuid

import jwt
import pytest

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_things_public_page_and_its_creators(api, app, make_user, make_thing, stack_url):
    owner = make_user("owner")
    thing = make_thing(owner, title="A public thing")
    api.request(
        "PATCH", f"/rest/v2/things/{thing}", token=owner.token, json={"description": "What it is about."}
    )
    link = api.get(f"/rest/v2/things/{thing}").json()
    assert link["link"] == f"{stack_url}/thing.html?id={thing}"  # the API's links lead to pages people read
    assert link["owner"]["link"] == f"{stack_url}/user.html?id={owner.id}"

    page = app()
    page.goto(link["link"])
    expect(page.get_by_role("heading", level=1)).to_have_text("A public thing")
    expect(page.locator("#description")).to_have_text("What it is about.")
    expect(page.locator("#count")).to_have_text("0 flattrs")
    expect(page.locator(".flattr-w").get_by_role("button")).to_have_accessible_name(
        re.compile("A public thing")
    )
    qr = page.get_by_role("img", name=re.compile("QR code"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    assert_accessible(page)

    page.get_by_role("link", name="Owner").click()  # the owner's display name, as make_user set it
    expect(page.get_by_role("heading", level=1)).to_have_text("Owner")
    expect(page.get_by_role("link", name="A public thing")).to_have_attribute(
        "href", f"thing.html?id={thing}"
    )
    assert_accessible(page)

    page.goto(f"{stack_url}/thing.html?id=12345abc")
    expect(page.get_by_role("heading", level=1)).to_have_text("No such thing")
    assert_accessible(page)
    assert page.js_errors == []


def test_switching_users_shows_nothing_of_the_previous_one(api, app, make_user, stack_url):
    first, second = f"first-{uuid.uuid4().hex[:6]}", f"second-{uuid.uuid4().hex[:6]}"
    api.put("/me", token=api.token(first), json={"display_name": "First", "monthly_budget": 700})
    api.post("/_local/deposit", json={"user_id": first, "amount": 4321})
    page = app()
    page.goto(f"{stack_url}/")
    sign_in(page, stack_url, first)
    expect(page.locator("#funds")).to_have_text("€43.21")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    assert page.evaluate("localStorage.getItem('flattr.token')") is None
    sign_in(page, stack_url, second)
    expect(page.locator("#welcome")).to_contain_text(f"Welcome, {second}!")
    body = page.locator("body").inner_text()
    assert first not in body and "43.21" not in body and "€7.00" not in body
    # The flattr window (and every page) now acts for the second user only.
    token = page.evaluate("localStorage.getItem('flattr.token')")
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == second


def test_sign_in_pages(app, stack_url):
    page = app()
    page.goto(
        f"{stack_url}/oauth2/authorize?response_type=code&client_id=flattr-local"
        f"&redirect_uri={stack_url}/signin.html&code_challenge=abc&code_challenge_method=S256&state=s"
    )
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()  # no user name: the browser asks for one
    expect(page.get_by_label("User name")).to_be_focused()

    # Without PKCE there is no sign-in.
    response = page.goto(
        f"{stack_url}/oauth2/authorize?response_type=code&client_id=flattr-local"
        f"&redirect_uri={stack_url}/signin.html"
    )
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("PKCE is required")

    # A callback that this browser did not start is refused, with a way back.
    page.goto(f"{stack_url}/signin.html?code=forged&state=forged")
    expect(page.get_by_role("status")).to_contain_text("Sign-in failed")
    expect(page.get_by_role("link", name="Back to Flattr")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("localStorage.getItem('flattr.token')") is None


def test_every_page_has_the_favicon(api, app, stack_url):
    response = api.get("/favicon.svg")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    page = app()
    for name in (
        "index.html",
        "money.html",
        "creator.html",
        "things.html",
        "thing.html",
        "user.html",
        "flattr.html",
    ):
        page.goto(f"{stack_url}/{name}")
        icon = page.locator('link[rel="icon"]')
        expect(icon).to_have_attribute("href", re.compile(r"^/?favicon\.svg$"))


def test_signing_in_works_from_the_keyboard_alone(app, stack_url):
    user = f"keys-{uuid.uuid4().hex[:6]}"
    page = app()
    page.goto(f"{stack_url}/")
    page.get_by_role("heading", level=1).wait_for()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")  # the first control in the content: its "Sign in"
    expect(page.locator("#content").get_by_role("link", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type(user)
    page.keyboard.press("Enter")
    expect(page.locator("#welcome")).to_contain_text(f"Welcome, {user}!")
    page.get_by_label("Monthly budget (€)").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("4.00")
    page.keyboard.press("Enter")
    expect(page.locator("#budget-now")).to_have_text("€4.00")


def test_the_flattr_window_signed_out_is_accessible(api, app, make_user, make_thing, stack_url):
    thing = make_thing(make_user("owner"))
    page = app()
    page.goto(f"{stack_url}/flattr.html?thing={thing}")
    expect(page.get_by_role("link", name="Sign in")).to_be_focused()
    assert_accessible(page)


def test_my_things_edit_hide_and_delete(api, app, make_user, make_thing, stack_url):
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    page = app()
    page.goto(f"{stack_url}/things.html")
    sign_in(page, stack_url, owner)
    expect(page.locator("#no-things")).to_be_visible()
    token = api.token(owner)
    thing = api.post(
        "/things", token=token, json={"url": f"https://example.org/{owner}", "title": "First title"}
    ).json()
    page.reload()
    card = page.get_by_role("article", name="First title")
    card.get_by_text("Edit “First title”").click()
    card.get_by_label("Title", exact=True).fill("Second title")
    card.get_by_label("Hidden from listings").check()
    card.get_by_role("button", name="Save").click()
    card = page.get_by_role("article", name=re.compile("Second title"))
    expect(card).to_contain_text("(hidden)")
    got = api.get(f"/things/{thing['id']}", token=token).json()
    assert (got["title"], got["hidden"]) == ("Second title", True)
    assert api.get(f"/users/{owner}/things").json()["things"] == []  # out of public listings
    assert_accessible(page)

    card.get_by_role("button", name="Delete “Second title”").click()
    card.get_by_role("button", name="Keep it").click()  # changed their mind: nothing happens
    expect(card.get_by_role("button", name="Delete “Second title”")).to_be_focused()
    card.get_by_role("button", name="Delete “Second title”").click()
    card.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_text("Deleted “Second title”.")).to_be_visible()
    assert api.get(f"/things/{thing['id']}").status_code == 404
