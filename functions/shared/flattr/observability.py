"""One logger and one metrics object for the process; the correlation id follows a request
from API Gateway into the SQS jobs it causes."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

from . import snapstart  # noqa: F401  (every function imports this module: its SnapStart hooks)

# Most requests record no metric; Powertools would warn about each one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()

CORRELATION_ATTRIBUTE = "correlation_id"


def correlation_id() -> str | None:
    return logger.get_correlation_id()
