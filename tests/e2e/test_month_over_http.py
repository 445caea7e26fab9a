"""The whole system over real HTTP, as `make run` serves it: a month from deposit to statement,
and clicks racing through the gateway. The local stack is shared, so each test uses its own
users and its own month."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tests import stack_months

pytestmark = pytest.mark.e2e


def uid(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def setup_user(api, name: str, budget: int = 1000, funds: int = 5000) -> tuple[str, str]:
    user = uid(name)
    tok = api.token(user)
    assert api.put("/me", token=tok, json={"display_name": name, "monthly_budget": budget}).status_code == 200
    if funds:
        assert api.post("/_local/deposit", json={"user_id": user, "amount": funds}).status_code == 200
    return user, tok


def clock(api, when):
    assert api.post("/_local/clock", json={"now": when}).status_code == 200


def test_a_deposit_shows_up_once(api):
    user, tok = setup_user(api, "dep", funds=0)
    event = f"evt-{uuid.uuid4().hex}"
    first = api.post("/_local/deposit", json={"user_id": user, "amount": 1234, "event_id": event})
    again = api.post("/_local/deposit", json={"user_id": user, "amount": 1234, "event_id": event})
    assert first.status_code == again.status_code == 200
    assert again.json()["body"] == {"status": "duplicate"}
    assert api.get("/me", token=tok).json()["balances"]["funds"] == 1234


def test_a_whole_month_over_http(api):
    month = stack_months.take(api.url)  # a past month: closing it seals no one born later
    clock(api, f"{month}-10T12:00:00Z")
    try:
        ada, ada_tok = setup_user(api, "ada", budget=1000, funds=5000)
        bob, bob_tok = setup_user(api, "bob", budget=200, funds=1000)
        thing = api.post(
            "/things", token=bob_tok, json={"url": f"https://{bob}.example/", "title": "Bob's blog"}
        ).json()["id"]
        assert api.post(f"/things/{thing}/flattr", token=ada_tok).status_code == 201
        clock(api, f"{stack_months.following(month)}-01T00:05:00Z")
        admin = api.token("root", admin=True)
        assert api.post(f"/admin/months/{month}/close", token=admin).status_code == 202
        drained = api.post("/_local/drain").json()
        assert drained["dead_lettered"] == 0
        assert api.get(f"/admin/months/{month}", token=admin).json()["status"] == "closed"
        assert api.get("/me", token=ada_tok).json()["balances"] == {"funds": 4000, "revenue": 0}
        assert api.get("/me", token=bob_tok).json()["balances"]["revenue"] == 900
        statement = api.get(f"/me/statements/{month}", token=bob_tok).json()
        assert statement["received"] == [{"thing_id": thing, "flattrs": 1, "amount": 900}]
        assert api.post("/_local/audit").json()["ok"] is True
    finally:
        clock(api, None)


def test_racing_clicks_through_the_gateway(api):
    owner, owner_tok = setup_user(api, "owner")
    thing = api.post(
        "/things", token=owner_tok, json={"url": f"https://{owner}.example/", "title": "Raced thing"}
    ).json()["id"]
    fans = [setup_user(api, "fan", funds=500) for _ in range(12)]
    barrier = threading.Barrier(len(fans) * 3)
    statuses: list[int] = []

    def click(tok):
        session = requests.Session()
        barrier.wait()
        statuses.append(
            session.post(
                f"{api.url}/things/{thing}/flattr", headers={"Authorization": f"Bearer {tok}"}, timeout=60
            ).status_code
        )

    threads = [threading.Thread(target=click, args=(tok,)) for _, tok in fans for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(statuses) == [200] * (2 * len(fans)) + [201] * len(fans)
    body = api.get(f"/things/{thing}").json()
    assert body["flattrs"] == body["flattrs_month"] == len(fans)
