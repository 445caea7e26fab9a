"""Every spelling of a registered URL is that thing, through v1, v2, lookup and auto-submit."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_url_identity import SAME_AS_VICTIM, a_spelling, a_url

VICTIM = "https://victim.example/post"


@pytest.fixture
def victim(api):
    api.giver("vicky")
    api.giver("mallory")
    return api.thing("vicky", VICTIM, title="Vicky's post")


@pytest.mark.parametrize(
    "spelling", SAME_AS_VICTIM + ["https://VICTIM.example/post", "https://victim.example/a/b/../../post"]
)
def test_no_other_spelling_registers_beside_it(api, victim, spelling):
    status, body = api.post("/things", {"url": spelling, "title": "Mallory's copy"}, user="mallory")
    assert (status, body["error"]["code"]) == (409, "url_taken"), body
    status, body = api.post("/rest/v2/things", {"url": spelling, "title": "Mallory's copy"}, user="mallory")
    assert (status, body["error"]) == (409, "url_taken"), body
    status, found = api.get(f"/things/lookup?url={quote(spelling, safe='')}")
    assert (status, found["id"]) == (200, victim), found
    resp = api.client.get(f"/rest/v2/things/lookup?url={quote(spelling, safe='')}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/rest/v2/things/{victim}")


def test_idn_spellings_are_one_thing(api):
    api.giver("vicky")
    made = api.thing("vicky", "https://bücher.example/p")
    assert api.get(f"/things/{made}")[1]["url"] == "https://xn--bcher-kva.example/p"
    for spelling in (
        "https://XN--BCHER-KVA.example/p",
        "https://BÜCHER.EXAMPLE/p",
        "http://bücher.example./p",
    ):
        status, body = api.post("/things", {"url": spelling, "title": "Another copy"}, user="vicky")
        assert (status, body["error"]["code"]) == (409, "url_taken"), (spelling, body)


def test_an_ipv6_url_is_stored_with_its_brackets(api):
    api.giver("vicky")
    made = api.thing("vicky", "https://[::1]/p")
    assert api.get(f"/things/{made}")[1]["url"] == "https://[::1]/p"
    status, body = api.post(
        "/things", {"url": "https://[0:0::1]:443/p", "title": "Another copy"}, user="vicky"
    )
    assert (status, body["error"]["code"]) == (409, "url_taken"), body


def test_an_auto_submit_url_in_another_spelling_flattrs_the_thing(api, victim):
    api.giver("ada")
    auto = "https://flattr.com/submit/auto?" + urlencode(
        {"user_id": "vicky", "url": "http://VICTIM.example./%70ost#x", "title": "Vicky's post"}
    )
    status, body = api.post("/rest/v2/flattr", {"url": auto}, user="ada")
    assert status == 200, body
    assert body["thing"]["id"] == victim


def test_deleting_frees_every_spelling(api, victim):
    assert api.call("DELETE", f"/rest/v2/things/{victim}", user="vicky")[0] == 204
    status, body = api.post(
        "/things", {"url": "http://victim.example./%70ost", "title": "Back again"}, user="vicky"
    )
    assert status == 201, body
    assert body["url"] == "http://victim.example/post"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_equivalent_spelling_is_url_taken(api, data):
    host, path, query = data.draw(a_url())
    plain = f"https://{host}/" + "/".join(path) + query
    spelling = data.draw(a_spelling(host, path, query))
    status, made = api.post("/things", {"url": plain, "title": "The first one"}, user="vicky")
    if status == 409:  # drawn before in this run
        made = api.get(f"/things/lookup?url={quote(plain, safe='')}")[1]
    else:
        assert status == 201, made
    status, body = api.post("/things", {"url": spelling, "title": "The second one"}, user="vicky")
    assert (status, body["error"]["code"]) == (409, "url_taken"), (plain, spelling, body)
    assert api.get(f"/things/lookup?url={quote(spelling, safe='')}")[1]["id"] == made["id"]
