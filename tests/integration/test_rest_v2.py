"""Flattr REST API v2 through the gateway: v2's shapes and codes, on v1's rules and items."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest


def form(api, method: str, path: str, fields: dict, user: str | None = None, **kw):
    """What flattrclient sends: form-encoded fields."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **kw.pop("headers", {})}
    return api.call(method, path, raw=urlencode(fields).encode(), user=user, headers=headers, **kw)


def v2_thing(api, owner: str, url: str, **fields) -> int:
    status, body = api.post("/rest/v2/things", {"url": url, **fields}, user=owner)
    assert status == 201, body
    return body["id"]


def auto_url(owner: str, url: str, host: str = "https://flattr.com", **fields) -> str:
    return f"{host}/submit/auto?" + urlencode({"user_id": owner, "url": url, **fields})


def refused(response, status: int, code: str) -> None:
    got, body = response
    assert (got, body.get("error")) == (status, code), body
    assert set(body) == {"error", "error_description", "error_uri"}, body


def givers(api) -> None:
    api.giver("ada")
    api.giver("bob", budget=200, funds=1000)
    api.giver("carol")


@pytest.fixture
def people(api):
    givers(api)


# ---------------------------------------------------------------- things


def test_a_thing_made_through_v2_takes_v2_defaults(api, people):
    status, made = form(api, "POST", "/rest/v2/things", {"url": "https://bob.example/post"}, user="bob")
    assert status == 201
    assert (made["message"], made["description"]) == ("ok", "Thing was created successfully")
    assert made["link"].endswith(f"/rest/v2/things/{made['id']}")
    status, thing = api.get(f"/rest/v2/things/{made['id']}")
    assert status == 200
    assert (thing["category"], thing["language"], thing["hidden"]) == ("rest", "en_GB", False)
    assert thing["title"] == "https://bob.example/post"  # v2 needs no title; ours is the URL then
    assert (thing["owner"]["username"], thing["type"], thing["flattrs"]) == ("bob", "thing", 0)


def test_json_and_form_bodies_carry_the_same_fields(api, people):
    one = v2_thing(api, "bob", "https://bob.example/a", title="Sent as JSON", tags="jazz, live", hidden=True)
    status, made = form(
        api,
        "POST",
        "/rest/v2/things",
        {"url": "https://bob.example/b", "title": "Sent as a form", "tags": "jazz,live", "hidden": "True"},
        user="bob",
    )
    two = made["id"]
    for thing_id in (one, two):
        thing = api.get(f"/rest/v2/things/{thing_id}", user="ada")[1]
        assert (thing["tags"], thing["hidden"]) == (["jazz", "live"], True)
    assert api.get("/rest/v2/users/bob/things", user="ada")[1] == []  # hidden: out of listings


def test_a_thing_that_breaks_a_rule_is_a_validation_error_and_nothing_is_made(api, people):
    refused(
        api.post("/rest/v2/things", {"url": "https://bob.example/x", "title": "abc"}, user="bob"),
        400,
        "validation",
    )
    refused(api.post("/rest/v2/things", {"url": "ftp://bob.example/x"}, user="bob"), 400, "validation")
    eleven = ",".join(f"tag{i}" for i in range(11))
    refused(
        api.post("/rest/v2/things", {"url": "https://bob.example/x", "tags": eleven}, user="bob"),
        400,
        "validation",
    )
    refused(api.post("/rest/v2/things", {"title": "No URL at all"}, user="bob"), 400, "invalid_parameters")
    refused(api.post("/rest/v2/things", raw=b"{not json", user="bob"), 400, "invalid_request")
    refused(api.post("/rest/v2/things", {"url": "https://bob.example/x"}), 401, "unauthorized")
    assert api.get("/rest/v2/user/things", user="bob")[1] == []


def test_a_url_is_one_thing_whichever_version_registered_it(api, people):
    v1 = api.thing("bob", "https://bob.example/one")
    status, body = api.post("/rest/v2/things", {"url": "https://bob.example/one"}, user="carol")
    assert (status, body["error"]) == (409, "url_taken")
    assert api.get("/rest/v2/things/lookup", headers={})[0] == 400  # no url: a missing parameter
    status, _ = api.get("/rest/v2/things/lookup?url=" + quote("https://bob.example/one"))
    assert status == 302
    assert api.get(f"/rest/v2/things/{v1}")[1]["url"] == "https://bob.example/one"


def test_several_things_at_once_by_comma_joined_ids(api, people):
    a = v2_thing(api, "bob", "https://bob.example/1")
    b = v2_thing(api, "bob", "https://bob.example/2")
    status, both = api.get(f"/rest/v2/things/{a},{b}")
    assert status == 200 and sorted(t["id"] for t in both) == sorted([a, b])
    status, one = api.get(f"/rest/v2/things/{a},123")
    assert [t["id"] for t in one] == [a]  # an id that names nothing is left out
    refused(api.get("/rest/v2/things/123,456"), 404, "not_found")
    refused(api.get("/rest/v2/things/not-a-number"), 404, "not_found")
    refused(api.get(f"/rest/v2/things/{a},x"), 404, "not_found")


def test_lookup_answers_as_v2_did(api, people):
    thing = v2_thing(api, "bob", "https://bob.example/post")
    for path in ("/rest/v2/things/lookup", "/rest/v2/things/lookup/"):
        status, body = api.get(f"{path}?url=" + quote("https://bob.example/post"))
        assert status == 302 and body["message"] == "found"
        assert body["location"].endswith(f"/rest/v2/things/{thing}")
    # An auto-submit URL is looked up by the URL it carries, if its owner is the thing's.
    status, _ = api.get("/rest/v2/things/lookup?url=" + quote(auto_url("bob", "https://bob.example/post")))
    assert status == 302
    refused(
        api.get("/rest/v2/things/lookup?url=" + quote(auto_url("carol", "https://bob.example/post"))),
        400,
        "validation",
    )
    status, body = api.get("/rest/v2/things/lookup?url=" + quote("https://nobody.example/"))
    assert status == 404
    assert (body["message"], body["description"], body["error"]) == (
        "not_found",
        "No thing was found",
        "not_found",
    )


def test_an_owner_updates_by_patch_or_by_post_with_method(api, people):
    thing = v2_thing(api, "bob", "https://bob.example/post", title="First title")
    assert api.call("PATCH", f"/rest/v2/things/{thing}", {"title": "Second title"}, user="bob") == (
        200,
        {"message": "ok", "description": "Thing was updated correctly"},
    )
    status, _ = form(
        api,
        "POST",
        f"/rest/v2/things/{thing}",
        {"_method": "patch", "tags": "a,b", "category": "audio"},
        user="bob",
    )
    assert status == 200
    seen = api.get(f"/rest/v2/things/{thing}", user="bob")[1]
    assert (seen["title"], seen["tags"], seen["category"]) == ("Second title", ["a", "b"], "audio")
    assert seen["updated_at"] >= seen["created_at"] > 0

    refused(
        api.call("PATCH", f"/rest/v2/things/{thing}", {"title": "Hijacked title"}, user="carol"),
        403,
        "forbidden",
    )
    refused(api.call("PATCH", f"/rest/v2/things/{thing}", {"title": "no"}, user="bob"), 400, "validation")
    refused(
        form(api, "POST", f"/rest/v2/things/{thing}", {"title": "Without a method"}, user="bob"),
        400,
        "invalid_parameters",
    )
    assert api.get(f"/rest/v2/things/{thing}")[1]["title"] == "Second title"


def test_a_deleted_thing_is_gone_but_its_month_is_still_paid(api, close, audit, at):
    at("2026-10-10T12:00:00")
    givers(api)
    thing = v2_thing(api, "bob", "https://bob.example/post")
    assert api.post(f"/rest/v2/things/{thing}/flattr", user="ada")[0] == 200
    refused(api.call("DELETE", f"/rest/v2/things/{thing}", user="carol"), 403, "forbidden")
    assert api.call("DELETE", f"/rest/v2/things/{thing}", user="bob") == (204, None)
    refused(api.get(f"/rest/v2/things/{thing}", user="bob"), 404, "not_found")
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="carol"), 404, "not_found")
    refused(api.call("DELETE", f"/rest/v2/things/{thing}", user="bob"), 404, "not_found")
    again = v2_thing(api, "bob", "https://bob.example/post")  # the URL is free again
    assert again != thing

    close("2026-10", now="2026-11-01T00:10:00")
    assert api.me("bob")["balances"]["revenue"] == 900  # ada's 1000, less the 10% fee
    audit()


def test_search_filters_sorts_and_pages(api, people, fold):
    jazz = v2_thing(
        api,
        "bob",
        "https://bob.example/jazz",
        title="Late night jazz",
        tags="music,jazz",
        category="audio",
        language="sv_SE",
    )
    rock = v2_thing(
        api, "bob", "https://bob.example/rock", title="Loud rock tonight", tags="music,rock", category="audio"
    )
    essay = v2_thing(api, "carol", "https://carol.example/essay", title="An essay on jazz", tags="writing")
    v2_thing(api, "carol", "https://carol.example/secret", title="Secret jazz notes", hidden=True)
    for user in ("ada", "carol"):
        assert api.post(f"/rest/v2/things/{rock}/flattr", user=user)[0] == 200

    def ids(query: str) -> list[int]:
        status, body = api.get("/rest/v2/things/search?" + query)
        assert status == 200, body
        assert body["items"] == len(body["things"])
        return [t["id"] for t in body["things"]]

    assert sorted(ids("query=jazz")) == sorted([jazz, essay])  # the hidden thing is never found
    assert ids("query=late+jazz") == [jazz]
    assert sorted(ids("tags=" + quote("jazz | writing"))) == sorted([jazz, essay])
    assert ids("tags=" + quote("music ! jazz")) == [rock]
    assert sorted(ids("user=bob")) == sorted([jazz, rock])
    assert ids("url=" + quote("https://carol.example/essay")) == [essay]
    assert ids("language=sv_SE") == [jazz]
    assert sorted(ids("category=audio,text")) == sorted([jazz, rock])
    fold()  # lists show, and search sorts by, the counts the fold keeps
    assert ids("sort=flattrs")[0] == rock and ids("sort=flattrs_month")[0] == rock
    status, page = api.get("/rest/v2/things/search?sort=flattrs&count=1&page=2")
    assert (page["total_items"], page["items"], page["page"]) == (3, 1, 2)
    refused(api.get("/rest/v2/things/search?sort=random"), 400, "invalid_parameters")
    refused(api.get("/rest/v2/things/search?count=0"), 400, "invalid_parameters")


# ---------------------------------------------------------------- flattrs


def test_flattr_refusals_carry_v2_codes_and_statuses(api, people):
    thing = v2_thing(api, "bob", "https://bob.example/post")
    status, body = api.post(f"/rest/v2/things/{thing}/flattr", user="ada")
    assert (status, body["message"], body["description"]) == (200, "ok", "Thing was successfully flattred")
    assert (body["thing"]["id"], body["thing"]["url"]) == (thing, "https://bob.example/post")
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="ada"), 403, "flattr_once")
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="bob"), 403, "flattr_owner")
    api.put("/me", {"display_name": "Dan"}, user="dan")
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="dan"), 401, "no_means")
    refused(api.post("/rest/v2/things/123/flattr", user="ada"), 404, "not_found")
    refused(api.post(f"/rest/v2/things/{thing}/flattr"), 401, "unauthorized")
    status, body = api.call(
        "POST", f"/rest/v2/things/{thing}/flattr", headers={"Authorization": "Bearer nonsense"}
    )
    refused((status, body), 401, "unauthorized")
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1


def test_a_flattr_through_v1_and_v2_is_one_flattr_paid_once(api, close, audit, at):
    at("2026-10-10T12:00:00")
    givers(api)
    thing = v2_thing(api, "bob", "https://bob.example/post")
    other = api.thing("bob", "https://bob.example/other")
    assert api.post(f"/rest/v2/things/{thing}/flattr", user="ada")[0] == 200
    assert api.flattr("ada", thing) == (
        200,
        {"thing_id": thing, "month": "2026-10", "status": "already_flattred"},
    )
    assert api.flattr("carol", thing)[0] == 201
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="carol"), 403, "flattr_once")
    assert api.flattr("carol", other)[0] == 201

    v1 = api.get(f"/things/{thing}")[1]
    v2 = api.get(f"/rest/v2/things/{thing}")[1]
    assert (v1["flattrs"], v1["flattrs_month"], v2["flattrs"], v2["flattrs_user_count"]) == (2, 2, 2, 2)

    close("2026-10", now="2026-11-01T00:10:00")
    # ada's 1000 to one thing; carol's 1000 split over two: 900 + 450 + 450, each paid once.
    assert api.me("bob")["balances"]["revenue"] == 1800
    received = {r["thing_id"]: r for r in api.get("/me/statements/2026-10", user="bob")[1]["received"]}
    assert (received[thing]["flattrs"], received[thing]["amount"]) == (2, 1350)
    audit()


def test_flattr_by_url(api, people):
    thing = v2_thing(api, "bob", "https://bob.example/post")
    status, body = api.post("/rest/v2/flattr", {"url": "https://bob.example/post"}, user="ada")
    assert status == 200 and body["thing"]["id"] == thing
    status, _ = form(api, "POST", "/rest/v2/flattr", {"url": "https://bob.example/post"}, user="carol")
    assert status == 200
    refused(api.post("/rest/v2/flattr", {"url": "https://nobody.example/"}, user="ada"), 404, "not_found")
    refused(api.post("/rest/v2/flattr", {}, user="ada"), 400, "invalid_parameters")
    assert api.get(f"/rest/v2/things/{thing}")[1]["flattrs"] == 2


def test_an_auto_submit_url_makes_its_thing_on_the_first_flattr(api, people, audit, fold):
    url = auto_url(
        "bob",
        "https://bob.example/podcast/1",
        title="Bob's podcast, episode 1",
        tags="talk,radio",
        category="audio",
        language="en_GB",
        hidden="0",
    )
    status, body = api.post("/rest/v2/flattr", {"url": url}, user="ada")
    assert status == 200, body
    thing = api.get(f"/rest/v2/things/{body['thing']['id']}")[1]
    assert (
        thing["owner"]["username"],
        thing["title"],
        thing["tags"],
        thing["category"],
        thing["flattrs"],
    ) == ("bob", "Bob's podcast, episode 1", ["talk", "radio"], "audio", 1)
    refused(api.post("/rest/v2/flattr", {"url": url}, user="ada"), 403, "flattr_once")
    # Our own host's auto-submit URLs work the same, and name the same thing.
    status, again = api.post(
        "/rest/v2/flattr",
        {"url": auto_url("bob", "https://bob.example/podcast/1", host="http://localhost")},
        user="carol",
    )
    assert (status, again["thing"]["id"]) == (200, thing["id"])
    fold()
    assert api.get("/rest/v2/users/bob/things", user="bob")[1][0]["flattrs"] == 2  # unclaimed: bob sees it
    audit()  # the counter the first flattr wrote with the thing agrees with the flattr items


def test_a_hidden_auto_submitted_thing_is_flattred_and_left_out_of_listings(api, people):
    url = auto_url("bob", "https://bob.example/quiet", title="A quiet post", hidden="1")
    status, body = api.post("/rest/v2/flattr", {"url": url}, user="ada")
    assert status == 200, body
    assert api.get(f"/rest/v2/things/{body['thing']['id']}")[1]["hidden"] is True
    assert api.get("/rest/v2/things/search?query=quiet")[1]["total_items"] == 0
    assert api.post("/rest/v2/flattr", {"url": url}, user="carol")[0] == 200


def test_an_auto_submit_url_that_cannot_be_made_makes_nothing(api, people):
    refused(
        api.post("/rest/v2/flattr", {"url": auto_url("nobody", "https://x.example/1")}, user="ada"),
        404,
        "not_found",
    )
    refused(
        api.post("/rest/v2/flattr", {"url": auto_url("bob", "https://bob.example/1")}, user="bob"),
        403,
        "flattr_owner",
    )
    refused(
        api.post(
            "/rest/v2/flattr", {"url": auto_url("bob", "https://bob.example/1", title="abc")}, user="ada"
        ),
        400,
        "validation",
    )
    refused(
        api.post(
            "/rest/v2/flattr", {"url": "https://flattr.com/submit/auto?url=https://bob.example/1"}, user="ada"
        ),
        400,
        "validation",
    )
    api.put("/me", {"display_name": "Dan"}, user="dan")  # no budget, no funds
    refused(
        api.post("/rest/v2/flattr", {"url": auto_url("bob", "https://bob.example/1")}, user="dan"),
        401,
        "no_means",
    )
    api.put("/me", {"display_name": "Erin"}, user="erin")  # an owner who does not give cannot receive
    refused(
        api.post("/rest/v2/flattr", {"url": auto_url("erin", "https://erin.example/1")}, user="ada"),
        409,
        "owner_not_participating",
    )
    assert api.get("/things/lookup?url=https://erin.example/1")[0] == 404
    assert api.get("/rest/v2/things/search?user=bob")[1]["total_items"] == 0
    assert (
        api.get("/things/lookup?url=https://bob.example/1")[0] == 404
    )  # a refused first flattr made nothing


def test_a_first_flattr_that_loses_the_race_flattrs_the_thing_the_winner_made(
    api, people, monkeypatch, audit, fold
):
    from flattr.store import things

    url = auto_url("bob", "https://bob.example/race")
    real_lookup = things.lookup
    calls = []

    def lookup_missing_it_once(u):
        calls.append(u)
        if len(calls) == 1:  # the winner registers the URL just after our first look
            things.register("bob", url="https://bob.example/race", title="Made by the winner")
            return None
        return real_lookup(u)

    monkeypatch.setattr(things, "lookup", lookup_missing_it_once)
    status, body = api.post("/rest/v2/flattr", {"url": url}, user="ada")
    assert status == 200, body
    monkeypatch.setattr(things, "lookup", real_lookup)
    fold()
    found = api.get("/rest/v2/things/search?user=bob")[1]
    assert found["total_items"] == 1 and found["things"][0]["flattrs"] == 1
    audit()


def test_flattr_lists_page_and_keep_private_flattrs_private(api, people):
    a = v2_thing(api, "bob", "https://bob.example/a")
    b = v2_thing(api, "bob", "https://bob.example/b")
    for thing in (a, b):
        assert api.post(f"/rest/v2/things/{thing}/flattr", user="ada")[0] == 200
        assert api.post(f"/rest/v2/things/{thing}/flattr", user="carol")[0] == 200

    mine = api.get("/rest/v2/user/flattrs", user="ada")[1]
    assert sorted(f["thing"]["id"] for f in mine) == sorted([a, b])
    assert {f["owner"]["username"] for f in mine} == {"ada"} and all(f["type"] == "flattr" for f in mine)
    assert len(api.get("/rest/v2/users/ada/flattrs?count=1&page=2")[1]) == 1
    assert {f["owner"]["username"] for f in api.get(f"/rest/v2/things/{a}/flattrs")[1]} == {"ada", "carol"}

    api.put("/me", {"hide_flattrs": True}, user="ada")
    assert api.get("/rest/v2/users/ada/flattrs", user="carol")[1] == []
    assert len(api.get("/rest/v2/users/ada/flattrs", user="ada")[1]) == 2
    assert {f["owner"]["username"] for f in api.get(f"/rest/v2/things/{a}/flattrs")[1]} == {"carol"}
    # A thing its owner hides drops out of everyone else's lists, but its own page still has them.
    assert api.call("PATCH", f"/rest/v2/things/{b}", {"hidden": True}, user="bob")[0] == 200
    assert [f["thing"]["id"] for f in api.get("/rest/v2/users/carol/flattrs")[1]] == [a]
    assert len(api.get(f"/rest/v2/things/{b}/flattrs")[1]) == 1  # ada keeps hers private
    refused(api.get("/rest/v2/users/nobody/flattrs"), 404, "not_found")


# ---------------------------------------------------------------- users and subscriptions


def test_users_as_v2_shows_them(api, people):
    me = api.get("/rest/v2/user", user="bob")[1]
    assert (me["username"], me["firstname"], me["type"]) == ("bob", "Bob", "user")
    assert me["registered_at"] > 0 and "email" in me
    public = api.get("/rest/v2/users/bob")[1]
    assert public["username"] == "bob" and "email" not in public and "registered_at" not in public
    refused(api.get("/rest/v2/users/nobody"), 404, "not_found")
    refused(api.get("/rest/v2/user", user="stranger"), 404, "not_found")  # a token, but no PUT /me yet
    shown = v2_thing(api, "bob", "https://bob.example/shown")
    hidden = v2_thing(api, "bob", "https://bob.example/hidden", hidden=True)
    assert [t["id"] for t in api.get("/rest/v2/users/bob/things")[1]] == [shown]
    assert [t["id"] for t in api.get("/rest/v2/user/things", user="bob")[1]] == [hidden, shown]
    full = api.get(f"/rest/v2/things/{shown}?full")[1]
    assert full["owner"]["firstname"] == "Bob"


def test_subscriptions_through_v2(api, people):
    thing = v2_thing(api, "bob", "https://bob.example/show", title="Bob's show")
    status, body = api.post(f"/rest/v2/things/{thing}/subscriptions", user="ada")
    assert (status, body["message"], body["thing"]["id"]) == (200, "ok", thing)
    refused(api.post(f"/rest/v2/things/{thing}/subscriptions", user="ada"), 403, "subscribed")
    refused(api.post(f"/rest/v2/things/{thing}/subscriptions", user="bob"), 403, "thing_owner")
    refused(api.post("/rest/v2/things/123/subscriptions", user="ada"), 404, "not_found")
    [sub] = api.get("/rest/v2/user/subscriptions", user="ada")[1]
    assert (sub["type"], sub["active"], sub["thing"]["id"], sub["thing"]["subscribed"]) == (
        "subscription",
        True,
        thing,
        True,
    )
    assert api.get("/me/subscriptions", user="ada")[1]["subscriptions"][0]["months"] == 3  # the shortest term
    assert api.call("DELETE", f"/rest/v2/things/{thing}/subscriptions", user="ada") == (204, None)
    refused(api.call("DELETE", f"/rest/v2/things/{thing}/subscriptions", user="ada"), 404, "not_found")
    assert api.get("/rest/v2/user/subscriptions", user="ada")[1] == []


# ---------------------------------------------------------------- the gate


def test_every_v2_answer_carries_the_rate_limit_and_the_limit_holds(api, people, monkeypatch):
    from flattr import settings

    thing = v2_thing(api, "bob", "https://bob.example/post")
    ok = api.client.get(f"/rest/v2/things/{thing}")
    missing = api.client.get("/rest/v2/things/123")
    for response in (ok, missing):
        assert int(response.headers["X-RateLimit-Limit"]) == 5000
        assert (
            int(response.headers["X-RateLimit-Remaining"]) + int(response.headers["X-RateLimit-Current"])
            == 5000
        )
        assert int(response.headers["X-RateLimit-Reset"]) % 3600 == 0
    assert "X-RateLimit-Limit" not in api.client.get(f"/things/{thing}").headers  # v1 has no such limit
    exposed = api.client.get(f"/rest/v2/things/{thing}", headers={"Origin": "https://blog.example"}).headers
    assert "x-ratelimit-remaining" in exposed["Access-Control-Expose-Headers"]  # browsers may read them

    monkeypatch.setenv("FLATTR_V2_RATE_LIMIT", "3")
    settings.get.cache_clear()
    for _ in range(3):
        assert api.get("/rest/v2/user", user="ada")[0] == 200
    before = api.get("/rest/v2/rate_limit", user="ada")[1]
    assert (before["hourly_limit"], before["current_hits"], before["remaining_hits"]) == (3, 3, 0)
    refused(api.post(f"/rest/v2/things/{thing}/flattr", user="ada"), 403, "rate_limit_exceeded")
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 0  # refused before anything was written
    assert api.get("/rest/v2/user", user="carol")[0] == 200  # the limit is per caller


def test_json_is_the_one_format_and_unknown_paths_are_v2_errors(api, people):
    refused(api.get("/rest/v2/categories", headers={"Accept": "text/xml"}), 406, "not_acceptable")
    assert api.get("/rest/v2/categories", headers={"Accept": "application/json"})[0] == 200
    assert {"id": "rest", "text": "Other"} in api.get("/rest/v2/categories")[1]
    assert {"id": "en_GB", "text": "English"} in api.get("/rest/v2/languages")[1]
    refused(api.get("/rest/v2/nothing/here"), 404, "not_found")
    assert api.get("/nothing/here")[1]["error"]["code"] == "not_found"  # v1 keeps its own shape


def test_the_auto_submit_url_leads_to_the_flattr_page(api, people):
    made = v2_thing(api, "bob", "https://bob.example/made")
    status, body = api.get("/submit/auto?" + urlencode({"user_id": "bob", "url": "https://bob.example/made"}))
    assert status == 302 and body["location"].endswith(f"/flattr.html?thing={made}")
    query = urlencode({"user_id": "bob", "url": "https://bob.example/new", "title": "Not made yet"})
    status, body = api.get("/submit/auto?" + query)
    assert status == 302 and "/flattr.html?submit=" in body["location"]
    assert quote(f"/submit/auto?{query}", safe="") in body["location"]
    refused(api.get("/submit/auto?url=" + quote("https://bob.example/new")), 400, "invalid_parameters")
    opened = {"user_id": "bob", "url": "https://bob.example/made", "origin": "https://blog.example"}
    status, body = api.get("/submit/auto?" + urlencode(opened))
    assert body["location"].endswith(f"?thing={made}&origin=https%3A%2F%2Fblog.example")  # to report back
    # An owner not signed up here yet: the page says so, when the first flattr is refused.
    status, body = api.get("/submit/auto?" + urlencode({"user_id": "nobody", "url": "https://x.example/"}))
    assert status == 302 and "?submit=" in body["location"]
    refused(
        api.get(
            "/submit/auto?" + urlencode({"user_id": "bob", "url": "https://bob.example/z", "title": "ab"})
        ),
        400,
        "validation",
    )
    assert api.get("/rest/v2/things/search?user=bob")[1]["total_items"] == 1  # visiting makes nothing
