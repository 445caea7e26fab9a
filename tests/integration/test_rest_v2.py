"""Flattr REST API v2 over the gateway: v2's shapes and codes on v1's rules and items."""

from __future__ import annotations

from urllib.parse import urlencode


def form(api, method, path, fields, user=None):
    return api.call(method, path, raw=urlencode(fields, doseq=True).encode(), user=user,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_smoke(api):
    api.giver("ada")
    api.giver("bob")
    status, made = form(api, "POST", "/rest/v2/things", {"url": "https://bob.example/post", "tags": "a, b"}, user="bob")
    assert status == 201, made
    tid = made["id"]
    status, thing = api.get(f"/rest/v2/things/{tid}", user="ada")
    assert status == 200, thing
    print(thing)
    status, body = api.post(f"/rest/v2/things/{tid}/flattr", user="ada")
    assert status == 200, body
    status, body = api.post(f"/rest/v2/things/{tid}/flattr", user="ada")
    assert (status, body["error"]) == (403, "flattr_once"), body
    print(api.get(f"/rest/v2/things/{tid}/flattrs"))
    print(api.get("/rest/v2/user/flattrs", user="ada"))
    print(api.get("/rest/v2/things/search?query=bob"))
    print(api.get(f"/rest/v2/things/lookup?url=https://bob.example/post"))
