"""v2 as Flattr documented it: every error code and every field name in the archived documentation
(tests/flattr_v2_docs, copied verbatim from flattr/developers.flattr.net) is checked against what
our v2 routes answer. The lists come from the documents, parsed here, not typed in again."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

DOCS = Path(__file__).resolve().parents[1] / "flattr_v2_docs"
RUBY = (DOCS / "_repo_root" / "lib" / "flattr.rb").read_text()
ERROR_PAGES = [
    DOCS / "api" / "errors.md",
    DOCS / "api" / "index.md",
    *sorted((DOCS / "api" / "resources").glob("*.md")),
]

# Documented, and out of reach for a client of ours; why, for each.
UNREACHABLE = {
    ("invalid_request", 401): "'Requires ssl': API Gateway serves HTTPS only, so plain HTTP never reaches us",
    ("invalid_scope", 403): "our tokens are the user's own sign-in, with no Flattr scopes to ask for",
    ("insufficient_scope", 403): "likewise: a signed-in user may do all that v2's scopes allowed",
    (
        "server_error",
        500,
    ): "never for anything a client sends: a 5xx is a bug, and the fuzz tests hunt for one",
}


def documented_errors() -> set[tuple[str, int]]:
    """Every `code` (status) in the error lists: errors.md, the index, and each resource page."""
    item = re.compile(r"^\s*\*\s+`(\w+)\s*`\s+\((?:HTTP\s+)?(\d{3})", re.M)
    return {(code, int(status)) for page in ERROR_PAGES for code, status in item.findall(page.read_text())}


def _expression(name: str) -> str:
    """The Ruby expression a constant of lib/flattr.rb is set to, up to its balancing bracket."""
    start = re.search(rf"^\s*{name}\s*=\s*", RUBY, re.M).end()
    depth, quote_char, i = 0, None, start
    while True:
        ch = RUBY[i]
        if quote_char:
            if ch == "\\":
                i += 1
            elif ch == quote_char:
                quote_char = None
        elif ch in "\"'":
            quote_char = ch
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
            if depth == 0 and not re.match(r"\s*\.merge", RUBY[i + 1 :]):
                return RUBY[start : i + 1]
        i += 1


def example(name: str):
    """An example body of the documentation (a constant of lib/flattr.rb) as Python data."""
    text = _expression(name)
    merged = re.fullmatch(r"(\w+)\.merge\((.*)\)", text.strip(), re.S)
    if merged:
        return {**example(merged[1]), **_literal(merged[2])}
    return _literal(text)


def _literal(text: str):
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M).replace("=>", ":")
    text = re.sub(
        r"(?<=[:\[,\s])(true|false|nil)(?=\s*[,\]}\n])",
        lambda m: {"true": "True", "false": "False", "nil": "None"}[m[1]],
        text,
    )
    text = re.sub(r"(?<=[:\[]\s)\s*([A-Z][A-Z0-9_]{2,})(?=\s*[,\]}\n])", lambda m: repr(example(m[1])), text)
    text = re.sub(r"(?<=\[)([A-Z][A-Z0-9_]{2,})(?=\])", lambda m: repr(example(m[1])), text)
    return ast.literal_eval(text)


def field_table(name: str) -> dict[str, str]:
    """A FIELDS_<name> table: each field and who may see it, its scopes joined ('' for anyone)."""
    mini = re.search(rf"^\s*FIELDS_{name}\s*=\s*FIELDS_(\w+)\.select.*?%w\{{([^}}]*)\}}", RUBY, re.M)
    if mini:
        return {k: v for k, v in field_table(mini[1]).items() if k in mini[2].split()}
    table = {}
    for key, spec in re.findall(
        r"^\s*['\"](\w+)['\"]\s*=>\s*\{(.*?)^\s*\}", _expression(f"FIELDS_{name}"), re.M | re.S
    ):
        scope = re.search(r":scope\s*=>\s*\[(.*?)\]", spec, re.S)[1]
        # A scope is written "owner", or as a link whose text is the scope's name.
        table[key] = ",".join(re.findall(r">(\w+)</a>", scope) or re.findall(r"\"(\w+)\"", scope))
    return table


def keys(data) -> set[str]:
    return set(data[0] if isinstance(data, list) else data)


# ---------------------------------------------------------------- the documents themselves


def test_the_documents_are_read_as_expected():
    # A guard for the parsers below: a few facts anyone can check by eye in the documents.
    errors = documented_errors()
    assert {("flattr_once", 403), ("flattr_owner", 403), ("no_means", 401), ("not_found", 404)} <= errors
    assert field_table("THING")["flattred"] == "authenticated" and field_table("THING")["title"] == ""
    assert field_table("USER")["registered_at"] == "extendedread"
    assert field_table("THING")["updated_at"] == "owner"
    assert set(field_table("MINI_USER")) == {"type", "resource", "link", "username"}
    assert example("THING_FULL")["last_flattr_at"] == 1320262599 and example("THING_FULL")["title"]
    assert example("SUBSCRIPTION")["thing"]["flattred"] is False
    assert example("SEARCH")["things"][0]["id"] == 423405


# ---------------------------------------------------------------- errors


def _post_form(api, path, fields, user):
    return api.call(
        "POST",
        path,
        raw=urlencode(fields).encode(),
        user=user,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.fixture
def scene(api, monkeypatch):
    """Ada gives; Bob owns a thing, which Ada has flattred and subscribed to; Dan has no means."""
    api.giver("ada")
    api.giver("bob", budget=200, funds=1000)
    api.put("/me", {"display_name": "Dan"}, user="dan")
    status, made = api.post(
        "/rest/v2/things", {"url": "https://bob.example/post", "title": "Bob's post"}, user="bob"
    )
    assert status == 201, made
    thing = made["id"]
    assert api.post(f"/rest/v2/things/{thing}/flattr", user="ada")[0] == 200
    assert api.post(f"/rest/v2/things/{thing}/subscriptions", user="ada")[0] == 200
    return thing


def _over_the_limit(api, thing, monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_V2_RATE_LIMIT", "1")
    settings.get.cache_clear()
    api.get("/rest/v2/user", user="ada")
    return api.get("/rest/v2/user", user="ada")


SCENARIOS = {
    ("invalid_request", 400): lambda api, t, mp: api.post("/rest/v2/things", raw=b"{oops", user="bob"),
    ("invalid_parameters", 400): lambda api, t, mp: api.get("/rest/v2/things/search?count=0"),
    ("validation", 400): lambda api, t, mp: api.post(
        "/rest/v2/things", {"url": "ftp://x.example/"}, user="bob"
    ),
    ("unauthorized", 401): lambda api, t, mp: api.get("/rest/v2/user"),
    ("no_means", 401): lambda api, t, mp: api.post(f"/rest/v2/things/{t}/flattr", user="dan"),
    ("rate_limit_exceeded", 403): _over_the_limit,
    ("flattr_once", 403): lambda api, t, mp: api.post(f"/rest/v2/things/{t}/flattr", user="ada"),
    ("flattr_owner", 403): lambda api, t, mp: api.post(f"/rest/v2/things/{t}/flattr", user="bob"),
    ("forbidden", 403): lambda api, t, mp: api.call("DELETE", f"/rest/v2/things/{t}", user="ada"),
    ("thing_owner", 403): lambda api, t, mp: api.post(f"/rest/v2/things/{t}/subscriptions", user="bob"),
    ("subscribed", 403): lambda api, t, mp: api.post(f"/rest/v2/things/{t}/subscriptions", user="ada"),
    ("not_found", 404): lambda api, t, mp: api.get("/rest/v2/things/nothing_here"),
    ("not_acceptable", 406): lambda api, t, mp: api.get(
        "/rest/v2/categories", headers={"Accept": "text/xml"}
    ),
}


def test_every_documented_error_is_answered_or_out_of_reach():
    documented = documented_errors()
    assert documented - set(SCENARIOS) - set(UNREACHABLE) == set(), "documented errors with no scenario"
    assert set(SCENARIOS) <= documented, "scenarios for errors the documents never had"


@pytest.mark.parametrize("code,status", sorted(SCENARIOS))
def test_a_documented_error_has_its_code_status_and_shape(api, scene, monkeypatch, code, status):
    got, body = SCENARIOS[(code, status)](api, scene, monkeypatch)
    assert (got, body.get("error")) == (status, code), body
    assert set(body) == {"error", "error_description", "error_uri"} and body["error_description"]


# ---------------------------------------------------------------- fields


def _visible_to(table: dict[str, str], who: str) -> set[str]:
    """The fields a table shows to `who`: anyone, a token holder, the owner (all scopes)."""
    allowed = {"anyone": {""}, "authenticated": {"", "authenticated"}}.get(who)
    return {k for k, scope in table.items() if allowed is None or scope in allowed}


def test_a_thing_has_every_documented_field_for_each_viewer(api, scene):
    thing = scene
    public = api.get(f"/rest/v2/things/{thing}")[1]
    other = api.get(f"/rest/v2/things/{thing}", user="ada")[1]
    owner = api.get(f"/rest/v2/things/{thing}", user="bob")[1]
    table = field_table("THING")
    assert _visible_to(table, "anyone") | keys(example("THING_PUBLIC")) <= set(public)
    assert _visible_to(table, "authenticated") | keys(example("THING")) <= set(other)
    assert set(table) | keys(example("THING_FULL")) <= set(owner)
    assert "last_flattr_at" not in other and "flattred" not in public
    assert set(field_table("MINI_USER")) <= set(owner["owner"])
    assert (other["flattred"], other["subscribed"], owner["flattrs"]) == (True, True, 1)
    assert isinstance(public["id"], int) and isinstance(public["created_at"], int)
    assert isinstance(owner["last_flattr_at"], int) and owner["last_flattr_at"] >= owner["created_at"]


def test_a_user_has_every_documented_field(api, scene):
    table = field_table("USER")
    public = api.get("/rest/v2/users/bob")[1]
    own = api.get("/rest/v2/user", user="bob")[1]
    assert _visible_to(table, "anyone") | keys(example("USER")) <= set(public)
    assert set(table) | keys(example("USER_EXTENDED")) <= set(own)
    assert not {"email", "registered_at"} & set(public)


def test_a_flattr_has_every_documented_field(api, scene):
    [flattr] = api.get(f"/rest/v2/things/{scene}/flattrs")[1]
    assert set(field_table("FLATTR")) | keys(example("FLATTR")) <= set(flattr)
    assert set(field_table("MINI_THING")) | keys(example("FLATTR")["thing"]) <= set(flattr["thing"])
    assert set(field_table("MINI_USER")) <= set(flattr["owner"])
    assert api.get("/rest/v2/user/flattrs", user="ada")[1] == [flattr]


def test_every_documented_answer_body_has_its_fields(api, scene):
    thing = scene
    api.giver("carol")
    created = api.post("/rest/v2/things", {"url": "https://bob.example/new"}, user="bob")[1]
    assert keys(example("THING_CREATE")) <= set(created)
    updated = api.call("PATCH", f"/rest/v2/things/{thing}", {"title": "Bob's post, again"}, user="bob")[1]
    assert keys(example("THING_UPDATE")) <= set(updated)
    assert keys(example("THING_LOOKUP")) <= set(
        api.get("/rest/v2/things/lookup?url=" + quote("https://bob.example/post"))[1]
    )
    assert keys(example("THING_LOOKUP_ERROR")) <= set(
        api.get("/rest/v2/things/lookup?url=" + quote("https://x.example/"))[1]
    )
    flattred = api.post(f"/rest/v2/things/{thing}/flattr", user="carol")[1]
    assert keys(example("FLATTR_CREATE")) <= set(flattred)
    assert keys(example("FLATTR_CREATE")["thing"]) - {"flattrs"} <= set(
        flattred["thing"]
    )  # see BENCHMARKS.md
    subscribed = api.post(f"/rest/v2/things/{thing}/subscriptions", user="carol")[1]
    assert keys(example("SUBSCRIPTION_CREATE")) <= set(subscribed)
    [sub] = api.get("/rest/v2/user/subscriptions", user="ada")[1]
    assert keys(example("SUBSCRIPTION")) <= set(sub)
    assert keys(example("SUBSCRIPTION")["thing"]) <= set(sub["thing"])
    found = api.get("/rest/v2/things/search?query=bob")[1]
    assert keys(example("SEARCH")) <= set(found) and keys(example("SEARCH")["things"]) <= set(
        found["things"][0]
    )
    assert keys(example("CATEGORIES")) <= keys(api.get("/rest/v2/categories")[1])
    assert keys(example("LANGUAGES")) <= keys(api.get("/rest/v2/languages")[1])
    assert [c["id"] for c in example("CATEGORIES")] == [c["id"] for c in api.get("/rest/v2/categories")[1]]


def test_the_rate_limit_headers_and_body_are_the_documented_ones(api, scene):
    index = (DOCS / "api" / "index.md").read_text()
    headers = set(re.findall(r"^\s+(X-RateLimit-\w+): \d+$", index, re.M))
    assert len(headers) == 4
    response = api.client.get(f"/rest/v2/things/{scene}")
    assert headers <= set(response.headers.keys())
    body_keys = set(re.findall(r'"(\w+)"\s*=>', index[index.index("/rate_limit") :]))
    assert body_keys <= set(api.get("/rest/v2/rate_limit")[1])
