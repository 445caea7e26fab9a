"""Registering things, reading them, and finding them by URL."""

import threading


def test_register_and_read_a_thing(api):
    api.put("/me", {"display_name": "Bob"}, user="bob")
    status, thing = api.post(
        "/things",
        {"url": "https://bob.example/song", "title": "Bob's song", "tags": ["music"], "language": "en"},
        user="bob",
    )
    assert status == 201
    assert isinstance(thing["id"], int) and 0 < thing["id"] < 2**53
    status, got = api.get(f"/things/{thing['id']}")
    assert status == 200
    assert got["url"] == "https://bob.example/song"
    assert got["owner"] == {"user_id": "bob", "display_name": "Bob"}
    assert (got["flattrs"], got["flattrs_month"]) == (0, 0)
    assert "flattred" not in got
    assert api.get(f"/things/{thing['id']}", user="carol")[1]["flattred"] is False


def test_ids_are_spread_out_not_sequential(api):
    ids = [api.thing("bob") for _ in range(5)]
    gaps = [abs(a - b) for a, b in zip(ids, ids[1:])]
    assert min(gaps) > 1000


def test_lookup_by_url(api):
    thing_id = api.thing("bob", url="https://bob.example/post")
    assert api.get("/things/lookup?url=https://bob.example/post")[1]["id"] == thing_id
    # Another spelling of the same URL finds the same thing.
    assert api.get("/things/lookup?url=HTTPS://Bob.Example:443/post")[1]["id"] == thing_id
    status, body = api.get("/things/lookup?url=https://bob.example/other")
    assert (status, body["error"]["code"]) == (404, "thing_not_found")


def test_a_url_belongs_to_one_thing(api):
    api.thing("bob", url="https://bob.example/post")
    status, body = api.post(
        "/things", {"url": "https://BOB.example/post", "title": "Stolen post"}, user="eve"
    )
    assert (status, body["error"]["code"]) == (409, "url_taken")


def test_racing_registrations_of_one_url_make_one_thing(api):
    results = []

    def register(user):
        results.append(
            api.post("/things", {"url": "https://race.example/", "title": "Same page"}, user=user)[0]
        )

    threads = [threading.Thread(target=register, args=(f"u{i}",)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [201] + [409] * 7


def test_unknown_and_malformed_ids_are_thing_not_found(api):
    for raw in ("123", "abc", "-1", "0", "1.5", "99999999999999999999", "9007199254740992", "%C2%B9"):
        status, body = api.get(f"/things/{raw}")
        assert (status, body["error"]["code"]) == (404, "thing_not_found"), raw
        status, body = api.post(f"/things/{raw}/flattr", user="ada")
        assert (status, body["error"]["code"]) == (404, "thing_not_found"), raw


def test_a_hidden_thing_is_left_out_of_listings_but_its_button_still_works(api):
    # As in Flattr: hidden keeps a thing out of listings, not out of reach of its buttons.
    thing_id = api.thing("bob", "https://bob.example/quiet", hidden=True)
    assert api.get(f"/things/{thing_id}")[1]["hidden"] is True
    assert api.get("/things/lookup?url=https://bob.example/quiet")[1]["id"] == thing_id
    assert api.get("/users/bob/things", user="carol")[1]["things"] == []
    api.giver("carol")
    api.giver("bob")
    assert api.flattr("carol", thing_id)[0] == 201


def test_validation(api):
    cases = [
        {"url": "ftp://bob.example/x", "title": "Valid title"},
        {"url": "javascript:alert(1)", "title": "Valid title"},
        {"url": "not a url", "title": "Valid title"},
        {"url": "https://bob.example/x", "title": "Shrt"},
        {"url": "https://bob.example/x", "title": "x" * 101},
        {"url": "https://bob.example/x", "title": "Valid title", "description": "d" * 1001},
        {"url": "https://bob.example/x", "title": "Valid title", "tags": [f"t{i}" for i in range(11)]},
        {"url": "https://bob.example/x", "title": "Valid title", "hidden": "yes"},
        {"url": "https://bob.example/x", "title": "Valid title", "language": "english please"},
        {"title": "Valid title"},
    ]
    for body in cases:
        status, err = api.post("/things", body, user="bob")
        assert status == 400, (body, err)
        assert err["error"]["code"] in ("invalid_request", "invalid_url")
    assert api.get("/things/lookup?url=https://bob.example/x")[0] == 404


def test_registering_needs_a_token(api):
    status, body = api.post("/things", {"url": "https://bob.example/x", "title": "Valid title"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_qr_code_is_an_svg_of_the_flattr_page(api):
    thing_id = api.thing("bob")
    resp = api.client.get(f"/things/{thing_id}/qr.svg")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("image/svg+xml")
    assert resp.get_data(as_text=True).lstrip().startswith("<svg")
    assert api.get("/things/42/qr.svg")[0] == 404
