"""Nothing a client sends causes a 5xx: bodies nested without end, numbers of thousands of digits
and bodies past any real request's size are a 4xx in the route's own error shape, and change nothing."""

from __future__ import annotations

import pytest

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
DEEP_UNDER_THE_SIZE_LIMIT = (
    '{"tags": ' + "[" * 10_000 + "]" * 10_000 + "}"
)  # 20 KB: the depth check, not the size
HUGE_INT = '{"display_name": "x", "monthly_budget": ' + "9" * 5000 + "}"
HUGE_IN_LIST = '{"url": "https://a.example/", "title": "Hello there", "tags": [' + "1" * 5000 + "]}"
HUGE_FLOAT = '{"amount": 1.' + "5" * 5000 + "}"
BIG = '{"title": "' + "x" * 300_000 + '"}'

V1_ROUTES = [
    ("PUT", "/me"),
    ("POST", "/things"),
    ("POST", "/me/payouts"),
    ("POST", "/me/revenue/to-funds"),
    ("POST", "/things/1/flattr"),
    ("POST", "/things/1/subscription"),
]
V2_ROUTES = [
    ("POST", "/rest/v2/things"),
    ("PATCH", "/rest/v2/things/1"),
    ("POST", "/rest/v2/flattr"),
    ("POST", "/rest/v2/things/1/subscriptions"),
]
BODIES = {
    "deep": DEEP,
    "deep_small": DEEP_UNDER_THE_SIZE_LIMIT,
    "deep_object": DEEP_OBJECT,
    "huge_int": HUGE_INT,
    "huge_in_list": HUGE_IN_LIST,
    "huge_float": HUGE_FLOAT,
    "big": BIG,
}


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("method,path", V1_ROUTES)
def test_a_hostile_body_is_a_v1_refusal(api, method, path, kind):
    api.giver("ada")
    status, body = api.call(method, path, raw=BODIES[kind].encode(), user="ada")
    assert 400 <= status < 500, (status, body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] in ("invalid_json", "body_too_large"), body
    assert api.me("ada")["monthly_budget"] == 1000  # nothing changed


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("method,path", V2_ROUTES)
def test_a_hostile_body_is_a_v2_refusal(api, method, path, kind):
    api.giver("ada")
    status, body = api.call(method, path, raw=BODIES[kind].encode(), user="ada")
    assert 400 <= status < 500, (status, body)
    assert set(body) == {"error", "error_description", "error_uri"}, body
    assert body["error"] in ("invalid_request", "body_too_large"), body
    assert "x-ratelimit-limit" not in body  # the shape, not the headers: v2's gate still counted it


def test_a_deep_body_without_a_content_type_is_refused_too(api):
    status, body = api.call(
        "PUT", "/me", raw=DEEP_UNDER_THE_SIZE_LIMIT.encode(), user="ada", headers={"Content-Type": ""}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_json"), body


def test_ordinary_bodies_still_pass(api):
    api.giver("ada")
    nested_a_little = {"display_name": "Ada", "monthly_budget": 1200}
    assert api.put("/me", nested_a_little, user="ada")[0] == 200
    status, made = api.post(
        "/things", {"url": "https://ada.example/x", "title": "A fine thing", "tags": ["a", "b"]}, user="ada"
    )
    assert status == 201, made


@pytest.mark.parametrize(
    "path",
    [
        "/rest/v2/things/search?page={n}",
        "/rest/v2/things/search?count={n}",
        "/rest/v2/users/ada/things?page={n}",
        "/things/{n}",
        "/rest/v2/things/{n}",
        "/things/lookup?url=https://a.example:{n}/",
        "/rest/v2/things/lookup?url=https://a.example/" + "%5B" * 5000,
    ],
)
def test_huge_numbers_in_paths_and_queries_are_refusals(api, path):
    status, body = api.get(path.format(n="9" * 5000), user="ada")
    assert 400 <= status < 500, (status, body)
