"""Subscriptions, privacy, and the unspent-budget policies over months."""

import pytest
from flattr.domain import accounts
from flattr.store import ledger


def test_a_subscription_flattrs_each_of_the_next_months(api, at, close, audit):
    at("2026-10-10T00:00:00")
    api.giver("ada", budget=1000, funds=10_000)
    api.giver("bob", budget=200, funds=10_000)
    thing = api.thing("bob")
    status, sub = api.post(f"/things/{thing}/subscription", {"months": 3}, user="ada")
    assert status == 201
    assert (sub["first_month"], sub["last_month"]) == ("2026-11", "2027-01")
    assert api.get("/me/subscriptions", user="ada")[1]["subscriptions"] == [sub]

    close("2026-10", now="2026-11-01T00:10:00")  # October: nothing flattred yet
    assert api.me("bob")["balances"]["revenue"] == 0
    close("2026-11", now="2026-12-01T00:10:00")
    statement = api.get("/me/statements/2026-11", user="ada")[1]
    assert statement["given"] == [{"thing_id": thing, "amount": 900, "via": "subscription"}]
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1
    # Cancelled: December is not flattred.
    assert api.call("DELETE", f"/things/{thing}/subscription", user="ada")[0] == 200
    close("2026-12", now="2027-01-01T00:10:00")
    assert api.get("/me/statements/2026-12", user="ada")[1]["given"] == []
    assert api.me("bob")["balances"]["revenue"] == 900
    audit()


def test_a_subscription_and_a_click_in_one_month_count_once(api, at, close, audit):
    at("2026-10-10T00:00:00")
    api.giver("ada", budget=1000, funds=10_000)
    api.giver("bob", budget=200, funds=10_000)
    thing = api.thing("bob")
    api.post(f"/things/{thing}/subscription", {"months": 6}, user="ada")
    close("2026-10", now="2026-11-01T00:10:00")  # months close in order
    at("2026-11-03T00:00:00")
    assert api.flattr("ada", thing)[0] == 201
    close("2026-11", now="2026-12-01T00:10:00")
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1
    assert api.me("bob")["balances"]["revenue"] == 900
    audit()


def test_subscription_rules(api, at):
    at("2026-10-10T00:00:00")
    api.giver("bob")
    thing = api.thing("bob")
    for months in (1, 4, "3", 24):
        assert api.post(f"/things/{thing}/subscription", {"months": months}, user="ada")[0] == 400
    assert (
        api.post(f"/things/{thing}/subscription", {"months": 3}, user="bob")[1]["error"]["code"]
        == "flattr_owner"
    )
    assert api.post("/things/77/subscription", {"months": 3}, user="ada")[0] == 404
    assert api.call("DELETE", f"/things/{thing}/subscription", user="ada")[0] == 404


def test_hidden_flattrs_keep_counts_public(api, at):
    at("2026-10-10T00:00:00")
    api.giver("ada")
    api.giver("bob")
    thing = api.thing("bob")
    api.flattr("ada", thing)
    assert api.get("/users/ada/flattrs")[1]["things"] == [thing]
    api.put("/me", {"hide_flattrs": True}, user="ada")
    public = api.get("/users/ada/flattrs")[1]
    assert (public["hidden"], public["things"]) == (True, [])
    assert api.get("/users/ada/flattrs", user="ada")[1]["things"] == [thing]
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1


def test_a_creators_visible_things(api, at):
    api.giver("bob")
    shown, hidden = api.thing("bob"), api.thing("bob", hidden=True)
    assert [t["id"] for t in api.get("/users/bob/things")[1]["things"]] == [shown]
    assert {t["id"] for t in api.get("/users/bob/things", user="bob")[1]["things"]} == {shown, hidden}


@pytest.fixture
def policy(monkeypatch):
    from flattr import settings

    def use(name):
        monkeypatch.setenv("FLATTR_UNSPENT_POLICY", name)
        settings.get.cache_clear()

    return use


def test_dormant6_sends_funds_to_charity_after_six_idle_months(api, at, close, policy, audit):
    policy("dormant6")
    at("2026-01-10T00:00:00")
    api.giver("idle", budget=500, funds=4000)
    for month, next_day in [
        ("2026-01", "2026-02"),
        ("2026-02", "2026-03"),
        ("2026-03", "2026-04"),
        ("2026-04", "2026-05"),
        ("2026-05", "2026-06"),
    ]:
        close(month, now=f"{next_day}-01T00:10:00")
        assert api.me("idle")["balances"]["funds"] == 4000, month
    close("2026-06", now="2026-07-01T00:10:00")
    assert api.me("idle")["balances"]["funds"] == 0
    assert ledger.balance(accounts.CHARITY) == 4000
    audit()


def test_dormant6_counter_resets_when_the_user_flattrs(api, at, close, policy):
    policy("dormant6")
    at("2026-01-10T00:00:00")
    api.giver("idle", budget=500, funds=4000)
    api.giver("bob", budget=200, funds=10_000)
    thing = api.thing("bob")
    for i, (month, next_day) in enumerate(
        [
            ("2026-01", "2026-02"),
            ("2026-02", "2026-03"),
            ("2026-03", "2026-04"),
            ("2026-04", "2026-05"),
            ("2026-05", "2026-06"),
            ("2026-06", "2026-07"),
        ]
    ):
        if i == 3:
            at(f"{month}-15T00:00:00")
            api.flattr("idle", thing)
        close(month, now=f"{next_day}-01T00:10:00")
    assert api.me("idle")["balances"]["funds"] == 3500  # only April's budget was spent
