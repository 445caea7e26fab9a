"""The click: DynamoDB requests and capacity units per accepted click, and the handler's overhead.

- requests: counted with a botocore `before-call.dynamodb` hook on the store's pynamodb client,
  cross-checked against every botocore call the process made (any client).
- wcu / rcu: modeled from the recorded requests by AWS's published rules (bench.capacity), the
  items sized from the request parameters and the stored items.
- overhead_ratio: the click handler called as Lambda calls it (local.runtime.invoke, with an HTTP
  API v2 event from local.gateway.build_event), against a replay of the same DynamoDB calls made
  directly with a plain boto3 client. Between the two, the giver's month card is deleted
  (unmetered), so the replay takes the same successful path, and the notify queue is drained
  (unmetered), as the notify worker keeps it (see _Notices).

The container's caches (store.clicks) decide how many requests a click makes: "cold" is a fresh
container (the thing, the people, the card), "new_giver" a warm thing and a giver it has not seen
(the people, the card), "warm" a thing and people it served within their TTLs (the card alone).
"""

from __future__ import annotations

import contextlib
import io
import random
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench import capacity, env

MONTH_NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
ROUTE_KEY = "POST /things/{id}/flattr"
V2_ROUTE_KEY = "POST /rest/v2/things/{thing_id}/flattr"


def _event(user_id: str, thing_id: str, v2: bool = False) -> dict:
    from werkzeug.test import EnvironBuilder

    from local.events import build_event

    if v2:
        path, route, params = f"/rest/v2/things/{thing_id}/flattr", V2_ROUTE_KEY, {"thing_id": thing_id}
    else:
        path, route, params = f"/things/{thing_id}/flattr", ROUTE_KEY, {"id": thing_id}
    request = EnvironBuilder(
        path=path,
        method="POST",
        headers={"Authorization": "Bearer bench"},
        base_url="https://api.flattr.example",
    ).get_request()
    now = int(time.time())
    claims = {"sub": user_id, "aud": "flattr", "iss": "bench", "iat": now, "exp": now + 3600}
    return build_event(request, route, params, claims)


def _seed(givers: int, creators: int) -> tuple[list[str], list[str]]:
    from flattr.store import payments, things, users

    thing_ids = []
    for c in range(creators):
        owner = f"creator{c}"
        users.save_profile(owner, display_name=f"Creator {c}", monthly_budget=500)
        payments.deposit(f"evt-{owner}", owner, 2000)
        thing_ids.append(
            things.register(
                owner, url=f"https://creator{c}.example/post", title=f"Post of creator {c}"
            ).thing_id
        )
    giver_ids = []
    for g in range(givers):
        user = f"giver{g}"
        users.save_profile(user, display_name=f"Giver {g}", monthly_budget=1000)
        payments.deposit(f"evt-{user}", user, 5000)
        giver_ids.append(user)
    thing_ids.append(
        things.register("creator0", url="https://creator0.example/second", title="Second post").thing_id
    )
    return giver_ids, thing_ids


class _HookCounter:
    """`before-call.dynamodb` on the store's client: the count the issue asks for."""

    def __init__(self):
        from flattr.store import models

        self.client = models.connection().client
        self.ops: Counter = Counter()
        self.params: list[tuple[str, dict]] = []

    def _before(self, model, params, **kwargs):
        self.ops[model.name] += 1

    def _params(self, params, model, **kwargs):
        self.params.append((model.name, params))

    def __enter__(self):
        self.client.meta.events.register("before-call.dynamodb", self._before)
        self.client.meta.events.register("provide-client-params.dynamodb", self._params)
        return self

    def __exit__(self, *exc):
        self.client.meta.events.unregister("before-call.dynamodb", self._before)
        self.client.meta.events.unregister("provide-client-params.dynamodb", self._params)


def _invoke(fn, event) -> dict:
    from local import runtime

    with contextlib.redirect_stdout(io.StringIO()):  # Powertools metrics print EMF lines
        return runtime.invoke(fn, event)


def run(samples: int = 150) -> dict[str, Any]:
    env.fresh_stack("click")
    import boto3
    from flattr import clock
    from flattr.store import cards, clicks, models

    clock.set_override(MONTH_NOW)
    fn = env.function("ClickFunction")
    givers, thing_ids = _seed(givers=samples + 3, creators=10)
    table = models._Base.Meta.table_name

    # -- requests and units: a fresh container, then warmer ones, then a repeat
    clicks.clear()
    second = thing_ids[-1]  # creator0's other thing
    out: dict[str, Any] = {}
    for label, user, thing, expected in (
        ("cold", givers[0], thing_ids[0], 201),  # nothing cached
        ("new_giver", givers[1], thing_ids[0], 201),  # the thing and its owner cached
        ("new_thing", givers[0], second, 201),  # the giver and the owner cached
        ("warm", givers[1], second, 201),  # everything cached: the card's UpdateItem alone
        ("repeat", givers[1], second, 200),
    ):
        recorder = capacity.Recorder(sizing=True)
        with _HookCounter() as hooks, recorder.active():
            result = _invoke(fn, _event(user, thing))
        assert result["statusCode"] == expected, result
        all_clients = recorder.requests("dynamodb")
        if sum(all_clients.values()) != sum(hooks.ops.values()):
            raise RuntimeError(f"requests outside the store's client: hooks {hooks.ops}, all {all_clients}")
        wcu, rcu = recorder.units()
        out[label] = {
            "requests": sum(hooks.ops.values()),
            "ops": dict(hooks.ops),
            "wcu": wcu,
            "rcu": rcu,
            "items": _transaction_items(recorder),
        }

    # -- the same click through API v2: its rate-limit count is one request more
    v2 = env.function("RestV2Function")
    clicks.clear()
    for label, user, thing in (("v2_cold", givers[0], thing_ids[1]), ("v2_warm", givers[0], thing_ids[2])):
        if label == "v2_warm":  # a container that served this thing and these people: unmetered
            clicks.judge(user, clicks._owner_of(thing).owner_id, MONTH_NOW.strftime("%Y-%m"))
        with _HookCounter() as hooks:
            result = _invoke(v2, _event(user, thing, v2=True))
        assert result["statusCode"] == 200, result
        out[label] = {"requests": sum(hooks.ops.values()), "ops": dict(hooks.ops)}

    # -- overhead: handler vs. a replay of its own DynamoDB calls
    raw = boto3.client("dynamodb")
    for t in thing_ids:  # warm the owner cache: the steady state of a busy container
        clicks._owner_of(t)
    notices = _Notices()
    notices.drain()
    handler_times, raw_times = [], []
    pairs = [(givers[2 + i], random.Random(i).choice(thing_ids)) for i in range(samples)]
    for i, (user, thing) in enumerate(pairs):
        event = _event(user, thing)
        with _HookCounter() as hooks:
            t0 = env.cpu()
            result = _invoke(fn, event)
            handler_times.append(env.cpu() - t0)
        assert result["statusCode"] == 201, result
        calls = list(hooks.params)
        pk, sk = cards.Card.key(user, MONTH_NOW.strftime("%Y-%m"))
        raw.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        notices.drain()
        methods = [(getattr(raw, _snake(op)), params) for op, params in calls]
        t0 = env.cpu()
        for method, params in methods:
            method(**params)
        raw_times.append(env.cpu() - t0)
    handler_ms, raw_ms = env.median(handler_times) * 1000, env.median(raw_times) * 1000
    out["handler_ms"] = handler_ms
    out["raw_ms"] = raw_ms
    out["samples"] = samples
    out["overhead_ratio"] = handler_ms / raw_ms
    return out


class _Notices:
    """The notify queue, drained between samples (unmetered), as the notify worker keeps it when
    deployed. moto's SendMessage computes the queue's attributes from every message waiting in it,
    so on an undrained queue each click's notice cost more CPU than the one before (about 1.6 ms
    more per 100 waiting): the handler's figure grew with the sample's index, which on AWS it does
    not. PurgeQueue is once a minute; receiving and deleting is not."""

    def __init__(self):
        import boto3
        from flattr import settings

        self.sqs = boto3.client("sqs")
        self.url = settings.get().notify_queue_url

    def drain(self) -> None:
        while self.url and (
            got := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages")
        ):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)


def _transaction_items(recorder: capacity.Recorder) -> list[dict]:
    """What the click's transaction holds, item by item, with the size each is charged for."""
    rows = []
    for call in recorder.calls:
        if call.op != "TransactWriteItems":
            continue
        for entry in call.params["TransactItems"]:
            ((kind, body),) = entry.items()
            target = body.get("Item") or body["Key"]
            key = capacity._key_of(recorder._table_keys(body["TableName"]), target)
            before, after = call.sizes.get((body["TableName"], key), (0, 0))
            size = max(capacity.item_size(target), before, after)
            item = f"{target['pk']['S'].split('#')[0]}/{target['sk']['S'].split('#')[0]}"
            rows.append({"kind": kind, "item": item, "bytes": size, "wcu": 2 * capacity.write_units(size)})
    return rows


def _snake(op: str) -> str:
    from botocore import xform_name

    return xform_name(op)
