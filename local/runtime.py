"""Play the Lambda runtime in-process: import handlers the way Lambda does and call them.

Lambda puts the function's code directory and its layers on sys.path and imports the module named
in `Handler`; module names are unique across the functions, so one process can host them all.
The event goes in, and the result comes out, through JSON, as they do on AWS: a handler can
neither mutate a caller's dict nor return something Lambda could not serialise.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from local import stack
from local.stack import FunctionSpec

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


@functools.lru_cache(maxsize=1)
def _lambda_paths() -> tuple[str, ...]:
    # Read from the template once, like stack.sam_template: resolving every function's directory
    # on each invocation cost more CPU than a warm click's own code.
    return tuple(stack.python_paths())


def ensure_paths() -> None:
    """Put what Lambda would put on sys.path in front, so a function's module wins over site-packages."""
    for path in reversed(_lambda_paths()):
        if path not in sys.path:
            sys.path.insert(0, path)


def _setting(fn: FunctionSpec, name: str, default: int) -> int:
    tpl = stack.sam_template()
    props = tpl["Resources"][fn.logical_id]["Properties"]
    return int(props.get(name, tpl.get("Globals", {}).get("Function", {}).get(name, default)))


class LambdaContext:
    """The attributes handlers and Powertools read from the real context object."""

    def __init__(self, fn: FunctionSpec) -> None:
        timeout_s = _setting(fn, "Timeout", 3)
        self.function_name = fn.logical_id
        self.function_version = "$LATEST"
        # A string, as in the real runtime (it copies AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
        self.memory_limit_in_mb = str(_setting(fn, "MemorySize", 128))
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.logical_id}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(fn: FunctionSpec) -> Callable[[dict, LambdaContext], Any]:
    ensure_paths()
    module_name, attr = fn.handler.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), attr)


def _json_default(value: Any) -> Any:
    # The Python runtime serialises Decimal (what DynamoDB hands back) as a number.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


current = threading.local()  # .function: the logical id of the function running on this thread
_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


HTTP_FUNCTIONS = "http"  # the lock every API function takes: they share Powertools' resolver state


def _turns_with(fn: FunctionSpec, event: dict) -> str:
    """Whose turn an invocation waits for: any HTTP API function's, or its own function's."""
    return HTTP_FUNCTIONS if "routeKey" in event and "requestContext" in event else fn.logical_id


def invoke(fn: FunctionSpec, event: dict) -> Any:
    """Call the function's handler like Lambda does; whatever it raises propagates.

    One invocation at a time per function, as in one Lambda execution environment: handlers keep
    the current request in module state, which threads would share. Powertools' resolvers keep it
    on a class (`BaseRouter.current_event`), shared by every HTTP function in this one process:
    those take turns together, or one request could read another's event (its claims, say).
    """
    handler = load_handler(fn)
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(_turns_with(fn, event), threading.RLock())
    with lock:
        current.function = fn.logical_id
        try:
            result = handler(json.loads(json.dumps(event)), LambdaContext(fn))
        finally:
            current.function = None
    return json.loads(json.dumps(result, default=_json_default))
