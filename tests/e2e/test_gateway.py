"""The local gateway over real HTTP: what holds whatever the handlers do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from local.authorizer import make_token

pytestmark = [
    pytest.mark.e2e,
    # The design's default secret is 16 bytes; PyJWT warns below 32 and has no switch for it.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def test_unknown_local_route_is_a_json_404(api):
    assert_error(api.post("/_local/nope", json={}), 404, "not_found")


def test_malformed_json_to_a_local_route_is_a_400(api):
    response = api.post("/_local/token", data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_protected_route_without_token_is_401(api):
    assert_error(api.get("/me"), 401, "unauthorized")


def test_expired_token_is_401(api):
    expired = make_token("alice", ttl=-timedelta(minutes=1))
    response = api.get("/me", token=expired)
    assert_error(response, 401, "unauthorized")
    assert "expired" in response.json()["error"]["message"]


def test_token_signed_with_another_secret_is_401(api, monkeypatch):
    monkeypatch.setenv("FLATTR_LOCAL_JWT_SECRET", "not-the-servers-secret")
    assert_error(api.get("/me", token=make_token("mallory")), 401, "unauthorized")


def test_not_a_bearer_header_is_401(api, token):
    response = api.get("/me", headers={"Authorization": f"Basic {token('alice')}"})
    assert_error(response, 401, "unauthorized")


def test_token_from_local_route_is_accepted(api, token):
    assert api.get("/me", token=token("alice")).status_code != 401
    assert api.get("/admin/months/2020-01", token=token("root", admin=True)).status_code != 401


def test_preflight_answers_cors(api):
    response = api.request(
        "OPTIONS",
        "/me",
        headers={
            "Origin": "https://blog.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_cross_origin_responses_carry_allow_origin(api):
    response = api.get("/me", headers={"Origin": "https://blog.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # even on the 401


def test_clock_moves_and_restores(api):
    moved = api.post("/_local/clock", json={"now": "2030-02-28T12:00:00Z"})
    assert moved.status_code == 200
    assert moved.json()["now"].startswith("2030-02-28T12:00:00")
    restored = api.post("/_local/clock", json={"now": None}).json()["now"]
    assert abs(datetime.fromisoformat(restored) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert_error(api.post("/_local/clock", json={"now": "yesterday"}), 400, "invalid_request")


def test_drain_reports_counts(api):
    response = api.post("/_local/drain")
    assert response.status_code == 200
    assert set(response.json()) == {"processed", "failed", "dead_lettered"}


def test_deposit_reports_the_webhook_answer(api):
    response = api.post("/_local/deposit", json={"user_id": "alice", "amount": 500, "event_id": "evt_e2e_1"})
    body = response.json()
    assert body["event_id"] == "evt_e2e_1"
    assert body["status"] == response.status_code
    assert_error(api.post("/_local/deposit", json={"amount": 5}), 400, "invalid_request")


def test_demo_page_is_served(api):
    response = api.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
