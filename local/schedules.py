"""Play EventBridge's `rate(...)` schedules locally: each such function is invoked in-process at its
rate, and every FAST_SECONDS at most (a once-a-minute fold would keep a demo's lists a minute
behind). `cron(...)` schedules (the month close, the audit) are left to their own local routes.

The schedules are read from the template's Schedule and ScheduleV2 events, so nothing here names a function.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from local import runtime, stack
from local.background import Background
from local.stack import FunctionSpec

log = logging.getLogger("local.schedules")
FAST_SECONDS = 10.0
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def every(expression: str) -> float | None:
    """Seconds between runs of a `rate(...)` expression locally; None for anything else."""
    match = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", expression.strip())
    if not match or match.group(2) not in _UNITS:
        return None
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    return min(seconds, FAST_SECONDS) if seconds <= 60 else float(seconds)


def rated() -> list[tuple[FunctionSpec, float]]:
    out = []
    for fn in stack.functions():
        for event in fn.events.values():
            props = event.get("Properties", {})
            if event["Type"] in ("Schedule", "ScheduleV2"):
                seconds = every(str(props.get("Schedule") or props.get("ScheduleExpression") or ""))
                if seconds:
                    out.append((fn, seconds))
    return out


class Ticker(Background):
    thread_name = "schedules"

    def __init__(self, invoke: Callable[[FunctionSpec, dict], Any] = runtime.invoke) -> None:
        self.jobs = rated()
        self.invoke = invoke
        super().__init__()

    def _run(self) -> None:
        due = {fn.logical_id: time.monotonic() + seconds for fn, seconds in self.jobs}
        while not self._stop.wait(1.0):
            for fn, seconds in self.jobs:
                if time.monotonic() < due[fn.logical_id]:
                    continue
                due[fn.logical_id] = time.monotonic() + seconds
                try:
                    self.invoke(fn, {"source": "aws.events", "detail-type": "Scheduled Event"})
                except Exception:  # keep ticking: moto may be shutting down or briefly busy
                    log.exception("scheduled %s failed", fn.logical_id)
