"""A real Flattr REST API v2 client from PyPI (flattrclient 0.2), unchanged, against the local stack.

The library has api.flattr.com built in; a transport adapter sends its requests to the local stack
instead, so the only thing changed is the base URL, as for a site moving over to us.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from flattrclient import api as flattr_api
from flattrclient.exc import FlattrApiError, NotFoundError, UnauthorizedError

from tests.e2e.test_month_over_http import clock, setup_user

pytestmark = pytest.mark.e2e

FLATTR = "https://api.flattr.com"


class BaseUrl(requests.adapters.HTTPAdapter):
    """Send what the library addresses to api.flattr.com to another base URL."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):
        request.url = self.base + request.url[len(FLATTR) :]
        return super().send(request, **kwargs)


@pytest.fixture
def client(api):
    def make(token: str):
        flattr = flattr_api.get(token)
        flattr._session.mount(FLATTR + "/", BaseUrl(api.url))
        return flattr

    return make


def new_thing(flattr, url: str, **fields):
    thing = flattr.things.new(url=url, **fields)
    thing.commit()
    return thing


def test_things_through_the_v2_client(api, client):
    bob, bob_tok = setup_user(api, "bob")
    bob_v2 = client(bob_tok)
    url = f"https://{bob}.example/post"

    thing = new_thing(
        bob_v2,
        url,
        title="Bob's first post",
        description="About things",
        tags=["music", "jazz"],
        category="audio",
    )
    assert isinstance(thing.id, int)

    # Looked up by URL (v2 answers 302 to the thing) and fetched by id, one or several at once.
    found = bob_v2.things.lookup(url)
    assert (found.id, found.title, found.tags, found.category) == (
        thing.id,
        "Bob's first post",
        ["music", "jazz"],
        "audio",
    )
    assert (found.language, found.hidden, found.flattrs) == ("en_GB", False, 0)
    assert found.owner["username"] == bob
    other = new_thing(bob_v2, f"https://{bob}.example/other", title="Another post")
    both = list(bob_v2.things.get(str(thing.id), str(other.id)))
    assert sorted(t.id for t in both) == sorted([thing.id, other.id])

    # Updated: the library sends POST with _method=patch.
    found.title = "Bob's first post, revised"
    found.commit()
    assert bob_v2.things.get(str(thing.id)).title == "Bob's first post, revised"

    # Searched, and listed as the user's things.
    hits = bob_v2.things.search(query="revised", user=bob)
    assert [t.id for t in hits.things] == [thing.id] and hits.total_items == 1
    assert {t.id for t in bob_v2.authenticated.get_things()} == {thing.id, other.id}
    assert {t.id for t in bob_v2.users(bob).get_things()} == {thing.id, other.id}
    assert bob_v2.users.get(bob).username == bob

    # Deleted: gone for the library too.
    other_id = other.id
    other.delete()
    with pytest.raises(NotFoundError):
        bob_v2.things.get(str(other_id))


def test_flattrs_through_the_v2_client(api, client):
    clock(api, "2031-07-10T12:00:00Z")
    try:
        ada, ada_tok = setup_user(api, "ada")
        bob, bob_tok = setup_user(api, "bob", budget=200, funds=1000)
        thing = new_thing(client(bob_tok), f"https://{bob}.example/song", title="A song by Bob")
        ada_v2 = client(ada_tok)

        found = ada_v2.things.get(str(thing.id))
        assert found.flattred is False
        assert found.support()["message"] == "ok"
        assert ada_v2.things.get(str(thing.id)).flattrs == 1

        # The library raises what it knows by status, and FlattrApiError with v2's message otherwise.
        with pytest.raises(FlattrApiError, match="already flattred"):
            found.support()
        with pytest.raises(FlattrApiError, match="your own thing"):
            client(bob_tok).things.get(str(thing.id)).support()

        assert [f.thing["id"] for f in ada_v2.authenticated.get_flattrs()] == [thing.id]
        assert [f.owner["username"] for f in found.get_flattrs()] == [ada]
        assert [f.thing["id"] for f in ada_v2.users(ada).get_flattrs()] == [thing.id]

        # The v1 API sees the same flattr: one, not two.
        v1 = api.get(f"/things/{thing.id}", token=ada_tok).json()
        assert (v1["flattrs_month"], v1["flattred"]) == (1, True)
        assert api.post(f"/things/{thing.id}/flattr", token=ada_tok).json()["status"] == "already_flattred"
    finally:
        clock(api, None)


def test_subscriptions_through_the_v2_client(api, client):
    ada, ada_tok = setup_user(api, "ada")
    bob, bob_tok = setup_user(api, "bob", budget=200, funds=1000)
    thing = new_thing(client(bob_tok), f"https://{bob}.example/show", title="Bob's show")
    ada_v2 = client(ada_tok)

    found = ada_v2.things.get(str(thing.id))
    found.subscribe()
    subs = list(ada_v2.authenticated.get_subscriptions())
    assert [s.thing.id for s in subs] == [thing.id]
    found.unsubscribe()
    assert list(ada_v2.authenticated.get_subscriptions()) == []


def test_a_bad_token_is_unauthorized_to_the_library(api, client):
    with pytest.raises(UnauthorizedError):
        list(client("not-a-token").authenticated.get_things())


def test_an_unknown_thing_is_not_found_to_the_library(api, client):
    _, tok = setup_user(api, "eve")
    with pytest.raises(NotFoundError):
        client(tok).things.get(str(uuid.uuid4().int % 10**15 + 1))
