"""Notifications as `make run` serves them: a closed month's statement lands in the local mailbox
(GET /_local/mail), and its unsubscribe link works over plain HTTP."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from tests import stack_months

pytestmark = pytest.mark.e2e


def test_a_statement_reaches_the_local_mailbox_and_unsubscribes(api):
    month = stack_months.take(api.url)
    assert api.post("/_local/clock", json={"now": f"{month}-10T12:00:00Z"}).status_code == 200
    try:
        user = f"mia-{uuid.uuid4().hex[:8]}"
        address = f"{user}@example.org"
        tok = api.token(user)
        assert api.put("/me", token=tok, json={"monthly_budget": 500, "email": address}).status_code == 200
        assert api.post("/_local/deposit", json={"user_id": user, "amount": 1000}).status_code == 200
        assert api.get(f"/_local/mail?to={address}").json() == []
        assert (
            api.post(
                "/_local/clock", json={"now": f"{stack_months.following(month)}-01T00:05:00Z"}
            ).status_code
            == 200
        )
        admin = api.token("root", admin=True)
        assert api.post(f"/admin/months/{month}/close", token=admin).status_code == 202
        assert api.post("/_local/drain").json()["dead_lettered"] == 0
        box = api.get(f"/_local/mail?to={address}").json()
        assert [m["subject"] for m in box] == [f"Your Flattr statement for {month}"]
        assert set(box[0]) >= {"to", "subject", "text", "sent_at"} and box[0]["to"] == address
        link = urlsplit(re.search(r"Unsubscribe: (\S+)", box[0]["text"]).group(1))
        assert api.post(f"{link.path}?{link.query}").status_code == 200
        assert api.get("/me", token=tok).json()["notifications"]["statement"] is False
        assert api.get("/_local/mail?to=nobody").status_code == 400
    finally:
        api.post("/_local/clock", json={"now": None})
