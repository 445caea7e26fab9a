"""Bounded work per request: no route reads more than a page's worth of items, whatever the table
holds; lists go on by cursor; v1 limits writes per user and reads per source; lists show only
what is listed to the viewer; the folded counts agree with their counters."""

from __future__ import annotations

import pytest

from bench.reads import counting

BOUND = 200  # DynamoDB items one request may read (bench: api.max_items_read)
OWNED = 130  # more things than a page or a depth; before, listing them read 9 items each


@pytest.fixture
def crowd(api, at, fold):
    """bob owns OWNED things (one hidden, one deleted); ada flattred 60 of them, carol 40."""
    from flattr.store import things

    at("2026-10-10T00:00:00")
    for user in ("ada", "bob", "carol"):
        api.giver(user, budget=5000, funds=50_000)
    made = [
        things.register(
            "bob", url=f"https://bob.example/{i}", title=f"Post {i} about jazz", tags=["jazz"]
        ).thing_id
        for i in range(OWNED)
    ]
    for user, n in (("ada", 60), ("carol", 40)):
        for thing in made[:n]:
            assert api.flattr(user, int(thing))[0] == 201
    fold()
    return [int(t) for t in made]


ROUTES = [
    "/users/bob/things?limit=30",
    "/users/ada/flattrs?limit=30",
    "/rest/v2/things/search?count=30",
    "/rest/v2/things/search?query=nowhere&count=30",
    "/rest/v2/things/search?sort=flattrs&count=30&page=3",
    "/rest/v2/things/search?sort=flattrs_month&count=30",
    "/rest/v2/things/search?user=bob&count=30&page=3&full=1",
    "/rest/v2/users/bob/things?count=30&page=3&full=1",
    "/rest/v2/users/ada/flattrs?count=30&page=3&full=1",
    "/rest/v2/user/flattrs?count=30&page=3&full=1",
    "/rest/v2/user/things?count=30",
    "/rest/v2/user/subscriptions",
    "/me/subscriptions",
    "/me",
]


@pytest.mark.parametrize("viewer", [None, "ada"])
def test_no_request_reads_more_than_a_bounded_number_of_items(api, crowd, viewer, monkeypatch):
    from flattr import settings
    from flattr.store import subscriptions

    with monkeypatch.context() as env:  # the crowd's owners need not give, nor ada have a budget
        env.setenv("FLATTR_MIN_BUDGET", "0")
        env.setenv("FLATTR_GIVE_TO_GET", "false")
        settings.get.cache_clear()
        for thing in crowd[100:140]:
            subscriptions.subscribe("ada", str(thing), 3)
    settings.get.cache_clear()
    fan_list = f"/rest/v2/things/{crowd[0]}/flattrs?count=30&page=3&full=1"
    for path in [
        *ROUTES,
        fan_list,
        f"/things/{crowd[0]}",
        f"/rest/v2/things/{','.join(map(str, crowd[:30]))}",
    ]:
        if viewer is None and path.startswith(("/rest/v2/user/", "/me")):
            continue
        with counting() as tally:
            status, body = api.get(path, user=viewer)
        assert status == 200, (path, body)
        assert tally.items <= BOUND, f"{path} read {tally.items} items: {tally.by_operation}"
        assert "Scan" not in tally.by_operation, path


def test_a_creators_own_lists_and_statement_read_a_page_of_their_things(api, crowd):
    month_of_crowd = "2026-10"
    for path in (
        f"/me/statements/{month_of_crowd}",
        "/rest/v2/user/things?count=30&page=3&full=1",
        "/users/bob/things?limit=30",
        "/me",
    ):
        with counting() as tally:
            status, body = api.get(path, user="bob")
        assert status == 200, (path, body)
        assert tally.items <= BOUND, f"{path} read {tally.items} items: {tally.by_operation}"
    first = api.get(f"/me/statements/{month_of_crowd}?limit=10", user="bob")[1]
    assert (
        first["next"]
        and api.get(f"/me/statements/{month_of_crowd}?cursor={first['next']}", user="bob")[0] == 200
    )


def test_lists_go_on_by_cursor_without_repeats(api, crowd):
    seen, cursor = [], None
    while True:
        status, body = api.get("/users/bob/things?limit=30" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, body
        seen += [t["id"] for t in body["things"]]
        cursor = body["next"]
        if not cursor:
            break
    assert sorted(seen) == sorted(crowd) and len(seen) == len(set(seen))

    found, cursor = [], None
    while True:
        query = "/rest/v2/things/search?count=30&tags=jazz" + (f"&cursor={cursor}" if cursor else "")
        status, body = api.get(query)
        assert status == 200, body
        found += [t["id"] for t in body["things"]]
        cursor = body.get("next")
        if not cursor:
            break
    assert sorted(found) == sorted(crowd)


def test_pages_by_number_stop_at_the_depth_and_bad_cursors_are_400(api, crowd):
    status, body = api.get("/rest/v2/users/bob/things?count=30&page=4")
    assert (status, body["error"]) == (400, "page_too_deep")
    assert api.get("/rest/v2/things/search?count=31")[0] == 400
    for bad in ("x", "bm90IG91cnM", "WyIxIl0"):
        status, body = api.get(f"/users/bob/things?cursor={bad}")
        assert (status, body["error"]["code"]) == (400, "invalid_cursor"), body
        assert api.get(f"/rest/v2/things/search?sort=flattrs&cursor={bad}")[0] == 400


def test_search_sorts_by_folded_counts(api, crowd):
    top = api.get("/rest/v2/things/search?sort=flattrs&count=5")[1]["things"]
    assert [t["flattrs"] for t in top] == [2] * 5  # flattred by ada and carol
    month = [
        t["flattrs"]
        for page in (1, 2, 3)
        for t in api.get(f"/rest/v2/things/search?sort=flattrs_month&count=30&page={page}")[1]["things"]
    ]
    assert month == [2] * 40 + [1] * 20  # only the things flattred this month, most first


def test_v1_flattr_lists_show_only_things_listed_to_the_viewer(api, at):
    at("2026-10-10T00:00:00")
    for user in ("ada", "bob"):
        api.giver(user, budget=5000, funds=50_000)
    shown, hidden, deleted = api.thing("bob"), api.thing("bob", hidden=True), api.thing("bob")
    for thing in (shown, hidden, deleted):
        assert api.flattr("ada", thing)[0] == 201
    assert api.call("DELETE", f"/rest/v2/things/{deleted}", user="bob")[0] == 204
    assert api.get("/users/ada/flattrs")[1]["things"] == [shown]
    assert api.get("/users/ada/flattrs", user="ada")[1]["things"] == [shown]
    assert sorted(api.get("/users/ada/flattrs", user="bob")[1]["things"]) == sorted([shown, hidden])
    assert [t["id"] for t in api.get("/users/bob/things")[1]["things"]] == [shown]


def test_v1_writes_are_limited_per_user_with_429(api, at, monkeypatch):
    from flattr import limits

    monkeypatch.setitem(limits.LIMITS, "things", 2)
    api.giver("bob", budget=5000, funds=0)
    api.thing("bob")
    api.thing("bob")
    status, body = api.post("/things", {"url": "https://bob.example/3", "title": "Three"}, user="bob")
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    response = api.client.post(
        "/things",
        json={"url": "https://bob.example/4", "title": "4"},
        headers={"Authorization": api_token("bob")},
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert api.get("/users/bob/things")[1]["things"].__len__() == 2  # nothing more was made
    api.giver("carol", budget=5000, funds=0)
    api.thing("carol")  # per user


def test_anonymous_reads_are_limited_per_source_and_a_token_opens_no_fresh_bucket(api, monkeypatch):
    from flattr import limits

    monkeypatch.setitem(limits.LIMITS, "reads", 3)
    api.giver("ada", budget=5000, funds=0)
    for _ in range(3):
        assert api.get("/users/ada/things")[0] == 200
    status, body = api.get("/users/ada/things")
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert api.get("/users/ada/things", user="ada")[0] == 429  # the same source, signed in or not


def test_clicks_and_payouts_are_limited_per_user(api, at, monkeypatch):
    from flattr import limits

    monkeypatch.setitem(limits.LIMITS, "clicks", 1)
    monkeypatch.setitem(limits.LIMITS, "payouts", 0)
    at("2026-10-10T00:00:00")
    for user in ("ada", "bob"):
        api.giver(user, budget=5000, funds=50_000)
    one, two = api.thing("bob"), api.thing("bob")
    assert api.flattr("ada", one)[0] == 201
    assert api.flattr("ada", two)[0] == 429
    assert api.post("/me/payouts", {"amount": 1000}, user="bob")[0] == 429


def test_the_folded_counts_agree_with_their_counters(api, at, fold):
    from flattr.store import aggregates, models

    at("2026-10-10T00:00:00")
    for user in ("ada", "bob"):
        api.giver(user, budget=5000, funds=50_000)
    thing = api.thing("bob")
    assert api.flattr("ada", thing)[0] == 201
    assert aggregates.check_all() == []  # not folded yet: behind its counters, never ahead
    fold()
    assert aggregates.check_all() == []
    assert api.get("/users/bob/things")[1]["things"][0]["flattrs"] == 1
    item = models.Thing.get(*models.Thing.key(str(thing)))
    item.update(actions=[models.Thing.rank_total.set(5)])
    assert aggregates.check_all() == [f"thing {thing}: folded 5 flattrs, its counters hold 1"]


def api_token(user: str) -> str:
    from local.authorizer import make_token

    return f"Bearer {make_token(user)}"


def test_the_local_stack_runs_the_fold_on_its_schedule():
    from local import schedules

    rated = {fn.logical_id: seconds for fn, seconds in schedules.rated()}
    assert rated["FoldFunction"] <= schedules.FAST_SECONDS
    assert schedules.every("cron(0 6 * * ? *)") is None and schedules.every("rate(1 hour)") == 3600


def test_things_made_before_the_index_are_backfilled_into_it(api, fold):
    from flattr.store import aggregates, models

    api.giver("bob", budget=5000, funds=0)
    thing = api.thing("bob", title="Older than the index")
    models.Thing(*models.Thing.key(str(thing))).update(
        actions=[models.Thing.listed.remove(), models.Thing.rank_total.remove()]
    )
    assert api.get("/rest/v2/things/search?query=older")[1]["things"] == []
    assert aggregates.backfill() == 1 and aggregates.backfill() == 0
    fold()
    assert [t["id"] for t in api.get("/rest/v2/things/search?query=older")[1]["things"]] == [thing]
