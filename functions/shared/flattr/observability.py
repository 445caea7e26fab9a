"""One logger and one metrics object for the process; the correlation id follows a request
from API Gateway into the SQS jobs it causes."""

from __future__ import annotations

import gc
import warnings

from aws_lambda_powertools import Logger, Metrics

from . import snapstart  # noqa: F401  (every function imports this module: its SnapStart hooks)

# Most requests record no metric; Powertools would warn about each one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()

# What the imports have made so far (the interpreter's, Powertools', and for most functions
# pydantic's and botocore's objects) lives as long as the process. Frozen, CPython's collector never
# walks it again: without this, the objects a cold start's imports make cross the threshold of a
# full collection during the imports (about 25 ms of CPU in the heavier functions), and every
# later full collection, in warm requests, walks them all again.
gc.freeze()

CORRELATION_ATTRIBUTE = "correlation_id"


def correlation_id() -> str | None:
    return logger.get_correlation_id()
