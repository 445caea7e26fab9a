"""What importing each function's handler loads, checked without a clock.

A cold start runs the handler's imports before its first request (`make bench`'s
`cold_start.import_ratio` times them against `import boto3; boto3.client("dynamodb")`). A
DynamoDB client made at import, boto3, Stripe's library or Powertools' parameters and idempotency
utilities each cost a large part of that floor, and are needed only by the first request that
uses them (or by a few routes). So every handler is imported here in a fresh interpreter, with
the sys.path Lambda gives it, and must make no AWS client and load none of those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from local import stack

# Loaded on first use instead: flattr.secrets, flattr.idempotency, flattr.stripe_api and
# flattr.stripe_events, the deposit webhook's parser, the QR route's segno.
NOT_AT_IMPORT = (
    "boto3",
    "stripe",
    "segno",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser",
)

# Records the AWS clients made (through botocore, as boto3 and pynamodb both do) and runs `code`.
PROBE = """
import json, sys
import botocore.session

made = []
_create = botocore.session.Session.create_client


def create_client(self, service_name, *args, **kwargs):
    made.append(service_name)
    return _create(self, service_name, *args, **kwargs)


botocore.session.Session.create_client = create_client
exec(sys.argv[1])
print(json.dumps({"clients": made, "loaded": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def _environment() -> dict[str, str]:
    """A fresh interpreter's: Lambda's paths and fake credentials; nothing may reach AWS."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(stack.python_paths()),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # a closed port: a call at import fails at once
        "AWS_LAMBDA_FUNCTION_NAME": "flattr-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "Flattr",
    }


def probe(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, code, *NOT_AT_IMPORT],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fn", stack.functions(), ids=lambda fn: fn.logical_id)
def test_importing_a_handler_makes_no_client_and_loads_nothing_it_can_load_on_first_use(fn):
    found = probe(f"import {fn.module}")
    assert found == {"clients": [], "loaded": []}, (
        f"{fn.logical_id} ({fn.module}) pays at import for what its first request could load: "
        "import it inside the function that needs it (see flattr.secrets, flattr.idempotency)"
    )


# Counts the full collections CPython runs while `code` runs, and how near the next one is (the
# generation-1 collections since the last full one: past threshold()[2], the next one is full).
FULL_COLLECTIONS = """
import gc, json, sys

full = []
gc.callbacks.append(lambda phase, info: full.append(1) if phase == "start" and info["generation"] == 2 else None)
exec(sys.argv[1])
print(json.dumps({"full": len(full), "toward_next": gc.get_count()[2], "threshold": gc.get_threshold()[2]}))
"""


def collections(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", FULL_COLLECTIONS, code],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fn", stack.functions(), ids=lambda fn: fn.logical_id)
def test_importing_a_handler_runs_no_full_collection_and_stays_far_from_one(fn):
    # A full collection walks every object the imports made (about 25 ms of CPU in the heavier
    # functions). flattr.observability freezes what is made before it, so the rest stays far below.
    found = collections(f"import {fn.module}")
    assert found["full"] == 0, f"{fn.logical_id} ran a full collection at import"
    assert found["toward_next"] <= found["threshold"] * 2 // 3, found


def test_the_collection_probe_sees_a_full_collection():
    # The check can fail: objects kept past the threshold (the imports' are about 50,000) make one.
    assert collections("kept = [[] for _ in range(100_000)]")["full"] == 1


def test_the_probe_sees_a_client_and_boto3():
    # The check can fail: what the deposit and worker functions did before.
    found = probe("import boto3; from flattr.store import models; models.connection().client")
    assert found == {"clients": ["dynamodb"], "loaded": ["boto3"]}


# Lambda's runtime provides snapshot_restore_py and runs its hooks around a snapshot; this
# stand-in records them, for the probe to run as Lambda would.
SNAPSHOT_RESTORE = (
    "import sys, types\n"
    "before, after = [], []\n"
    "fake = types.ModuleType('snapshot_restore_py')\n"
    "fake.register_before_snapshot = lambda fn, *a, **k: before.append(lambda: fn(*a, **k)) or fn\n"
    "fake.register_after_restore = lambda fn, *a, **k: after.append(lambda: fn(*a, **k)) or fn\n"
    "sys.modules['snapshot_restore_py'] = fake\n"
)


def test_under_snapstart_the_idempotency_utility_is_set_up_before_the_snapshot():
    found = probe(
        SNAPSHOT_RESTORE + "import deposit_handler\n"
        "assert 'aws_lambda_powertools.utilities.idempotency' not in sys.modules\n"
        "for hook in reversed(before):\n"
        "    hook()\n"
    )
    assert found == {
        "clients": ["dynamodb"],
        "loaded": ["boto3", "aws_lambda_powertools.utilities.idempotency"],
    }


def test_containers_restored_from_one_snapshot_draw_different_counter_shards():
    # Two restores of the same memory: without a reseed, both would draw the same numbers.
    probe(
        SNAPSHOT_RESTORE + "import random, click_handler\n"
        "snapshot = random.getstate()\n"
        "draws = []\n"
        "for _ in range(2):\n"
        "    random.setstate(snapshot)\n"
        "    for hook in after:\n"
        "        hook()\n"
        "    draws.append([random.randrange(8) for _ in range(20)])\n"
        "assert draws[0] != draws[1], draws\n"
    )
