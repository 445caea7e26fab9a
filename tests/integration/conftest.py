"""Handlers on moto, in-process: the stack is made from infra/template.yaml once per worker,
and every test starts from empty tables and queues."""

from __future__ import annotations

import json
import os
import warnings
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from local import moto_safety, stack
from local.authorizer import make_token
from local.control import signed_webhook
from local.gateway import Gateway

warnings.filterwarnings("ignore", message="Tried to parse AWS::")


@pytest.fixture(scope="session")
def aws():
    moto_safety.apply()
    with mock_aws():
        deployed = stack.deploy()
        boto3.client("ssm").put_parameter(
            Name=deployed.environment["FLATTR_WEBHOOK_SECRET_PARAMETER"],
            Value="local-webhook-secret",
            Type="SecureString",
        )
        from local import stripe_local  # Stripe's secrets, where the deployed functions read them

        for name, value in (
            ("FLATTR_STRIPE_SECRET_KEY_PARAMETER", stripe_local.API_KEY),
            ("FLATTR_STRIPE_WEBHOOK_SECRET_PARAMETER", stripe_local.WEBHOOK_SECRET),
        ):
            boto3.client("ssm").put_parameter(
                Name=deployed.environment[name], Value=value, Type="SecureString"
            )
        os.environ.update({k: str(v) for k, v in deployed.environment.items()})
        # No Stripe server in-process: payouts wait for the generic provider's signed events here
        # (tests/e2e pays them out through localstripe).
        os.environ["FLATTR_PAYOUT_PROVIDER"] = "webhook"
        from flattr import settings
        from flattr.store import models

        settings.get.cache_clear()
        models.bind(deployed.table)
        yield deployed


@pytest.fixture(scope="session")
def stream(aws):
    """The table's stream, played as Lambda's event source mapping plays it (the tally)."""
    from local.streams import StreamPoller

    return StreamPoller()


def _wipe(deployed: stack.Stack) -> None:
    ddb = boto3.client("dynamodb")
    for table in (deployed.outputs["TableName"], deployed.outputs["IdempotencyTableName"]):
        keys = [a["AttributeName"] for a in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for page in ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression=", ".join(keys)):
            items = page["Items"]
            for i in range(0, len(items), 25):
                ddb.batch_write_item(
                    RequestItems={
                        table: [
                            {"DeleteRequest": {"Key": {k: item[k] for k in keys}}}
                            for item in items[i : i + 25]
                        ]
                    }
                )
    sqs = boto3.client("sqs")
    for name in [n for n in deployed.outputs if n.endswith("QueueUrl")]:  # every queue and its DLQ
        url = deployed.outputs[name]
        # PurgeQueue is rate-limited to once a minute; receiving and deleting is not.
        while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages"
        ):
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
            )


@pytest.fixture(autouse=True)
def clean(aws, stream):
    from flattr import clock, limits, settings
    from flattr.store import clicks

    _wipe(aws)
    stream.skip_to_end()  # the wipe's removals, and nothing of an earlier test
    clock.set_override(None)
    clicks.clear()
    limits._counts.clear()  # the clicks counted in this container
    yield
    clock.set_override(None)
    settings.get.cache_clear()


class Api:
    """The HTTP API as a client sees it: requests go through the local gateway to the handlers."""

    def __init__(self, gateway: Gateway, stream=None):
        self.gateway = gateway
        self.client = Client(gateway)
        self.stream = stream  # drained after each request: counts read as after `POST /_local/drain`

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = None,
        admin: bool = False,
        raw: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[int, Any]:
        headers = dict(headers or {})
        if user:
            headers["Authorization"] = f"Bearer {make_token(user, admin=admin)}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        if self.stream is not None:
            self.stream.drain()  # what the store did outside the API, too
        resp = self.client.open(path, method=method, data=data, headers=headers)
        if self.stream is not None:
            self.stream.drain()
        text = resp.get_data(as_text=True)
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = text
        return resp.status_code, payload

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    # -- shortcuts a test reads well with

    def webhook(
        self,
        payload: dict,
        *,
        secret: str = "local-webhook-secret",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, Any]:
        request = signed_webhook(payload, secret=secret, timestamp=timestamp)
        headers = dict(request.headers)
        if signature is not None:
            headers["Flattr-Signature"] = signature
        return self.call("POST", "/webhooks/payments", raw=request.get_data(), headers=headers)

    def deposit(self, user: str, amount: int, event_id: str | None = None) -> tuple[int, Any]:
        event_id = event_id or f"evt_{user}_{amount}_{os.urandom(4).hex()}"
        return self.webhook(
            {
                "id": event_id,
                "type": "deposit.succeeded",
                "data": {"user_id": user, "amount": amount, "currency": "EUR"},
            }
        )

    def giver(self, user: str, budget: int = 1000, funds: int = 5000) -> None:
        assert self.put("/me", {"display_name": user.title(), "monthly_budget": budget}, user=user)[0] == 200
        if funds:
            assert self.deposit(user, funds)[0] == 200

    def thing(self, owner: str, url: str | None = None, **fields) -> int:
        body = {
            "url": url or f"https://{owner}.example/{os.urandom(4).hex()}",
            "title": f"A thing by {owner}",
            **fields,
        }
        status, data = self.post("/things", body, user=owner)
        assert status == 201, data
        return data["id"]

    def flattr(self, user: str, thing_id: int) -> tuple[int, Any]:
        return self.post(f"/things/{thing_id}/flattr", user=user)

    def me(self, user: str) -> dict:
        status, data = self.get("/me", user=user)
        assert status == 200, data
        return data


@pytest.fixture
def api(aws, stream) -> Api:
    return Api(Gateway(), stream)


@pytest.fixture
def at():
    """Move the business clock: at("2026-10-15")."""
    from flattr import clock

    def move(when: str) -> None:
        clock.set_override(datetime.fromisoformat(when).replace(tzinfo=timezone.utc))

    return move


@pytest.fixture
def poller(aws, stream):
    from local.poller import Poller

    return Poller(stream=stream)


@pytest.fixture
def close(api, poller, at):
    """Close a month the way an operator does: admin close, then drain the queue."""

    def run(month: str, now: str | None = None) -> dict:
        if now:
            at(now)
        status, body = api.post(f"/admin/months/{month}/close", user="admin", admin=True)
        assert status == 202, body
        poller.drain()
        return api.get(f"/admin/months/{month}", user="admin", admin=True)[1]

    return run


@pytest.fixture
def fold(aws):
    """Run the fold (the schedule's function) until every thing's listed counts are folded."""
    from local import runtime

    by_id = {f.logical_id: f for f in stack.functions()}

    def run() -> None:
        while not runtime.invoke(by_id["FoldFunction"], {})["done"]:
            pass

    return run


@pytest.fixture
def audit():
    from flattr.store.audit import run_audit

    def check() -> None:
        violations = run_audit()
        assert violations == [], "\n".join(map(str, violations))

    return check
