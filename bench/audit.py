"""The audit's memory against the table's size, and its rate in items per second.

`python -m bench.audit N` is a harness, like bench.rss: it starts a moto server (in its own
process's thread, so the data never counts against the audit), deploys the stack, writes N users
whose month is then closed for real (settlement jobs in-process), so the books are clean and hold
every item type the audit reads, and runs the whole audit (`store.audit.run_audit`, every map and
reduce job one after another) in a fresh child process pointed at the server. The child reports
its peak RSS, and how long the audit took (wall and CPU). The harness prints one JSON line.

`run()` does that at N and 2N users: `audit.rss_growth` is peak RSS(2N) / peak RSS(N).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from flattr.store import audit
segments, buckets = int(sys.argv[1]), int(sys.argv[2])
after_import = peak_mb()
t0, c0 = time.perf_counter(), time.process_time()
found = audit.run_audit(segments=segments, buckets=buckets)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"violations": [str(v) for v in found[:20]], "peak_rss_mb": peak_mb(),
                  "after_import_rss_mb": after_import, "wall_s": wall, "cpu_s": cpu}))
"""


def seed(users: int) -> None:
    """`users` users with a deposit each, ten flattrs in a ring, and their things' counters; then
    the month is closed, so shares, fees, statements and the month's counters exist too."""
    from flattr.domain import accounts
    from flattr.domain.accounts import Transfer
    from flattr.store import models

    from bench import settle

    settle.seed_ring(users)
    per_user = settle.FLATTRS_PER_USER
    world: dict[int, int] = {}
    with models.User.batch_write() as batch:
        for i in range(users):
            t = Transfer(f"dep:u{i}", accounts.WORLD_PAYMENTS, accounts.funds(f"u{i}"), 5000, "deposit")
            world[t.debit_shard] = world.get(t.debit_shard, 0) - t.amount
            batch.save(
                models.TransferItem(
                    *models.TransferItem.key(t.id),
                    transfer_id=t.id,
                    debit=t.debit,
                    debit_shard=t.debit_shard,
                    credit=t.credit,
                    credit_shard=t.credit_shard,
                    amount=t.amount,
                    kind=t.kind,
                    at=settle.AT,
                )
            )
            thing = str(100_000 + i)  # each user's thing: flattred by the `per_user` users before it
            batch.save(
                models.ThingCount(
                    *models.ThingCount.key(thing), total=per_user, months={settle.MONTH: per_user}
                )
            )
        for shard, balance in world.items():
            batch.save(
                models.Account(
                    *models.Account.key(accounts.WORLD_PAYMENTS, shard),
                    account=accounts.WORLD_PAYMENTS,
                    shard=shard,
                    balance=balance,
                )
            )
    settle.close()


def _count_items(table: str) -> int:
    import boto3

    total, start = 0, None
    while True:
        page = boto3.client("dynamodb").scan(
            TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {})
        )
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def main(users: int, segments: int = 4, buckets: int = 8) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import env

    env.fake_aws_env()
    env.quiet()
    from moto.server import ThreadedMotoServer

    from local import moto_safety, runtime, stack

    runtime.ensure_paths()
    moto_safety.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = endpoint = f"http://{host}:{port}"
        deployed = stack.deploy(stack_name="bench-audit")
        os.environ.update({k: str(v) for k, v in deployed.environment.items()})
        from flattr import clock, settings
        from flattr.store import models

        settings.get.cache_clear()
        models.bind(deployed.table)
        from datetime import datetime

        from bench import settle

        clock.set_override(datetime.fromisoformat(settle.AT))
        seed(users)
        items = _count_items(deployed.table)
        fn = env.function("AuditFunction")
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(stack.python_paths()),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": env.REGION,
            "AWS_DEFAULT_REGION": env.REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
            **{k: str(v) for k, v in deployed.environment.items()},
        }
        # Through a shell that forks the child (as bench.rss does): a process forked by this one
        # would start its ru_maxrss from this one's, which holds all of moto.
        proc = subprocess.run(
            [
                "/bin/sh",
                "-c",
                '"$@"; status=$?; exit $status',
                "sh",
                sys.executable,
                "-c",
                CHILD,
                str(segments),
                str(buckets),
            ],
            check=False,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the audit child failed:\n{proc.stderr[-3000:]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        if report["violations"]:
            raise RuntimeError(f"the seeded books are not clean: {report['violations']}")
        return {
            "users": users,
            "items": items,
            "scratch_items": _count_items(deployed.environment["FLATTR_AUDIT_TABLE"]),
            "segments": segments,
            "buckets": buckets,
            **{k: round(report[k], 2) for k in ("peak_rss_mb", "after_import_rss_mb", "wall_s", "cpu_s")},
            "items_per_second": round(items / report["wall_s"]),
            "items_per_cpu_second": round(items / report["cpu_s"]),
        }
    finally:
        server.stop()


def _child_run(users: int) -> dict:
    from bench import env

    proc = subprocess.run(
        [sys.executable, "-m", "bench.audit", str(users)],
        check=False,
        cwd=env.ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.audit failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(users: int) -> dict:
    """The audit at N and 2N users, each in its own harness process."""
    small, large = _child_run(users), _child_run(2 * users)
    return {
        "n": small,
        "2n": large,
        "rss_growth": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
        "items_per_second": large["items_per_second"],
        "items_per_cpu_second": large["items_per_cpu_second"],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
