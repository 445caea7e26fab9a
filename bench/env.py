"""The bench's AWS: moto in-process (mock_aws), with a fresh stack from infra/template.yaml per phase.

Each phase deploys its own stack (new table and queue names, about 0.5 s after the first), so no
phase sees another's items and no wipe is needed. The store is bound to the new table, the
settings cache is cleared, and the click handler's owner cache is emptied: a fresh container.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
FUNCTION_NAME = "flattr-bench"  # Powertools idempotency keys start with it
_started = False
_stack_seq = itertools.count(1)


def fake_aws_env() -> None:
    """Whatever the shell has, never let the bench reach a real account."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_LAMBDA_FUNCTION_NAME=FUNCTION_NAME,
        POWERTOOLS_DEV="false",
    )


def quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    for chatty in ("botocore", "pynamodb", "werkzeug"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" at exit


def start() -> None:
    """Start moto in-process (once), with the same safety patches the local stack uses."""
    global _started
    if _started:
        return
    fake_aws_env()
    quiet()
    from local import moto_safety, runtime

    runtime.ensure_paths()
    moto_safety.apply()
    from moto import mock_aws

    mock_aws().start()
    _started = True


def fresh_stack(label: str = "bench"):
    """Deploy a new stack and point the store, settings and caches at it. Returns local.stack.Stack."""
    start()
    import boto3

    from local import stack

    name = f"{label}-{next(_stack_seq)}"
    deployed = stack.deploy(stack_name=name)
    deployed.name = name  # type: ignore[attr-defined]
    for variable, value in (
        ("FLATTR_WEBHOOK_SECRET_PARAMETER", "local-webhook-secret"),
        ("FLATTR_STRIPE_WEBHOOK_SECRET_PARAMETER", "whsec_local"),  # a route the items phase calls
    ):
        if variable in deployed.environment:
            boto3.client("ssm").put_parameter(
                Name=deployed.environment[variable], Value=value, Type="SecureString", Overwrite=True
            )
    os.environ.update({k: str(v) for k, v in deployed.environment.items()})
    from flattr import clock, settings
    from flattr.store import clicks, models

    settings.get.cache_clear()
    models.bind(deployed.table)
    share_one_connection()
    clicks.clear()
    clock.set_override(None)
    return deployed


def share_one_connection() -> None:
    """Make every model use the one connection (and botocore client) `models.connection()` returns.

    pynamodb caches a connection on the first model class that asks for one; a subclass that asked
    before its base keeps a client of its own. Dropping those caches and asking on the base first
    puts every request of every model on one client, so hooks registered there see them all.
    """
    from flattr.store import models

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in [models._Base, *subclasses(models._Base)]:
        if "_connection" in cls.__dict__:
            delattr(cls, "_connection")
    models.connection()


def function(logical_id: str):
    from local import stack

    return next(f for f in stack.functions() if f.logical_id == logical_id)


def template_setting(logical_id: str, name: str, default: int) -> int:
    """A function's MemorySize or Timeout as the template gives it (its own, else Globals)."""
    from local import stack

    tpl = stack.sam_template()
    props = tpl["Resources"][logical_id]["Properties"]
    return int(props.get(name, tpl.get("Globals", {}).get("Function", {}).get(name, default)))


def template_parameter(name: str, default: int) -> int:
    """A template parameter's default (what a deployment gets unless it says otherwise)."""
    from local import stack

    return int(stack.sam_template().get("Parameters", {}).get(name, {}).get("Default", default))


def cpu() -> float:
    """CPU seconds of this process. The bench times with it, not the wall clock: moto runs in this
    process, and on a shared machine the wall clock mostly measures the neighbours."""
    return time.process_time()


@contextlib.contextmanager
def frozen_heap():
    """Collect, then keep every live object out of the garbage collector's sight (gc.freeze) for
    the block. In the bench the simulated tables live in this process, so each full collection
    during a timing walks them too; on AWS they are not in the function's heap. Objects made in
    the block are still collected."""
    import gc

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def median(values) -> float:
    return statistics.median(values) if values else float("nan")
