"""Creators' webhooks: registered through the API, signed, retried and logged, and never aimed
at a private address on AWS."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.notify_helpers import Receiver

MONTH = "2026-10"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def fast_retries(monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_WEBHOOK_RETRY_BASE", "1")
    monkeypatch.setenv("FLATTR_WEBHOOK_RETRY_WINDOW", "5")
    monkeypatch.setenv("FLATTR_WEBHOOK_BATCH_SECONDS", "1")
    settings.get.cache_clear()


@pytest.fixture
def on_aws(monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_WEBHOOK_ALLOW_LOOPBACK", "false")
    settings.get.cache_clear()


def _register(api, user: str, url: str) -> dict:
    status, body = api.post("/me/webhooks", {"url": url}, user=user)
    assert status == 201, body
    return body


def _verify(request: dict, secret: str) -> dict:
    from flattr.domain import webhooks

    webhooks.verify(request["headers"]["Flattr-Signature"], request["body"], secret, int(time.time()))
    return json.loads(request["body"])


def test_a_creator_receives_a_signed_month_settled_equal_to_the_statement(api, at, close, receiver):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("bob", budget=300, funds=900)
    bob1, bob2 = api.thing("bob"), api.thing("bob")
    hook = _register(api, "bob", receiver.url)
    assert hook["secret"].startswith("whsec_")
    listed = api.get("/me/webhooks", user="bob")[1]["webhooks"]
    assert listed == [{k: v for k, v in hook.items() if k != "secret"}]  # the secret is shown once
    for t in (bob1, bob2):
        assert api.flattr("ada", t)[0] == 201
    close(MONTH, now="2026-11-01T00:10:00")

    settled = [r for r in receiver.requests if json.loads(r["body"])["type"] == "month.settled"]
    assert len(settled) == 1
    event = _verify(settled[0], hook["secret"])
    statement = api.get(f"/me/statements/{MONTH}", user="bob")[1]
    assert event["data"]["received"] == statement["received"]
    assert event["data"]["total"] == sum(r["amount"] for r in statement["received"]) == 900
    with pytest.raises(Exception):
        _verify(settled[0], "whsec_someone-else")
    log = api.get(f"/me/webhooks/{hook['id']}/deliveries", user="bob")[1]["deliveries"]
    assert [
        (d["event_type"], d["outcome"], d["http_status"]) for d in log if d["event_type"] == "month.settled"
    ] == [("month.settled", "delivered", 200)]


def test_flattrs_are_batched_into_one_delivery_per_window(api, at, poller, receiver, fast_retries):
    at("2026-10-10T09:00:00")
    for giver in ("ada", "cy", "dee"):
        api.giver(giver, budget=1000, funds=5000)
    api.giver("bob", budget=300, funds=900)
    thing = api.thing("bob")
    hook = _register(api, "bob", receiver.url)
    for giver in ("ada", "cy", "dee"):
        assert api.flattr(giver, thing)[0] == 201
    poller.drain()
    batches = [_verify(r, hook["secret"]) for r in receiver.requests]
    assert all(b["type"] == "flattr.received" for b in batches)
    assert sum(b["data"]["count"] for b in batches) == 3
    assert len(batches) <= 2  # three clicks, one window (or two, if a second boundary fell between)
    assert all("giver" not in f for b in batches for f in b["data"]["flattrs"])  # who gave stays private


def _queued_jobs(deployed) -> list[dict]:
    """The notification jobs waiting in the queue, left there (seen, not taken)."""
    import boto3

    got = boto3.client("sqs").receive_message(
        QueueUrl=deployed.outputs["NotifyQueueUrl"], MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_a_click_is_told_once_through_the_stream_even_when_its_batch_comes_again(
    api, aws, at, stream, poller, receiver, fast_retries
):
    from tests.integration.conftest import Api

    at("2026-10-10T09:00:00")
    api.giver("ada")
    api.giver("bob", budget=300, funds=900)
    thing = api.thing("bob")
    hook = _register(api, "bob", receiver.url)
    start = stream.mappings[0].next_seq  # where the click's card record will be
    assert Api(api.gateway).flattr("ada", thing)[0] == 201  # the click alone, the stream not read
    assert _queued_jobs(aws) == []  # the click queues no notice itself
    stream.drain()  # the tally counts the click and queues its owner's notice
    assert _queued_jobs(aws) == [
        {"kind": "received", "owners": {"bob": [["ada", str(thing), "2026-10-10T09:00:00+00:00"]]}}
    ]
    stream.mappings[0].next_seq = start  # Lambda hands the tally the same batch again
    stream.drain()
    poller.drain()  # two notices of one flattr, in one window
    time.sleep(1.1)  # and once more after that window was delivered, in a later one
    stream.mappings[0].next_seq = start
    stream.drain()
    poller.drain()

    batches = [_verify(r, hook["secret"]) for r in receiver.requests]
    assert [(b["type"], b["data"]) for b in batches] == [
        ("flattr.received", {"count": 1, "flattrs": [{"thing_id": thing, "at": "2026-10-10T09:00:00+00:00"}]})
    ]
    assert api.get(f"/things/{thing}")[1]["flattrs"] == 1  # and counted once


def test_a_failing_endpoint_is_retried_and_then_given_up(api, poller, fast_retries):
    failing = Receiver(status=500)
    try:
        api.put("/me", {"display_name": "Bob"}, user="bob")
        hook = _register(api, "bob", failing.url)
        assert api.post(f"/me/webhooks/{hook['id']}/test", user="bob")[0] == 202
        poller.drain()
        log = api.get(f"/me/webhooks/{hook['id']}/deliveries", user="bob")[1]["deliveries"]
    finally:
        failing.close()
    assert [(d["attempt"], d["outcome"], d["http_status"]) for d in log] == [
        (3, "gave_up", 500),
        (2, "retrying", 500),
        (1, "retrying", 500),
    ]
    assert len(failing.requests) == 3
    assert (log[2]["next_attempt_in"], log[1]["next_attempt_in"]) == (1, 2)  # backing off, doubling
    assert len({d["id"] for d in log}) == 1


def test_a_test_event_reaches_a_working_endpoint(api, poller, receiver):
    api.put("/me", {"display_name": "Bob"}, user="bob")
    hook = _register(api, "bob", receiver.url)
    status, body = api.post(f"/me/webhooks/{hook['id']}/test", user="bob")
    assert status == 202
    poller.drain()
    event = _verify(receiver.requests[0], hook["secret"])
    assert (event["id"], event["type"]) == (body["event_id"], "test")
    assert api.post(f"/me/webhooks/{hook['id']}/test", user="ada")[1]["error"]["code"] == "webhook_not_found"
    assert api.call("DELETE", f"/me/webhooks/{hook['id']}", user="bob")[0] == 204
    assert api.get("/me/webhooks", user="bob")[1] == {"webhooks": []}


@pytest.mark.parametrize(
    "url, code",
    [
        ("http://example.org/hook", "invalid_webhook_url"),
        ("https://127.0.0.1/hook", "webhook_url_refused"),
        ("https://localhost/hook", "webhook_url_refused"),
        ("https://10.1.2.3/hook", "webhook_url_refused"),
        ("https://192.168.0.10/hook", "webhook_url_refused"),
        ("https://169.254.169.254/latest/meta-data", "webhook_url_refused"),
        ("https://[::1]/hook", "webhook_url_refused"),
        ("https://[::ffff:10.0.0.1]/hook", "webhook_url_refused"),
        ("https://0.0.0.0/hook", "webhook_url_refused"),
        ("https://user:pw@example.org/hook", "invalid_webhook_url"),
    ],
)
def test_an_endpoint_on_a_private_address_is_refused_on_aws(api, on_aws, url, code):
    status, body = api.post("/me/webhooks", {"url": url}, user="bob")
    assert (status, body["error"]["code"]) == (400, code)
    assert api.get("/me/webhooks", user="bob")[1] == {"webhooks": []}


def test_a_delivery_is_refused_when_the_address_turned_private(api, poller, receiver, monkeypatch):
    api.put("/me", {"display_name": "Bob"}, user="bob")
    hook = _register(api, "bob", receiver.url)  # allowed locally
    from flattr import settings

    monkeypatch.setenv("FLATTR_WEBHOOK_ALLOW_LOOPBACK", "false")  # now the AWS setting
    settings.get.cache_clear()
    api.post(f"/me/webhooks/{hook['id']}/test", user="bob")
    poller.drain()
    assert receiver.requests == []
    log = api.get(f"/me/webhooks/{hook['id']}/deliveries", user="bob")[1]["deliveries"]
    assert [d["outcome"] for d in log] == ["refused"]
