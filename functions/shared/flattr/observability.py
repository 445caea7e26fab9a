"""One logger and one metrics object for the process; the correlation id follows a request
from API Gateway into the SQS jobs it causes."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

CORRELATION_ATTRIBUTE = "correlation_id"


def correlation_id() -> str | None:
    return logger.get_correlation_id()
