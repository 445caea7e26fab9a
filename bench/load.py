"""`make load`: a bounded burst against the real local stack over HTTP, then a month close, then checks.

    python -m bench.load                                    200 users, 50 threads (about 3,500 requests)
    python -m bench.load --users 40 --threads 10 --clicks 6  the size tests/load runs in `make test`

The stack is `python -m local.run` in a child process (the same thing `make run` starts), on a free
port of 127.0.0.1. The burst is bounded in requests and in time, and the stack is stopped at the end.

The client keeps a record of every answer, and each user's requests run in order on one thread,
so it knows exactly what each request must get (201 for a new flattr, 200 "already_flattred" for a
repeat, 402 without funds, 403 on one's own thing, 404 for no thing, 409 for a taken URL). After the
burst it checks that every acknowledged (201) click is counted exactly once: in the thing's
counters, in the giver's GET /me, and, after the close, in the giver's and the owner's statements.
It then checks the close (every user settled once), that /_local/audit finds no violation, and
that no request got a 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2031-05"
DURING = "2031-05-12T09:00:00+00:00"
AFTER = "2031-06-01T00:10:00+00:00"
TIMEOUT = 30


# ---------------------------------------------------------------- the stack


@contextmanager
def local_stack(startup_timeout: float = 90.0, keep_log: bool = False) -> Iterator[str]:
    """`python -m local.run` on a free loopback port; yields its base URL and stops it afterwards.

    `stack_errors()` reads the tracebacks from its log, which is removed at the end unless keep_log."""
    from local.run import in_subprocess

    fd, name = tempfile.mkstemp(prefix="flattr-load-", suffix=".log")
    os.close(fd)
    log_path = _stack_log[0] = Path(name)
    try:
        with in_subprocess(log_path, startup_timeout) as url:
            yield url
    finally:
        if not keep_log:
            log_path.unlink(missing_ok=True)


_stack_log: list[Path | None] = [None]  # the log of the stack started last


def stack_errors() -> list[str]:
    """The tracebacks the last stack started by local_stack() has logged so far."""
    return _errors_in_log(_stack_log[0])


def _errors_in_log(path: Path | None) -> list[str]:
    """The tracebacks the stack logged (the gateway logs every handler exception)."""
    if path is None or not path.exists():
        return []
    out, current = [], []
    for line in path.read_text(errors="replace").splitlines():
        if " ERROR " in line or line.startswith("Traceback"):
            current = [line]
            out.append(current)
        elif current and (line.startswith((" ", "\t")) or not line[:4].isdigit()):
            current.append(line)
        else:
            current = []
    return ["\n".join(block) for block in out]


# ---------------------------------------------------------------- the client's record


@dataclass
class Answer:
    method: str
    route: str  # the route template, e.g. "POST /things/{id}/flattr"
    status: int
    seconds: float
    body: Any
    expected: tuple[int, ...] | None = None


@dataclass
class Record:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


class Api:
    def __init__(self, url: str, record: Record, deadline: float):
        self.url = url
        self.record = record
        self.deadline = deadline
        self.local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(
        self,
        method: str,
        path: str,
        route: str,
        *,
        token: str | None = None,
        body: Any = None,
        expect: tuple[int, ...] | None = None,
        params: dict | None = None,
    ) -> Answer:
        if time.monotonic() > self.deadline:
            raise TimeoutError("the burst ran out of time")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        t0 = time.perf_counter()
        resp = self.session.request(
            method, self.url + path, json=body, headers=headers, params=params, timeout=TIMEOUT
        )
        seconds = time.perf_counter() - t0
        try:
            payload = resp.json()
        except ValueError:
            payload = resp.text
        answer = Answer(method, route, resp.status_code, seconds, payload, expect)
        self.record.add(answer)
        return answer


# ---------------------------------------------------------------- the burst


@dataclass
class User:
    uid: str
    token: str = ""
    budget: int = 0
    funds: int = 0
    creator: bool = False
    n_things: int = 0
    things: list[int] = field(default_factory=list)
    flattred: set[int] = field(default_factory=set)  # acknowledged (201)

    @property
    def gives(self) -> bool:
        return self.budget >= 200 and self.funds > 0


def _problems(record: Record) -> list[str]:
    out = []
    for a in record.answers:
        if a.status >= 500:
            out.append(f"5xx: {a.method} {a.route} -> {a.status} {a.body}")
        elif a.expected is not None and a.status not in a.expected:
            out.append(f"unexpected: {a.method} {a.route} -> {a.status} (expected {a.expected}) {a.body}")
    return out


def _deployment() -> tuple[int, str]:
    """The fee and the unspent policy the local stack runs with: the template's defaults."""
    sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None
    from local import stack

    params = stack.sam_template().get("Parameters", {})
    return int(params["FeeBps"]["Default"]), str(params["UnspentPolicy"]["Default"])


def run(
    url: str,
    users: int = 200,
    threads: int = 50,
    clicks: int = 10,
    repeats: int = 2,
    seed: int = 7,
    time_limit: float = 150.0,
) -> dict[str, Any]:
    """The burst, the close and the checks against a running stack. Returns the report; report["ok"]."""
    rng = random.Random(seed)
    record = Record()
    api = Api(url, record, time.monotonic() + time_limit)
    admin = api.call(
        "POST",
        "/_local/token",
        "POST /_local/token",
        body={"sub": "load-admin", "admin": True},
        expect=(200,),
    ).body["token"]
    api.call("POST", "/_local/clock", "POST /_local/clock", body={"now": DURING}, expect=(200,))

    people = [User(f"load{seed}-{i}") for i in range(users)]
    for i, u in enumerate(people):
        u.budget = rng.choice([200, 300, 500, 1000, 2000])
        u.funds = 0 if i % 10 == 9 else rng.choice([150, 500, 1000, 3000, 5000])  # every tenth has no funds
        u.creator = i % 3 == 0 and u.funds > 0  # creators give, so they may receive
        u.n_things = rng.choice([1, 2]) if u.creator else 0
    lanes = [people[i::threads] for i in range(threads)]  # one thread per lane: a user's calls stay in order

    def setup(lane: list[User]) -> None:
        for u in lane:
            u.token = api.call(
                "POST", "/_local/token", "POST /_local/token", body={"sub": u.uid}, expect=(200,)
            ).body["token"]
            api.call(
                "PUT",
                "/me",
                "PUT /me",
                token=u.token,
                body={"display_name": f"Load {u.uid}", "monthly_budget": u.budget},
                expect=(200,),
            )
            if u.funds:
                api.call(
                    "POST",
                    "/_local/deposit",
                    "POST /_local/deposit",
                    body={"user_id": u.uid, "amount": u.funds},
                    expect=(200,),
                )
            if u.creator:
                for k in range(u.n_things):
                    answer = api.call(
                        "POST",
                        "/things",
                        "POST /things",
                        token=u.token,
                        expect=(201,),
                        body={
                            "url": f"https://{u.uid}.load.example/post/{k}",
                            "title": f"Post {k} of {u.uid}",
                            "tags": ["load"],
                        },
                    )
                    if answer.status == 201:  # else the report says what came back
                        u.things.append(answer.body["id"])
                # The same URL again: refused, whoever asks.
                api.call(
                    "POST",
                    "/things",
                    "POST /things",
                    token=u.token,
                    expect=(409,),
                    body={"url": f"https://{u.uid}.load.example/post/0", "title": "A second try"},
                )

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(setup, lanes))
    all_things = {t: u for u in people for t in u.things}
    thing_ids = sorted(all_things)

    def burst(lane: list[User]) -> None:
        local_rng = random.Random(f"{seed}:{lane[0].uid if lane else ''}")
        plans = {u.uid: local_rng.sample(thing_ids, min(clicks, len(thing_ids))) for u in lane}
        for step in range(clicks + repeats + 2):
            for u in lane:
                plan = plans[u.uid]
                if step < len(plan):
                    thing = plan[step]
                    owner = all_things[thing]
                    if owner is u:
                        expect = (403,)
                    elif not u.gives:
                        expect = (402,)
                    elif thing in u.flattred:
                        expect = (200,)
                    else:
                        expect = (201,)
                    answer = api.call(
                        "POST",
                        f"/things/{thing}/flattr",
                        "POST /things/{id}/flattr",
                        token=u.token,
                        expect=expect,
                    )
                    if answer.status == 201:
                        u.flattred.add(thing)
                elif step < len(plan) + repeats and u.flattred:
                    thing = local_rng.choice(sorted(u.flattred))
                    answer = api.call(
                        "POST",
                        f"/things/{thing}/flattr",
                        "POST /things/{id}/flattr",
                        token=u.token,
                        expect=(200,),
                    )
                    if answer.status == 200 and answer.body.get("status") != "already_flattred":
                        record.add(
                            Answer("POST", "repeat must say already_flattred", 0, 0, answer.body, (200,))
                        )
                elif step == len(plan) + repeats:
                    api.call(
                        "GET",
                        f"/things/{local_rng.choice(thing_ids)}",
                        "GET /things/{id}",
                        token=u.token,
                        expect=(200,),
                    )
                    api.call(
                        "POST", "/things/123/flattr", "POST /things/{id}/flattr", token=u.token, expect=(404,)
                    )
                else:
                    api.call("GET", "/me", "GET /me", token=u.token, expect=(200,))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(burst, lanes))
    burst_seconds = time.perf_counter() - started
    burst_requests = len(record.answers)
    latencies = sorted(a.seconds for a in record.answers)

    # ---- checks before the close: counters and GET /me
    phases = {"setup_and_burst": round(burst_seconds, 2)}
    t_phase = time.perf_counter()
    failures: list[str] = []
    acknowledged: Counter = Counter()
    for u in people:
        acknowledged.update(u.flattred)

    def check_thing(thing: int) -> str | None:
        body = api.call("GET", f"/things/{thing}", "GET /things/{id}", expect=(200,)).body
        if (body.get("flattrs"), body.get("flattrs_month")) != (acknowledged[thing], acknowledged[thing]):
            return (
                f"thing {thing}: counted {body.get('flattrs')}/{body.get('flattrs_month')}, "
                f"acknowledged {acknowledged[thing]}"
            )
        return None

    def check_me(u: User) -> str | None:
        me = api.call("GET", "/me", "GET /me", token=u.token, expect=(200,)).body
        if me.get("flattrs_this_month") != len(u.flattred):
            return f"{u.uid}: GET /me counts {me.get('flattrs_this_month')}, acknowledged {len(u.flattred)}"
        if me.get("balances", {}).get("funds") != u.funds:
            return f"{u.uid}: funds {me.get('balances')}, deposited {u.funds}"
        return None

    with ThreadPoolExecutor(threads) as pool:
        failures += [f for f in pool.map(check_thing, thing_ids) if f]
        failures += [f for f in pool.map(check_me, people) if f]

    phases["counter_checks"] = round(time.perf_counter() - t_phase, 2)

    # ---- the close
    api.call("POST", "/_local/clock", "POST /_local/clock", body={"now": AFTER}, expect=(200,))
    close_started = time.perf_counter()
    api.call(
        "POST", f"/admin/months/{MONTH}/close", "POST /admin/months/{month}/close", token=admin, expect=(202,)
    )
    drained = api.call("POST", "/_local/drain", "POST /_local/drain", expect=(200,)).body
    status = api.call(
        "GET", f"/admin/months/{MONTH}", "GET /admin/months/{month}", token=admin, expect=(200,)
    ).body
    close_seconds = time.perf_counter() - close_started
    if status.get("status") != "closed" or status.get("users_total") != status.get("users_settled"):
        failures.append(f"the close did not finish: {status}")
    if status.get("users_settled") != users:
        failures.append(f"{status.get('users_settled')} users settled, expected {users}")
    if drained.get("failed") or drained.get("dead_lettered"):
        failures.append(f"the drain had failures: {drained}")

    phases["close"] = round(close_seconds, 2)
    t_phase = time.perf_counter()

    # ---- statements: each acknowledged click paid once, each thing's flattrs counted once
    fee_bps, policy = _deployment()
    received: Counter = Counter()
    charged_total = 0

    def statement(u: User) -> dict:
        return api.call(
            "GET", f"/me/statements/{MONTH}", "GET /me/statements/{month}", token=u.token, expect=(200,)
        ).body

    with ThreadPoolExecutor(threads) as pool:
        statements = list(pool.map(statement, people))
    for u, st in zip(people, statements):
        given = {g["thing_id"]: g["amount"] for g in st.get("given", [])}
        if set(given) != u.flattred or len(st.get("given", [])) != len(given):
            failures.append(f"{u.uid}: statement gives to {sorted(given)}, acknowledged {sorted(u.flattred)}")
        charge = min(u.budget, u.funds) if (u.flattred or policy == "charity") else 0
        fee = charge * fee_bps // 10000 if u.flattred else 0
        if (st.get("charged"), st.get("fee")) != (charge, fee):
            failures.append(
                f"{u.uid}: charged {st.get('charged')} fee {st.get('fee')}, expected {charge} {fee}"
            )
        if u.flattred and sum(given.values()) != charge - fee:
            failures.append(f"{u.uid}: gave {sum(given.values())} of {charge - fee}")
        charged_total += st.get("charged", 0)
        for r in st.get("received", []):
            if all_things.get(r["thing_id"]) is not u:
                failures.append(f"{u.uid}: receives for a thing it does not own: {r}")
            received[r["thing_id"]] += r["flattrs"]
    for thing in thing_ids:
        if received[thing] != acknowledged[thing]:
            failures.append(
                f"thing {thing}: statements count {received[thing]} flattrs, "
                f"acknowledged {acknowledged[thing]}"
            )
    if status.get("charged") != charged_total:
        failures.append(f"the month charged {status.get('charged')}, the statements {charged_total}")

    phases["statement_checks"] = round(time.perf_counter() - t_phase, 2)
    # Things' listed counts are folded from their counters on a schedule (every FOLD_TICK seconds
    # here, every minute on AWS), and the audit holds a fold to the counters it saw last: under the
    # burst's frozen clock every flattr has the same second, so a fold that ran before the drain
    # would look short. Audit after the next fold, as the daily audit on AWS comes after the
    # minute's fold. The wait is not the burst's, so it does not count against its time limit.
    from local.schedules import FAST_SECONDS as FOLD_TICK

    time.sleep(FOLD_TICK + 2)
    api.deadline += FOLD_TICK + 2
    t_phase = time.perf_counter()
    audit = api.call("POST", "/_local/audit", "POST /_local/audit", expect=(200,)).body
    phases["audit"] = round(time.perf_counter() - t_phase, 2)
    violations = audit.get("violations", []) if isinstance(audit, dict) else [audit]
    if violations:
        failures.append(f"audit: {len(violations)} violations, first {violations[:3]}")
    api.call("POST", "/_local/clock", "POST /_local/clock", body={"now": None}, expect=(200,))

    problems = _problems(record)
    statuses = Counter(a.status for a in record.answers)
    report = {
        "ok": not (failures or problems),
        "users": users,
        "threads": threads,
        "things": len(thing_ids),
        "burst": {
            "requests": burst_requests,
            "seconds": round(burst_seconds, 2),
            "requests_per_second": round(burst_requests / burst_seconds, 1),
            "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
            "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
            "latency_ms_max": round(latencies[-1] * 1000, 1),
        },
        "clicks_acknowledged": sum(acknowledged.values()),
        "phase_seconds": phases,
        "close": {"seconds": round(close_seconds, 2), "drain": drained, "month": status},
        "audit_violations": len(violations),
        "requests_total": len(record.answers),
        "statuses": dict(sorted(statuses.items())),
        "by_route": {
            f"{route} {status}": n
            for (route, status), n in sorted(Counter((a.route, a.status) for a in record.answers).items())
        },
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "failures": failures[:50],
        "problems": problems[:50],
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--clicks", type=int, default=10, help="distinct things each user clicks")
    parser.add_argument("--repeats", type=int, default=2, help="repeated clicks each user makes")
    parser.add_argument("--time-limit", type=float, default=150.0, help="seconds before the client gives up")
    parser.add_argument("--url", help="an already running stack (default: start one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "load-results.json")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    kwargs = {
        "users": args.users,
        "threads": args.threads,
        "clicks": args.clicks,
        "repeats": args.repeats,
        "time_limit": args.time_limit,
    }
    if args.url:
        report = run(args.url, **kwargs)
    else:
        with local_stack(keep_log=True) as url:
            report = run(url, **kwargs)
    report["total_seconds"] = round(time.perf_counter() - t0, 1)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    b = report["burst"]
    print(
        f"burst: {b['requests']} requests from {args.threads} threads in {b['seconds']} s "
        f"= {b['requests_per_second']} req/s (p50 {b['latency_ms_p50']} ms, p95 {b['latency_ms_p95']} ms)"
    )
    print(f"clicks acknowledged: {report['clicks_acknowledged']}; statuses: {report['statuses']}")
    print(f"phases (s): {report['phase_seconds']}")
    print(
        f"close: {report['close']['seconds']} s, "
        f"{report['close']['month'].get('users_settled')} users settled; "
        f"audit violations: {report['audit_violations']}; 5xx: {report['server_errors']}"
    )
    for line in report["failures"] + report["problems"]:
        print("  FAIL", line)
    log_path = _stack_log[0]
    errors = _errors_in_log(log_path)
    report["stack_errors"] = errors[:20]
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for block in errors[:5]:
        print("---- the stack logged ----\n" + block[-4000:], file=sys.stderr)
    if log_path is not None and log_path.exists():
        if report["ok"] and not errors:
            log_path.unlink()
        else:
            print(f"the stack's log: {log_path}", file=sys.stderr)
    print(f"{'OK' if report['ok'] else 'FAILED'} in {report['total_seconds']} s; wrote {args.out}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
