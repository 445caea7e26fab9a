"""An auto-submitted thing is made in its owner's name by someone else's flattr: it stays unlisted
until its owner claims it, and the owner can delete it and register its URL themselves."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

SCAM = "https://vicky.example/endorsement"


def auto_url(owner: str, url: str, **fields) -> str:
    return "https://flattr.com/submit/auto?" + urlencode({"user_id": owner, "url": url, **fields})


@pytest.fixture
def planted(api) -> int:
    """Mallory flattrs an auto-submit URL in Vicky's name: the thing exists, with Mallory's title."""
    api.giver("vicky")
    api.giver("mallory")
    status, body = api.post(
        "/rest/v2/flattr", {"url": auto_url("vicky", SCAM, title="Vicky endorses scam coin")}, user="mallory"
    )
    assert status == 200, body
    return body["thing"]["id"]


def listed(api, thing_id: int, viewer: str | None = None) -> dict[str, bool]:
    v1 = [t["id"] for t in api.get("/users/vicky/things", user=viewer)[1]["things"]]
    v2 = [t["id"] for t in api.get("/rest/v2/users/vicky/things", user=viewer)[1]]
    search = [t["id"] for t in api.get("/rest/v2/things/search?query=scam", user=viewer)[1]["things"]]
    return {"v1": thing_id in v1, "v2": thing_id in v2, "search": thing_id in search}


def test_an_auto_submitted_thing_is_not_listed_under_its_owner_until_claimed(api, planted):
    nowhere = {"v1": False, "v2": False, "search": False}
    assert listed(api, planted) == nowhere
    assert listed(api, planted, viewer="mallory") == nowhere
    # Its owner sees it in her own list, as not claimed yet, and its button still works.
    assert listed(api, planted, viewer="vicky")["v1"] is True
    mine = api.get(f"/things/{planted}", user="vicky")[1]
    assert (mine["claimed"], mine["hidden"]) == (False, True)
    api.giver("ada")
    assert api.flattr("ada", planted)[0] == 201

    status, claimed = api.post(f"/things/{planted}/claim", user="vicky")
    assert status == 200, claimed
    assert (claimed["claimed"], claimed["hidden"]) == (True, False)
    assert listed(api, planted) == {"v1": True, "v2": True, "search": True}
    assert api.post(f"/things/{planted}/claim", user="vicky")[0] == 200  # again: nothing changes


def test_only_the_owner_claims_or_deletes(api, planted):
    status, body = api.post(f"/things/{planted}/claim", user="mallory")
    assert (status, body["error"]["code"]) == (403, "not_owner")
    status, body = api.call("DELETE", f"/things/{planted}", user="mallory")
    assert (status, body["error"]["code"]) == (403, "not_owner")
    assert api.post(f"/things/{planted}/claim")[0] == 401
    assert api.post("/things/123/claim", user="vicky")[0] == 404
    assert api.get(f"/things/{planted}", user="vicky")[1]["claimed"] is False


def test_the_owner_deletes_it_and_registers_the_url_herself(api, planted):
    status, body = api.post("/things", {"url": SCAM, "title": "My real page"}, user="vicky")
    assert (status, body["error"]["code"]) == (409, "url_taken")
    assert api.call("DELETE", f"/things/{planted}", user="vicky")[0] == 204
    assert api.get(f"/things/{planted}")[0] == 404
    status, mine = api.post("/things", {"url": SCAM, "title": "My real page"}, user="vicky")
    assert status == 201, mine
    assert (mine["claimed"], mine["hidden"]) == (True, False)
    assert listed(api, mine["id"])["v1"] is True


def test_an_edit_through_v2_by_the_owner_claims_it(api, planted):
    status, _ = api.call("PATCH", f"/rest/v2/things/{planted}", {"hidden": False}, user="vicky")
    assert status == 200
    assert api.get(f"/things/{planted}", user="vicky")[1]["claimed"] is True
    assert listed(api, planted)["v2"] is True


def test_a_thing_its_owner_registers_is_claimed(api):
    api.giver("vicky")
    made = api.thing("vicky", "https://vicky.example/mine")
    assert api.get(f"/things/{made}")[1]["claimed"] is True
