"""api.max_items_read: the most DynamoDB items any one request reads, over every route of the API,
on a table seeded with 10,000 things and 100,000 other items.

Every route in the template is called through the local gateway (authorizer, event, handler) with
the largest pages it allows (v2: count=30, page=3; v1: limit=30), as a signed-in viewer and, on
public routes, anonymously too; the routes whose cost grows with the caller's own things again as
the creator of 300 of them. Items are counted from the DynamoDB requests themselves
(bench.reads: GetItem 1, BatchGetItem one per key, Query/Scan their ScannedCount).

The seed: 200 users; 10,000 things (each with its URL claim and its counter: 30,000 items),
300 of them owned by one creator; 9,800 flattrs, 150 of them one fan's this month and 300 one
hot thing's. The things carry folded counts, as the fold leaves them.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from urllib.parse import quote

from bench import env

THINGS = 10_000
USERS = 200
BIG_OWNER_THINGS = 300
FAN_FLATTRS = 150
HOT_FANS = 300
MONTH = "2030-03"
NOW = "2030-03-10T12:00:00+00:00"
TARGET = 200


def _seed(things: int) -> dict:
    from datetime import datetime

    from flattr.store import cards, models
    from flattr.store.models import Thing, ThingCount, UrlClaim, User

    rnd = random.Random(7)
    users = [f"user{i}" for i in range(USERS)]
    ids = [str(10**15 + i) for i in range(things)]
    owners = ["creator0"] * BIG_OWNER_THINGS + [users[i % USERS] for i in range(things - BIG_OWNER_THINGS)]
    hot = ids[BIG_OWNER_THINGS]  # owned by user0
    items = 0
    with User.batch_write() as batch:
        for u in [*users, "creator0", "fan"]:
            batch.save(
                User(
                    *User.key(u),
                    uid=u,
                    display_name=u,
                    budget=5000,
                    funds=100_000,
                    created_month="2030-01",
                    created_at="2030-01-01T00:00:00+00:00",
                )
            )
            items += 1
    fan_things = set(rnd.sample(ids, FAN_FLATTRS))
    flattrs: list[tuple[str, str]] = [("fan", t) for t in fan_things]
    flattrs += [(users[i % USERS], hot) for i in range(HOT_FANS)]
    while len(flattrs) < 9_800:
        flattrs.append((rnd.choice(users), rnd.choice(ids)))
    flattrs = list(dict.fromkeys(flattrs))
    per_thing: dict[str, int] = {}
    for _, t in flattrs:
        per_thing[t] = per_thing.get(t, 0) + 1
    with Thing.batch_write() as batch:
        for i, (t, owner) in enumerate(zip(ids, owners)):
            hidden = i % 50 == 49
            n = per_thing.get(t, 0)
            listed = "hidden" if hidden else "public"
            batch.save(
                Thing(
                    *Thing.key(t),
                    thing_id=t,
                    url=f"https://site{i}.example/post",
                    title=f"Post {i}",
                    description="words " * 20,
                    tags=["jazz", f"t{i % 97}"],
                    owner_id=owner,
                    created_at=f"2030-0{1 + i % 3}-{1 + i % 28:02d}T00:00:{i % 60:02d}+00:00",
                    hidden=hidden,
                    listed=listed,
                    rank_total=n,
                    rank_month=n,
                    counted_month=MONTH,
                    month_listed=MONTH if n and not hidden else None,
                )
            )
            batch.save(UrlClaim(*UrlClaim.key(f"https://site{i}.example/post"), thing_id=t))
            fans = [f"{1_899_000_000 + k}|{u}" for k, (u, ft) in enumerate(flattrs) if ft == t][-10:]
            batch.save(
                ThingCount(
                    *ThingCount.key(t),
                    total=n,
                    months={MONTH: n} if n else {},
                    last_at=NOW if n else None,
                    fans=fans[::-1],
                )
            )
            items += 3
    by_user: dict[str, dict[str, str]] = {}
    for u, t in flattrs:
        by_user.setdefault(u, {})[t] = owners[ids.index(t)] if t == hot else "x"
    at = int(datetime.fromisoformat(NOW).timestamp())
    cards.put_many([cards.as_item(u, MONTH, made, at) for u, made in by_user.items()])
    items += len(by_user)
    del models
    return {
        "things": things,
        "other_items": items - things,
        "hot": hot,
        "owner": "creator0",
        "fan": "fan",
        "some": ids[:30],
    }


def _path(template: str, seed: dict) -> str:
    values = {"thing_id": seed["hot"], "user_id": seed["fan"], "username": seed["fan"], "month": MONTH}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), template)


def _requests(seed: dict) -> list[tuple[str, str, dict | None, str | None]]:
    """(method, path, body, user) for every route, at its largest pages."""
    from local import stack

    lists = {
        "/users/{user_id}/things": f"/users/{seed['owner']}/things?limit=30",
        "/users/{user_id}/flattrs": f"/users/{seed['fan']}/flattrs?limit=30",
        "/me/subscriptions": "/me/subscriptions?limit=30",
        "/rest/v2/users/{username}/things": f"/rest/v2/users/{seed['owner']}/things?count=30&page=3&full=1",
        "/rest/v2/users/{username}/flattrs": f"/rest/v2/users/{seed['fan']}/flattrs?count=30&page=3&full=1",
        "/rest/v2/user/flattrs": "/rest/v2/user/flattrs?count=30&page=3&full=1",
        "/rest/v2/user/things": "/rest/v2/user/things?count=30&page=3&full=1",
        "/rest/v2/user/subscriptions": "/rest/v2/user/subscriptions?count=30&page=3",
        "/rest/v2/things/{thing_id}/flattrs": f"/rest/v2/things/{seed['hot']}/flattrs?count=30&page=3&full=1",
        "/rest/v2/things/{thing_id}": f"/rest/v2/things/{','.join(seed['some'])}?full=1",
    }
    searches = [
        "/rest/v2/things/search?count=30&page=3&full=1",
        "/rest/v2/things/search?query=nowhere&count=30",
        "/rest/v2/things/search?sort=flattrs&count=30&page=3&full=1",
        "/rest/v2/things/search?sort=flattrs_month&count=30&page=3",
        "/rest/v2/things/search?tags=" + quote("jazz & t3") + "&category=rest,text&count=30",
        f"/rest/v2/things/search?user={seed['owner']}&count=30&page=3&full=1",
        "/rest/v2/things/search?url=" + quote("https://site5.example/post"),
    ]
    bodies = {
        ("POST", "/things"): {"url": "https://new.example/post", "title": "New"},
        ("PUT", "/me"): {"display_name": "Fan", "monthly_budget": 5000},
        ("POST", "/me/payouts"): {"amount": 1000},
        ("POST", "/me/revenue/to-funds"): {"amount": 100},
        ("POST", "/things/{thing_id}/subscription"): {"months": 3},
        ("POST", "/rest/v2/things"): {"url": "https://new.example/v2", "title": "New v2"},
        ("PATCH", "/rest/v2/things/{thing_id}"): {"title": "Edited"},
        ("POST", "/rest/v2/things/{thing_id}"): {"_method": "patch", "title": "Edited"},
        ("POST", "/rest/v2/flattr"): {"url": "https://site7.example/post"},
    }
    out = []
    for method, template, _fn, _auth in stack.http_routes():
        if template in ("$default", "/webhooks/payments") or template.startswith("/admin/"):
            continue
        path = lists.get(template) if method == "GET" else None
        path = path or _path(template, seed)
        if template == "/things/lookup" or template.startswith("/rest/v2/things/lookup"):
            path += "?url=" + quote("https://site5.example/post")
        if template == "/submit/auto":
            path += f"?user_id={seed['owner']}&url=" + quote("https://site9.example/post")
        body = bodies.get((method, template))
        out.append((method, path, body, "fan"))
        if method == "GET":
            out.append((method, path, body, None))
    out += [("GET", s, None, "fan") for s in searches] + [("GET", s, None, None) for s in searches]
    owner = seed["owner"]  # the same routes as the user they cost most: the creator of 300 things
    out += [
        ("GET", f"/me/statements/{MONTH}?limit=10", None, owner),
        ("GET", "/me", None, owner),
        ("GET", f"/users/{owner}/things?limit=30", None, owner),
        ("GET", "/rest/v2/user/things?count=30&page=3&full=1", None, owner),
        ("GET", f"/rest/v2/things/search?user={owner}&count=30&page=3&full=1", None, owner),
    ]
    out += [
        ("GET", f"/admin/months/{MONTH}", None, "admin"),
        ("POST", "/admin/months/2030-02/close", None, "admin"),
    ]
    return out


def run(things: int = THINGS) -> dict:
    env.fresh_stack("items")
    from flattr import clock, limits
    from werkzeug.test import Client

    from bench.reads import counting
    from local.control import signed_webhook
    from local.gateway import Gateway, make_token

    t0 = time.perf_counter()
    seed = _seed(things)
    seeded_s = round(time.perf_counter() - t0, 1)
    clock.set_override(__import__("datetime").datetime.fromisoformat(NOW))
    for kind in limits.LIMITS:  # the bench is one source making every request: no limit in the way
        limits.LIMITS[kind] = 10**9
    client = Client(Gateway())
    per_route: dict[str, dict] = {}
    for method, path, body, user in _requests(seed):
        headers = {"Authorization": f"Bearer {make_token(user, admin=user == 'admin')}"} if user else {}
        with counting() as tally:
            response = client.open(path, method=method, json=body, headers=headers)
        key = f"{method} {path} " + (f"as {user}" if user else "(anonymous)")
        per_route[key] = {"items": tally.items, "status": response.status_code, "ops": tally.by_operation}
    with counting() as tally:
        request = signed_webhook(
            {
                "id": "evt-bench",
                "type": "deposit.succeeded",
                "data": {"user_id": "fan", "amount": 1000, "currency": "EUR"},
            },
            secret="local-webhook-secret",
        )
        response = client.open(
            request.path, method="POST", data=request.get_data(), headers=dict(request.headers)
        )
    per_route["POST /webhooks/payments"] = {
        "items": tally.items,
        "status": response.status_code,
        "ops": tally.by_operation,
    }
    clock.set_override(None)
    worst = max(per_route.items(), key=lambda kv: kv[1]["items"])
    errors = {k: v["status"] for k, v in per_route.items() if v["status"] >= 500}
    return {
        "max_items_read": worst[1]["items"],
        "worst": worst[0],
        "routes": len(per_route),
        "server_errors": errors,
        "seed": {k: seed[k] for k in ("things", "other_items")},
        "seed_seconds": seeded_s,
        "per_route": per_route,
    }


def row(result: dict) -> dict:
    return {
        "value": result["max_items_read"],
        "target": TARGET,
        "op": "<=",
        "unit": "items",
        "met": result["max_items_read"] <= TARGET,
        "note": f"worst: {result['worst']}, over {result['routes']} requests on "
        f"{result['seed']['things']:,} things + {result['seed']['other_items']:,} other items",
    }


def main() -> int:
    """`python -m bench.items`: this measurement alone, merged into bench/results.json."""
    from bench.__main__ import RESULTS, _code_state

    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else THINGS)
    results = json.loads(RESULTS.read_text())
    results["metrics"]["api.max_items_read"] = row(result)
    results["details"]["api_items"] = result
    results.setdefault("partial_runs", []).append(
        {
            "phase": "items",
            "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "code": _code_state(),
        }
    )
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "per_route"}, indent=2))
    for key, r in sorted(result["per_route"].items(), key=lambda kv: -kv[1]["items"])[:15]:
        print(f"{r['items']:>5}  {r['status']}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
