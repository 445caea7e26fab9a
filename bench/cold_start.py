"""Cold start: how long a fresh interpreter takes to import each handler module, against the floor
that every Python function on DynamoDB pays anyway: `import boto3; boto3.client("dynamodb")`.

Each run is a new `python -c` process with the sys.path Lambda gives the function (its code
directory and the layer, local.stack.python_paths()) and the environment the template gives it.
Rounds interleave the floor and the handlers, the first round only warms the bytecode caches, and
each figure is the median of the rest. `python -X importtime` then says where each handler's time goes.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from bench import env

FLOOR = 'import boto3; boto3.client("dynamodb", region_name="us-east-1")'
# Ends every timed process, the floor's too. A process's CPU time includes its exit, which no cold
# start pays, and the exit's collections skip what gc.freeze() froze (flattr.observability): given
# back first, the freeze is credited with what it saves in the imports only.
EXIT = "; import gc; gc.unfreeze()"


def _function_env(fn, deployed_env: dict[str, str]) -> dict[str, str]:
    """What Lambda would set: the template's variables (refs resolved by the stack), and the runtime's."""
    from local import stack

    out = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(stack.python_paths()),
        "AWS_REGION": env.REGION,
        "AWS_DEFAULT_REGION": env.REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        # Nothing may leave the machine: a stray call at import fails at once on a closed port.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(env.template_setting(fn.logical_id, "MemorySize", 128)),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    }
    for name, value in fn.environment.items():
        out[name] = str(value) if isinstance(value, (str, int, float)) else str(deployed_env.get(name, "x"))
    return out


def _run(code: str, environ: dict[str, str], *extra: str) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stderr) of a fresh `python -c code`. CPU time (user + system, from
    the reaped child's rusage) is what the ratios use: it does not count time spent waiting for a
    core on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *extra, "-c", code],
        check=False,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"`python -c {code!r}` failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.stderr


def _profile_lines(stderr: str):
    """(self ms, cumulative ms, module) for each line of `python -X importtime`."""
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        yield int(self_us) / 1000, int(cumulative_us) / 1000, name.strip()


def _importtime(stderr: str) -> dict[str, float]:
    """Self time (ms) by top-level package."""
    by_pkg: dict[str, float] = defaultdict(float)
    for self_ms, _, name in _profile_lines(stderr):
        by_pkg[name.split(".")[0]] += self_ms
    return dict(by_pkg)


def _cumulative(stderr: str, names: tuple[str, ...]) -> dict[str, float]:
    """Cumulative ms of the named modules (where first imported)."""
    out: dict[str, float] = {}
    for _, cumulative_ms, name in _profile_lines(stderr):
        if name in names and name not in out:
            out[name] = cumulative_ms
    return out


HEAVY = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.event_handler.openapi.params",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "pydantic",
    "pynamodb.models",
    "boto3",
    "botocore.session",
    "segno",
    "flattr.store",
)


def run(deployed_env: dict[str, str], rounds: int = 6) -> dict[str, Any]:
    from local import stack

    fns = stack.functions()
    envs = {fn.logical_id: _function_env(fn, deployed_env) for fn in fns}
    floor_env = envs[fns[0].logical_id]
    floor_times: list[tuple[float, float]] = []
    times: dict[str, list[tuple[float, float]]] = {fn.logical_id: [] for fn in fns}
    for r in range(rounds + 1):  # round 0 only warms the bytecode caches
        floor_t = _run(FLOOR + EXIT, floor_env)[:2]
        for fn in fns:
            t = _run(f"import {fn.module}{EXIT}", envs[fn.logical_id])[:2]
            if r:
                times[fn.logical_id].append(t)
        if r:
            floor_times.append(floor_t)
    floor = env.median([c for c, _ in floor_times])
    floor_wall = env.median([w for _, w in floor_times])
    floor_profile = _run(FLOOR, floor_env, "-X", "importtime")[2]
    per: dict[str, Any] = {}
    for fn in fns:
        t = env.median([c for c, _ in times[fn.logical_id]])
        wall = env.median([w for _, w in times[fn.logical_id]])
        profile = _run(f"import {fn.module}", envs[fn.logical_id], "-X", "importtime")[2]
        packages = _importtime(profile)
        top = sorted(packages.items(), key=lambda kv: -kv[1])[:6]
        per[fn.logical_id] = {
            "module": fn.module,
            "cpu_ms": round(t * 1000, 1),
            "wall_ms": round(wall * 1000, 1),
            "ratio": round(t / floor, 3),
            "wall_ratio": round(wall / floor_wall, 3),
            "import_self_ms_by_package": {k: round(v, 1) for k, v in top},
            "import_cumulative_ms": {k: round(v, 1) for k, v in _cumulative(profile, HEAVY).items()},
        }
    return {
        "floor_cpu_ms": round(floor * 1000, 1),
        "floor_wall_ms": round(floor_wall * 1000, 1),
        "floor_import_self_ms_by_package": {
            k: round(v, 1) for k, v in sorted(_importtime(floor_profile).items(), key=lambda kv: -kv[1])[:6]
        },
        "rounds": rounds,
        "handlers": per,
    }
