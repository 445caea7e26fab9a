"""Least privilege: every AWS call a function makes is allowed by that function's policy in the
expanded template, and each function's policy grants no action its code never uses."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from local import runtime, stack
from tests.integration.notify_helpers import Receiver, mails

# Granted for paths the scenario does not reach: Powertools deletes its idempotency record when
# the wrapped call raises, a subscription's flattr checks its thing when the month is settled, and
# a payout is sent to Stripe (tests/e2e does that, through localstripe).
RARE = {
    "DepositFunction": {"dynamodb:DeleteItem"},
    # Reads Stripe's secret key to send a payout; here payouts wait for the generic provider.
    "AccountsFunction": {"ssm:GetParameter"},
    "SettleWorkerFunction": {"dynamodb:ConditionCheckItem"},
}


def _actions(service: str, operation: str, body: bytes | None) -> set[str]:
    if service == "dynamodb" and operation == "TransactWriteItems":
        kinds = {next(iter(item)) for item in json.loads(body or b"{}").get("TransactItems", [])}
        return {f"dynamodb:{'ConditionCheckItem' if k == 'ConditionCheck' else k + 'Item'}" for k in kinds}
    if (
        service == "dynamodb"
        and operation in ("Query", "Scan")
        and json.loads(body or b"{}").get("IndexName")
    ):
        return {f"dynamodb:{operation}@index"}  # needs the index's ARN as a resource too
    if (service, operation) == ("sqs", "SendMessageBatch"):
        return {"sqs:SendMessage"}  # IAM authorizes the batch by the single action
    return {f"{service}:{operation}"}


@pytest.fixture
def recorded(monkeypatch):
    calls: dict[str, set[str]] = defaultdict(set)
    original = BotocoreStubber.__call__

    def spy(self, event_name, request, **kwargs):
        fn = getattr(runtime.current, "function", None)
        if fn and event_name.startswith("before-send."):
            _, service, operation = event_name.split(".")
            calls[fn] |= _actions(service, operation, request.body)
        return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", spy)
    return calls


def granted() -> dict[str, set[str]]:
    cfn = stack.expanded_template()
    out: dict[str, set[str]] = {}
    for logical_id, res in cfn["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        role = res["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = set()
        for policy in cfn["Resources"][role]["Properties"].get("Policies", []):
            if policy["PolicyName"].endswith("EventInvokeConfigOnFailureSQSPolicy"):
                continue  # Lambda itself uses it to deliver a failed run to the dead-letter queue
            for st in policy["PolicyDocument"]["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                targets = st.get("Resource") if isinstance(st.get("Resource"), list) else [st.get("Resource")]
                on_index = ["/index/" in json.dumps(t) for t in targets]
                for a in acts:
                    if a.startswith(("xray:", "logs:")):
                        continue
                    if not all(on_index):
                        actions.add(a)
                    if any(on_index) and a in ("dynamodb:Query", "dynamodb:Scan"):
                        actions.add(f"{a}@index")
        out[logical_id] = actions
    return out


def test_policies_match_the_calls_the_code_makes(api, close, poller, recorded, at, monkeypatch):
    # A scenario that reaches every function: accounts, things, clicks, deposits, subscriptions,
    # the admin close, the worker, payouts, statements, the schedule, the watch and the audit.
    from aws_lambda_powertools.utilities import parameters
    from flattr import settings

    # The notification worker's own URL for unsubscribe links, as its template environment sets it.
    monkeypatch.setenv("FLATTR_API_URL", "https://api.flattr.test")
    settings.get.cache_clear()

    parameters.clear_caches()  # so the webhook secret is fetched (once) in this scenario
    at("2026-10-10T00:00:00")
    api.giver("ada", budget=5000, funds=50_000)
    api.giver("bob", budget=200, funds=1000)
    from tests import stripe_shapes  # Stripe's webhook: its secret from SSM, a deposit and a refund

    for evt in (
        stripe_shapes.payment_succeeded("pi_lp", "ada", 1000),
        stripe_shapes.charge_refunded("pi_lp", 1000, 400),
    ):
        body, headers = stripe_shapes.body_and_headers(evt)
        assert api.call("POST", "/webhooks/stripe", raw=body, headers=headers) == (
            200,
            {"status": "processed"},
        )
    thing = api.thing("bob")
    api.get(f"/things/{thing}", user="ada")
    api.get(f"/things/{thing}/qr.svg")
    receiver = Receiver()  # bob's webhook endpoint, and his email: the notification worker runs
    api.put("/me", {"email": "bob@example.org"}, user="bob")
    hook = api.post("/me/webhooks", {"url": receiver.url}, user="bob")[1]
    api.get("/users/bob/things")
    api.get("/users/ada/flattrs")
    assert api.flattr("ada", thing)[0] == 201
    # Refused, as its owner does not give: the click queues "your buttons are off" for them.
    assert api.flattr("ada", api.thing("lurker"))[1]["error"]["code"] == "owner_not_participating"
    # v2's routes, on the same items: made, edited, read, searched, flattred, subscribed, deleted.
    status, made = api.post(
        "/rest/v2/things", {"url": "https://bob.example/v2", "title": "Bob, via v2"}, user="bob"
    )
    assert status == 201, made
    v2 = made["id"]
    assert api.call("PATCH", f"/rest/v2/things/{v2}", {"title": "Bob, via v2, edited"}, user="bob")[0] == 200
    assert api.get(f"/rest/v2/things/{v2},{thing}", user="ada")[0] == 200
    assert api.get("/rest/v2/things/search?query=bob")[0] == 200
    assert api.post(f"/rest/v2/things/{v2}/flattr", user="ada")[0] == 200
    assert api.get(f"/rest/v2/things/{v2}/flattrs")[0] == 200
    assert api.get("/rest/v2/user/flattrs", user="ada")[0] == 200
    assert api.post(f"/rest/v2/things/{v2}/subscriptions", user="ada")[0] == 200
    assert api.call("DELETE", f"/rest/v2/things/{v2}/subscriptions", user="ada")[0] == 204
    assert api.get("/rest/v2/rate_limit")[0] == 200
    assert api.call("DELETE", f"/rest/v2/things/{v2}", user="bob")[0] == 204
    # v1's claim and delete of a thing an auto-submit made in bob's name.
    auto = (
        "https://flattr.com/submit/auto?user_id=bob&url=https%3A%2F%2Fbob.example%2Fauto&title=Bob%27s+auto"
    )
    status, flattred = api.post("/rest/v2/flattr", {"url": auto}, user="ada")
    assert status == 200, flattred
    assert api.post(f"/things/{flattred['thing']['id']}/claim", user="bob")[0] == 200
    assert api.call("DELETE", f"/things/{flattred['thing']['id']}", user="bob")[0] == 204
    api.post(f"/things/{thing}/subscription", {"months": 3}, user="ada")
    api.get("/me/subscriptions", user="ada")
    close("2026-10", now="2026-11-01T00:10:00")
    assert api.me("bob")["balances"]["revenue"] == 4500
    api.post("/me/revenue/to-funds", {"amount": 100}, user="bob")
    status, payout = api.post("/me/payouts", {"amount": 1000}, user="bob")
    assert status == 202, payout
    api.webhook({"id": "po1", "type": "payout.paid", "data": {"payout_id": payout["id"]}})
    api.get("/me/statements/2026-10", user="bob")
    api.call("DELETE", f"/things/{thing}/subscription", user="ada")
    api.get("/me/webhooks", user="bob")
    api.post(f"/me/webhooks/{hook['id']}/test", user="bob")
    api.get(f"/me/webhooks/{hook['id']}/deliveries", user="bob")
    api.call("DELETE", f"/me/webhooks/{hook['id']}", user="bob")
    receiver.close()
    parameters.clear_caches()  # the unsubscribe key, fetched by the API function too
    link = re.search(r"Unsubscribe: \S+(/unsubscribe\?\S+)", mails(api, "bob@example.org")[0]["text"]).group(
        1
    )
    assert api.post(link)[0] == 200
    by_id = {f.logical_id: f for f in stack.functions()}
    runtime.invoke(by_id["CloseMonthFunction"], {"time": "2026-12-01T00:05:00Z"})
    runtime.invoke(by_id["CloseWatchFunction"], {"time": "2026-12-01T01:00:00Z"})
    runtime.invoke(by_id["FoldFunction"], {})  # first: the audit checks folded counts against counters
    runtime.invoke(by_id["AuditFunction"], {})  # starts a run; its jobs come back through its queue
    poller.drain()

    allowed = granted()
    for fn, used in sorted(recorded.items()):
        assert used <= allowed[fn], f"{fn} calls {sorted(used - allowed[fn])} without permission"
    for fn, actions in sorted(allowed.items()):
        unused = {a for a in actions - recorded.get(fn, set()) - RARE.get(fn, set()) if "@" not in a}
        assert not unused, f"{fn} is granted {sorted(unused)} but never uses them"


def test_only_the_audit_may_scan_the_table():
    """Requests are bounded: no function but the audit's may read the whole table."""
    scanners = {fn for fn, actions in granted().items() if "dynamodb:Scan" in actions}
    assert scanners == {"AuditFunction"}
