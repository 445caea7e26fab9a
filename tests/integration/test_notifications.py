"""Emails: statements after a close, exactly once; funds-low warnings once; one-click unsubscribe."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.integration.notify_helpers import mails

MONTH = "2026-10"


@pytest.fixture(autouse=True)
def empty_mailbox(aws):
    from moto.ses.models import ses_backends

    from local import runtime

    ses_backends[runtime.ACCOUNT_ID][runtime.REGION].sent_messages.clear()


@pytest.fixture
def october(api, at):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=300, funds=300)
    api.giver("cy", budget=200, funds=200)
    api.giver("dee", budget=1000, funds=1500)  # 500 left after October: below her budget
    for user in ("ada", "bob", "cy", "dee"):
        assert api.put("/me", {"email": f"{user}@example.org"}, user=user)[0] == 200
    bob1, cy1 = api.thing("bob"), api.thing("cy")
    for giver, thing in (("ada", bob1), ("ada", cy1), ("bob", cy1), ("dee", bob1)):
        assert api.flattr(giver, thing)[0] == 201
    return {"bob1": bob1, "cy1": cy1}


def _redeliver_close_jobs(month: str, users: list[str]) -> None:
    """What SQS may do: hand the close's jobs out again, after they were done."""
    from flattr.store import settlement
    from flattr.store.queue import SettleQueue

    SettleQueue().send(
        [settlement.settle_job(month, u) for u in users]
        + [settlement.scan_job(month, s, settlement.SEGMENTS) for s in range(settlement.SEGMENTS)]
    )


def test_a_closed_month_sends_one_statement_per_settled_user(api, october, close, poller):
    status = close(MONTH, now="2026-11-01T00:10:00")
    assert status["status"] == "closed" and status["users_settled"] == 4
    _redeliver_close_jobs(MONTH, ["ada", "bob", "cy", "dee"])
    poller.drain()
    from flattr.notify import events

    events.send([{"kind": "member", "month": MONTH, "user_id": u} for u in ("ada", "cy")])  # twice, too
    poller.drain()
    for user in ("ada", "bob", "cy", "dee"):
        statements = mails(api, f"{user}@example.org", "statement")
        assert len(statements) == 1, (user, statements)
    ada = mails(api, "ada@example.org", "statement")[0]
    assert ada["subject"] == "Your Flattr statement for 2026-10"
    assert "Charged: 10.00 EUR (fee 1.00 EUR, charity 0.00 EUR)" in ada["text"]
    cy = mails(api, "cy@example.org", "statement")[0]
    statement = api.get(f"/me/statements/{MONTH}", user="cy")[1]
    received = statement["received"][0]["amount"]
    assert f"Received: {received // 100}.{received % 100:02d} EUR" in cy["text"]


def test_no_email_without_an_address_or_when_turned_off(api, october, close):
    api.put("/me", {"email": ""}, user="ada")
    api.put("/me", {"notifications": {"statement": False}}, user="bob")
    close(MONTH, now="2026-11-01T00:10:00")
    assert mails(api, "ada@example.org") == []
    assert mails(api, "bob@example.org", "statement") == []
    assert len(mails(api, "cy@example.org", "statement")) == 1
    me = api.me("bob")
    assert me["email"] == "bob@example.org"
    assert me["notifications"] == {
        "statement": False,
        "paused": True,
        "buttons_off": True,
        "digest": True,
        "payouts": True,
    }


def test_buttons_off_and_paused_are_sent_once(api, october, close, at, poller):
    close(MONTH, now="2026-11-01T00:10:00")
    # bob gave all his funds: his button refuses flattrs from November on (give to get).
    assert len(mails(api, "bob@example.org", "buttons are off")) == 1
    at("2026-11-05T00:00:00")
    for _ in range(2):
        assert api.flattr("ada", october["bob1"])[1]["error"]["code"] == "owner_not_participating"
    poller.drain()
    assert len(mails(api, "bob@example.org", "buttons are off")) == 1
    # dee has 500 left of a 1000 budget: her flattrs are paused; ada, with plenty, hears nothing.
    paused = mails(api, "dee@example.org", "paused")
    assert (
        len(paused) == 1
        and "Your funds (5.00 EUR) are below your monthly budget (10.00 EUR)" in paused[0]["text"]
    )
    assert mails(api, "ada@example.org", "paused") == mails(api, "ada@example.org", "buttons") == []
    assert mails(api, "dee@example.org", "buttons") == []  # dee owns no things


def test_the_buttons_off_email_also_starts_from_a_refused_click(api, at, poller):
    at("2026-11-05T00:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.put("/me", {"display_name": "Eve", "email": "eve@example.org"}, user="eve")  # no budget, no funds
    thing = api.thing("eve")
    assert api.flattr("ada", thing)[1]["error"]["code"] == "owner_not_participating"
    poller.drain()
    assert len(mails(api, "eve@example.org", "buttons are off")) == 1


def test_the_email_address_comes_from_a_verified_claim(api):
    from local.authorizer import make_token

    def put(token_claims_email: str, verified: bool, user: str) -> None:
        import jwt

        from local.authorizer import jwt_secret

        claims = jwt.decode(make_token(user), jwt_secret(), algorithms=["HS256"], audience="flattr")
        claims.update(email=token_claims_email, email_verified=verified)
        token = jwt.encode(claims, jwt_secret(), algorithm="HS256")
        assert api.put("/me", {"display_name": user}, headers={"Authorization": f"Bearer {token}"})[0] == 200

    put("fay@example.org", True, "fay")
    put("gus@example.org", False, "gus")
    assert api.me("fay")["email"] == "fay@example.org"
    assert api.me("gus")["email"] is None
    assert api.put("/me", {"email": "not an address"}, user="fay")[1]["error"]["code"] == "invalid_email"
    assert api.put("/me", {"email": "a@b.org\r\nBcc: x@y.org"}, user="fay")[0] == 400
    assert (
        api.put("/me", {"notifications": {"spam": True}}, user="fay")[1]["error"]["code"]
        == "invalid_notification"
    )
    assert api.me("fay")["email"] == "fay@example.org"


def _link(mail: dict) -> str:
    url = re.search(r"Unsubscribe: (\S+)", mail["text"]).group(1)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_unsubscribing_works_from_the_link_alone_and_a_forged_link_does_nothing(api, october, close):
    close(MONTH, now="2026-11-01T00:10:00")
    mail = mails(api, "ada@example.org", "statement")[0]
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = _link(mail)
    assert mail["headers"]["List-Unsubscribe"].endswith(f"{link}>")

    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert api.post(forged)[1]["error"]["code"] == "invalid_unsubscribe_token"
    other = link.replace("token=", "token=x")
    assert api.post(other)[0] == 400
    assert api.me("ada")["notifications"]["statement"] is True

    status, page = api.get(link)  # no token needed: the link is the credential
    assert status == 200 and '<form method="post"' in page
    assert api.me("ada")["notifications"]["statement"] is True  # a GET (a mail scanner) changes nothing
    status, page = api.call(
        "POST",
        link,
        raw=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and "no more emails" in page
    assert api.me("ada")["notifications"] == {
        "statement": False,
        "paused": True,
        "buttons_off": True,
        "digest": True,
        "payouts": True,
    }


def test_the_digest_counts_who_paid_a_creator_and_who_is_new_since_last_month(api, october, close, at):
    close(MONTH, now="2026-11-01T00:10:00")
    (october_digest,) = mails(api, "bob@example.org", "new supporter")
    assert "In 2026-10, 2 people flattred your things; 2 of them for the first time" in october_digest["text"]
    at("2026-11-10T09:00:00")
    api.giver("eve", budget=300, funds=300)
    assert api.deposit("bob", 300)[0] == 200  # bob gives again, so his thing can receive
    for giver in ("ada", "eve"):  # ada again, eve for the first time
        status, body = api.flattr(giver, october["bob1"])
        assert status == 201, body
    close("2026-11", now="2026-12-01T00:10:00")
    digests = mails(api, "bob@example.org", "new supporter")
    assert len(digests) == 2
    november = next(d for d in digests if "2026-11" in d["subject"])
    assert november["subject"] == "1 new supporter in 2026-11"
    assert "In 2026-11, 2 people flattred your things; 1 of them for the first time" in november["text"]
