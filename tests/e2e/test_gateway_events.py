"""The gateway in-process, with a recording stand-in for Lambda: events, routing, auth, responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from flattr.claims import stringify as stringify_claims
from werkzeug.test import Client, EnvironBuilder

from local import stack
from local.authorizer import make_token
from local.events import build_event, to_response
from local.gateway import Gateway
from local.routing import Route, find_route

# The design's default secret is 16 bytes; PyJWT warns below 32 and has no switch for it.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    def invoke(fn, event):
        calls.append((fn.logical_id, event))
        if event["rawPath"] == "/boom":
            raise RuntimeError("handler bug")
        return {"statusCode": 200, "body": json.dumps({"ok": True})}

    return Client(Gateway(invoke=invoke))


def _routes():
    routes = [Route(*r) for r in stack.http_routes()]
    return [r for r in routes if r.path != "$default"], next(r for r in routes if r.path == "$default")


@pytest.mark.parametrize(
    "method, path, key, params",
    [
        ("GET", "/things/lookup", "GET /things/lookup", {}),
        ("GET", "/things/123", "GET /things/{thing_id}", {"thing_id": "123"}),
        ("GET", "/things/abc/qr.svg", "GET /things/{thing_id}/qr.svg", {"thing_id": "abc"}),
        ("POST", "/things/7/flattr", "POST /things/{thing_id}/flattr", {"thing_id": "7"}),
        ("GET", "/me/statements/2026-01", "GET /me/statements/{month}", {"month": "2026-01"}),
        ("GET", "/things/1/2", "$default", {}),  # a variable matches exactly one segment
        ("GET", "/things/", "$default", {}),
        ("DELETE", "/health", "$default", {}),  # the path matches, the method does not
        ("GET", "/nowhere", "$default", {}),
    ],
)
def test_routing(method, path, key, params):
    route, found = find_route(*_routes(), method, path)
    assert (route.key, found) == (key, params)


def test_event_has_the_payload_2_0_fields():
    request = EnvironBuilder(
        path="/things/42",
        method="GET",
        query_string="a=1&a=2&b=x%20y",
        headers={"X-Custom": "v", "Cookie": "c1=1; c2=2", "User-Agent": "pytest"},
    ).get_request()
    event = build_event(request, "GET /things/{thing_id}", {"id": "42"})
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /things/{thing_id}"
    assert event["rawPath"] == "/things/42"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-custom"] == "v"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["c1=1", "c2=2"]
    ctx = event["requestContext"]
    assert ctx["http"]["method"] == "GET" and ctx["http"]["path"] == "/things/42"
    assert ctx["http"]["userAgent"] == "pytest"
    assert ctx["stage"] == "$default" and isinstance(ctx["timeEpoch"], int)
    assert {"accountId", "apiId", "domainName", "domainPrefix", "requestId", "time"} <= set(ctx)
    assert "authorizer" not in ctx
    assert event["isBase64Encoded"] is False and "body" not in event


def test_body_is_text_or_base64():
    text = build_event(EnvironBuilder(method="POST", data="héllo".encode()).get_request(), "$default", {})
    assert (text["body"], text["isBase64Encoded"]) == ("héllo", False)
    raw = b"\xff\xfe\x00binary"
    binary = build_event(EnvironBuilder(method="POST", data=raw).get_request(), "$default", {})
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == raw


def test_claims_are_strings_as_aws_passes_them():
    claims = {"sub": "u1", "cognito:groups": ["admin", "other"], "exp": 1700000000, "email_verified": True}
    assert stringify_claims(claims) == {
        "sub": "u1",
        "cognito:groups": "[admin other]",
        "exp": "1700000000",
        "email_verified": "true",
    }


def test_handler_results_follow_format_2_0():
    inferred = to_response({"hello": "world"})
    assert (inferred.status_code, json.loads(inferred.get_data())) == (200, {"hello": "world"})
    assert inferred.headers["Content-Type"] == "application/json"
    assert json.loads(to_response("plain").get_data()) == "plain"
    full = to_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-Count": 3},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
            "cookies": ["a=1; Path=/", "b=2"],
        }
    )
    assert full.status_code == 201 and full.get_data() == b"\x89PNG"
    assert full.headers["X-Count"] == "3"
    assert full.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]


def test_protected_route_gets_claims(client, calls):
    response = client.get("/me", headers={"Authorization": f"Bearer {make_token('root', admin=True)}"})
    assert response.status_code == 200
    fn, event = calls[-1]
    assert fn == "AccountsFunction"
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "root" and claims["cognito:groups"] == "[admin]" and claims["aud"] == "flattr"


def test_protected_route_rejects_before_the_handler(client, calls):
    expired = make_token("alice", ttl=-timedelta(seconds=5))
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": f"Bearer {expired}"}):
        response = client.get("/me", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
    assert calls == []


def test_public_route_takes_optional_auth(client, calls):
    client.get("/things/5", headers={"Authorization": f"Bearer {make_token('alice')}"})
    assert calls[-1][1]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "alice"
    response = client.get("/things/5", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 200
    assert "authorizer" not in calls[-1][1]["requestContext"]


def test_handler_exception_is_a_500_in_the_error_shape(client):
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"


def test_local_deposit_sends_a_signed_webhook(client, calls, monkeypatch):
    monkeypatch.setenv("FLATTR_WEBHOOK_SECRET", "s3cret")
    response = client.post("/_local/deposit", json={"user_id": "alice", "amount": 1000})
    assert response.status_code == 200
    fn, event = calls[-1]
    assert (fn, event["routeKey"]) == ("DepositFunction", "POST /webhooks/payments")
    sig = dict(part.split("=", 1) for part in event["headers"]["flattr-signature"].split(","))
    expected = hmac.new(b"s3cret", f"{sig['t']}.{event['body']}".encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig["v1"], expected)
    body = json.loads(event["body"])
    assert body["type"] == "deposit.succeeded" and body["id"] == response.json["event_id"]
    assert body["data"]["user_id"] == "alice" and body["data"]["amount"] == 1000
