"""`python -m bench`: run every measurement, write bench/results.json, print the table.

    python -m bench                  the full run (`make bench`), a few minutes on 2 cores
    python -m bench --quick          a smoke run at a small scale (figures are not comparable)
    python -m bench --users 300 --fans 2000 --whale 1000

Scale: settling on moto costs tens of milliseconds of CPU per user, so the issue's 10,000 users and
5,000 fans are scaled down; the scale used is part of the results (settle.users, settle.fans).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import env

RESULTS = Path(__file__).resolve().parent / "results.json"


def _row(value, target, op: str = "<=", unit: str = "", note: str = "") -> dict:
    met = None if target is None else (value <= target if op == "<=" else value >= target)
    return {"value": value, "target": target, "op": op, "unit": unit, "met": met, "note": note}


def _fmt(v) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) < 0.01:
            return f"{v:.3g}"
        return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 100 else f"{v:.1f}"
    return str(v)


def print_table(metrics: dict[str, dict]) -> None:
    width = max(len(k) for k in metrics)
    print(f"\n{'key':<{width}}  {'value':>12}  {'target':>12}  met?")
    print(f"{'-' * width}  {'-' * 12}  {'-' * 12}  ----")
    for key, row in metrics.items():
        target = "" if row["target"] is None else f"{row['op']} {_fmt(row['target'])}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        value = _fmt(row["value"]) + (f" {row['unit']}" if row["unit"] else "")
        print(f"{key:<{width}}  {value:>12}  {target:>12}  {met}")


def _phase(name: str, timings: dict, fn, *args, **kwargs):
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    timings[name] = round(time.perf_counter() - t0, 1)
    print(f"[bench] {name}: {timings[name]} s", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small scale: a smoke run, not comparable figures"
    )
    parser.add_argument(
        "--users",
        type=int,
        default=int(os.environ.get("BENCH_USERS", "300")),
        help="N for settle.floor_ratio and settle.scaling (2N is run too)",
    )
    parser.add_argument(
        "--fans",
        type=int,
        default=int(os.environ.get("BENCH_FANS", "1000")),
        help="fans of the one hot creator for settle.hot_item_writes",
    )
    parser.add_argument("--whale", type=int, default=1000, help="flattrs of the user for worker_peak_rss_mb")
    parser.add_argument(
        "--audit-users", type=int, default=300, help="N users for audit.rss_growth (2N is run too)"
    )
    parser.add_argument("--clicks", type=int, default=200, help="clicks timed for click.overhead_ratio")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of fresh interpreters per handler")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--only",
        choices=["click", "items", "cold_start", "settle", "audit"],
        help="run one phase and update its figures in an existing results file, leaving the rest",
    )
    args = parser.parse_args(argv)
    if args.only:
        return _only(args)
    if args.quick:
        args.users, args.fans, args.whale, args.clicks, args.rounds = 30, 80, 200, 40, 2
        args.audit_users = 40

    started = time.perf_counter()
    timings: dict[str, float] = {}

    # Memory first, in its own processes: nothing of this one's moto counts against it.
    rss = _phase("worker_rss", timings, _rss, args.whale)
    from bench import audit as audit_bench

    audited = _phase("audit", timings, audit_bench.run, args.audit_users)

    env.start()
    from bench import click, cold_start, cost, settle, tally
    from bench import items as api_items

    clicks = _phase("click", timings, click.run, samples=args.clicks)
    tallied = _phase("tally", timings, tally.run, **({"clicks": 3000} if args.quick else {}))
    scaling = _phase("settle_scaling", timings, settle.scaling, args.users)
    hot = _phase("settle_hot", timings, settle.hot, args.fans)
    user_cost = _phase("settle_cost", timings, settle.cost, 40 if not args.quick else 20)
    deployed = env.fresh_stack("cold")
    cold = _phase("cold_start", timings, cold_start.run, deployed.environment, rounds=args.rounds)

    click_memory = env.template_setting("ClickFunction", "MemorySize", 128)
    worker_memory = env.template_setting("SettleWorkerFunction", "MemorySize", 128)
    warm = clicks["warm"]
    tally_memory = env.template_setting("TallyFunction", "MemorySize", 128)
    notify_memory = env.template_setting("NotifyWorkerFunction", "MemorySize", 128)
    click_cost = cost.per_click(
        clicks["handler_ms"], click_memory, warm["wcu"], warm["rcu"], tallied, tally_memory, notify_memory
    )
    user_month = cost.per_user_month(
        wcu=user_cost["wcu_per_user"],
        rcu=user_cost["rcu_per_user"],
        sqs_requests=user_cost["sqs_requests_per_user"],
        invocations=user_cost["lambda_invocations_per_user"],
        worker_ms=user_cost["worker_cpu_ms_per_user"],
        memory_mb=worker_memory,
    )

    items = _phase("api_items", timings, api_items.run)

    metrics: dict[str, dict] = {}
    metrics.update(_click_rows(clicks, tallied))
    metrics["api.max_items_read"] = api_items.row(items)

    metrics.update(_cold_rows(cold))
    metrics.update(_settle_rows(scaling, hot, user_cost))
    metrics["settle.worker_peak_rss_mb"] = _row(
        round(rss["peak_rss_mb"], 1), 200, unit="MB", note=f"user with {rss['flattrs']} flattrs"
    )
    metrics.update(_audit_rows(audited))
    metrics["cost.usd_per_million_clicks"] = _row(click_cost["total"], 2.50, unit="USD")
    metrics["cost.usd_per_user_month"] = _row(
        user_month["total"], 0.0001, unit="USD", note="10 flattrs a user"
    )

    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": _code_state(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
        },
        "scale": {
            "settle_users": args.users,
            "hot_fans": args.fans,
            "whale_flattrs": args.whale,
            "clicks_timed": args.clicks,
            "cold_start_rounds": args.rounds,
            "quick": args.quick,
        },
        "timing": "CPU time of the process doing the work (in-process moto), or of the child process "
        "(cold start); wall-clock figures are in the details",
        "metrics": metrics,
        "details": {
            "click": clicks,
            "tally": tallied,
            "api_items": items,
            "settle_scaling": scaling,
            "settle_hot": hot,
            "settle_cost": user_cost,
            "worker_rss": rss,
            "audit": audited,
            "cold_start": cold,
            "cost": {
                "per_million_clicks": click_cost,
                "per_user_month": user_month,
                "click_memory_mb": click_memory,
                "worker_memory_mb": worker_memory,
                "prices": cost.PRICES,
            },
        },
        "phase_seconds": timings,
    }
    results["phase_seconds"]["total"] = round(time.perf_counter() - started, 1)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(metrics)
    missed = [k for k, r in metrics.items() if r["met"] is False]
    print(f"\n{len(missed)} target(s) missed: {', '.join(missed) or 'none'}")
    print(f"wrote {args.out} in {results['phase_seconds']['total']} s")
    return 0


def _settle_rows(scaling: dict, hot: dict, user_cost: dict) -> dict[str, dict]:
    from bench import settle

    ten_m = settle.hours_10m_users(user_cost["wcu_per_user"], scaling)
    scaling["hours_10m_users"] = ten_m
    metrics: dict[str, dict] = {}
    metrics["settle.users"] = _row(scaling["users"], None, note="N users x 10 flattrs (issue: 10,000)")
    metrics["settle.floor_ratio"] = _row(
        round(scaling["floor_ratio"], 2), 6, note="vs BatchWriteItem of N x 10 items, heap frozen in both"
    )
    metrics["settle.floor_ratio_same_writes"] = _row(
        round(scaling["floor_ratio_same_writes"], 2),
        None,
        note="vs BatchWriteItem of as many items as settlement wrote",
    )
    metrics["settle.floor_ratio_heap_live"] = _row(
        round(scaling["floor_ratio_heap_live"], 2),
        None,
        note="the same close and floor, the heap live (collections walk moto's tables)",
    )
    metrics["settle.requests_per_user"] = _row(
        scaling["requests_per_user"], 4, note="DynamoDB requests per settled user, page folds included"
    )
    metrics["settle.wcu_per_user"] = _row(
        user_cost["wcu_per_user"],
        20,
        unit="WCU",
        note="modeled, worker path, page folds included (floor: 10)",
    )
    metrics["settle.hours_10m_users"] = _row(
        ten_m["hours"],
        1.5,
        unit="h",
        note=f"writes {ten_m['writes_hours']} h at 40,000 WCU/s + fan-out {ten_m['fan_out_hours']} h",
    )
    metrics["settle.scaling"] = _row(round(scaling["scaling"], 3), 2.2, note="t(2N) / t(N)")
    metrics["settle.fans"] = _row(hot["fans"], None, note="fans of one creator (issue: 5,000)")
    metrics["settle.hot_item_writes"] = _row(
        hot["hot_item_writes"], round(hot["fans"] / 8 + 10, 1), note=hot["hottest_item"]
    )
    return metrics


def _click_rows(clicks: dict, tallied: dict) -> dict[str, dict]:
    warm = clicks["warm"]
    metrics: dict[str, dict] = {}
    # v1's click limit is counted in the container (flattr.limits.HERE): no request. v2 keeps its
    # table-counted rate limit, one UpdateItem per request.
    metrics["click.requests"] = _row(
        clicks["cold"]["requests"], 3, note="fresh container: the thing, the people, the card"
    )
    metrics["click.requests_new_giver"] = _row(
        clicks["new_giver"]["requests"], 2, note="thing cached: the people (one BatchGetItem), the card"
    )
    metrics["click.requests_warm"] = _row(
        warm["requests"], 1, note="thing and people cached: one UpdateItem of the month card"
    )
    metrics["click.v2_requests"] = _row(
        clicks["v2_cold"]["requests"],
        4,
        note="through /rest/v2: the rate-limit count, then as click.requests",
    )
    metrics["click.v2_requests_warm"] = _row(
        clicks["v2_warm"]["requests"], 2, note="the rate-limit count and the card's UpdateItem"
    )
    metrics["click.wcu"] = _row(warm["wcu"], 2, unit="WCU", note="one UpdateItem of a card under 1 KB")
    metrics["click.overhead_ratio"] = _row(
        round(clicks["overhead_ratio"], 3),
        1.5,
        note=f"handler {clicks['handler_ms']:.2f} ms / raw {clicks['raw_ms']:.2f} ms CPU",
    )
    metrics["tally.counter_writes_per_click"] = _row(
        round(tallied["counter_writes_per_click"], 3),
        None,
        note=f"Zipf(s={tallied['zipf_s']}) over {tallied['things']} things, batches of {tallied['batch_size']}",
    )
    metrics["tally.wcu_per_click"] = _row(
        round(tallied["wcu_per_click"], 3), None, unit="WCU", note="markers and counters, 2 WCU per KB each"
    )
    if "notify_worker" in tallied:
        worker = tallied["notify_worker"]
        metrics["tally.notice_sqs_requests_per_click"] = _row(
            round(tallied["notices"]["sqs_requests_per_click"] + worker["sqs_requests_per_click"], 4),
            None,
            note=f"flattr.received, per owner per batch: sends, receives, deletes; the worker reads "
            f"{worker['rcu_per_click']:.3f} RCU a click (endpoints)",
        )
    return metrics


def _cold_rows(cold: dict) -> dict[str, dict]:
    worst = max(cold["handlers"].items(), key=lambda kv: kv[1]["ratio"])
    metrics = {"cold_start.import_ratio": _row(worst[1]["ratio"], 1.3, note=f"worst: {worst[0]}")}
    for logical_id, h in sorted(cold["handlers"].items(), key=lambda kv: -kv[1]["ratio"]):
        metrics[f"cold_start.import_ratio.{logical_id}"] = _row(h["ratio"], 1.3, note=f"{h['cpu_ms']} ms CPU")
    return metrics


def _audit_rows(audited: dict) -> dict[str, dict]:
    n, n2 = audited["n"], audited["2n"]
    return {
        "audit.rss_growth": _row(
            audited["rss_growth"],
            1.2,
            note=f"peak RSS, {n2['items']} items / {n['items']} items: "
            f"{n2['peak_rss_mb']} / {n['peak_rss_mb']} MB",
        ),
        "audit.items_per_second": _row(
            audited["items_per_second"],
            None,
            unit="items/s",
            note=f"one process, every job in turn, on a moto server (wall); {n2['items']} items",
        ),
        "audit.items_per_cpu_second": _row(
            audited["items_per_cpu_second"], None, unit="items/s", note="the audit process's own CPU"
        ),
    }


def _only(args) -> int:
    """One phase, its rows and details replaced in the results file; the rest kept as they were."""
    results = json.loads(args.out.read_text())
    timings: dict[str, float] = {}
    if args.only == "audit":  # in its own processes, like worker_rss: no moto in this one
        from bench import audit as audit_bench

        audited = _phase("audit", timings, audit_bench.run, args.audit_users)
        results["metrics"].update(_audit_rows(audited))
        results["details"]["audit"] = audited
        return _save_partial(args, results, timings, ("audit.",))
    env.start()
    if args.only == "click":
        from bench import click, cost, tally

        clicks = _phase("click", timings, click.run, samples=args.clicks)
        tallied = _phase("tally", timings, tally.run)
        results["metrics"].update(_click_rows(clicks, tallied))
        results["details"]["click"] = clicks
        results["details"]["tally"] = tallied
        memory = env.template_setting("ClickFunction", "MemorySize", 128)
        tally_memory = env.template_setting("TallyFunction", "MemorySize", 128)
        notify_memory = env.template_setting("NotifyWorkerFunction", "MemorySize", 128)
        warm = clicks["warm"]
        per_click = cost.per_click(
            clicks["handler_ms"], memory, warm["wcu"], warm["rcu"], tallied, tally_memory, notify_memory
        )
        results["metrics"]["cost.usd_per_million_clicks"] = _row(per_click["total"], 2.50, unit="USD")
        results["details"]["cost"]["per_million_clicks"] = per_click
    elif args.only == "cold_start":
        from bench import cold_start

        deployed = env.fresh_stack("cold")
        cold = _phase("cold_start", timings, cold_start.run, deployed.environment, rounds=args.rounds)
        # The rows keep their place in the table; a handler that is gone loses its old row.
        rows, metrics = _cold_rows(cold), {}
        for key, row in results["metrics"].items():
            if not key.startswith("cold_start."):
                metrics[key] = row
            elif rows:
                metrics.update(rows)
                rows = {}
        metrics.update(rows)
        results["metrics"] = metrics
        results["details"]["cold_start"] = cold
        results["scale"]["cold_start_rounds"] = args.rounds
    elif args.only == "settle":
        from bench import cost, settle

        scaling = _phase("settle_scaling", timings, settle.scaling, args.users)
        hot = _phase("settle_hot", timings, settle.hot, args.fans)
        user_cost = _phase("settle_cost", timings, settle.cost, 40)
        results["metrics"].update(_settle_rows(scaling, hot, user_cost))
        results["details"].update(settle_scaling=scaling, settle_hot=hot, settle_cost=user_cost)
        details = results["details"]["cost"]
        per_user = cost.per_user_month(
            wcu=user_cost["wcu_per_user"],
            rcu=user_cost["rcu_per_user"],
            sqs_requests=user_cost["sqs_requests_per_user"],
            invocations=user_cost["lambda_invocations_per_user"],
            worker_ms=user_cost["worker_cpu_ms_per_user"],
            memory_mb=details["worker_memory_mb"],
        )
        results["metrics"]["cost.usd_per_user_month"] = _row(
            per_user["total"], 0.0001, unit="USD", note="10 flattrs a user"
        )
        details["per_user_month"] = per_user
    else:
        from bench import items as api_items

        found = _phase("api_items", timings, api_items.run)
        results["metrics"]["api.max_items_read"] = api_items.row(found)
        results["details"]["api_items"] = found
    prefixes = {
        "click": ("click.", "tally.", "cost.usd_per_million"),
        "cold_start": ("cold_start.",),
        "settle": ("settle.", "cost.usd_per_user"),
        "items": ("api.",),
    }[args.only]
    return _save_partial(args, results, timings, prefixes)


def _save_partial(args, results: dict, timings: dict, prefixes: tuple[str, ...]) -> int:
    results.setdefault("partial_runs", []).append(
        {
            "phase": args.only,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "code": _code_state(),
            "seconds": timings,
        }
    )
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table({k: v for k, v in results["metrics"].items() if k.startswith(prefixes)})
    return 0


def _code_state() -> dict:
    """Which code was measured: the commit, and the files under test that differ from it."""

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], check=False, cwd=env.ROOT, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "functions", "infra", "local")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed.splitlines()}


def _rss(flattrs: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.rss", str(flattrs)],
        check=False,
        cwd=env.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.rss failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
