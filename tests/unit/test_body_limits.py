"""The check every HTTP function runs on a body before a JSON parser sees it: it refuses what would
make the parser raise (deep nesting, numbers of thousands of digits) or work long (huge bodies), in
bounded time whatever the body, and lets every ordinary body through."""

from __future__ import annotations

import json
import time

from flattr.http import MAX_BODY_BYTES, MAX_DEPTH, body_refusal
from hypothesis import given, settings
from hypothesis import strategies as st


def refusal(body: str, content_type: str = "application/json"):
    found = body_refusal({"body": body, "headers": {"content-type": content_type}})
    return found and found[:2]


def test_what_a_parser_cannot_take_is_refused():
    assert refusal("[" * 50_000 + "]" * 50_000) == (400, "invalid_json")
    assert refusal("[]" * 200_000) == (413, "body_too_large")
    assert refusal("[" * 10_000 + "]" * 10_000) == (400, "invalid_json")
    assert refusal('{"a": ' + "9" * 5000 + "}") == (400, "invalid_json")
    assert refusal('{"a": -1.' + "9" * 5000 + "e5}") == (400, "invalid_json")
    assert refusal("x" * (MAX_BODY_BYTES + 1), "application/x-www-form-urlencoded") == (413, "body_too_large")


def test_brackets_and_digits_inside_strings_are_text():
    assert refusal(json.dumps({"title": "[" * 1000, "description": "9" * 900})) is None


def test_the_check_is_linear_on_the_worst_bodies():
    worst = ['"\\' * 130_000, '\\"' * 130_000, '"\\"' * 87_000, '"' + "a" * 260_000, "[{" * 130_000]
    for body in worst:
        started = time.perf_counter()
        refusal(body[:MAX_BODY_BYTES])
        assert time.perf_counter() - started < 0.2, body[:20]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_every_ordinary_body_passes(value):
    body = json.dumps(value, ensure_ascii=False)
    if depth(value) <= MAX_DEPTH:
        assert refusal(body) is None, body
