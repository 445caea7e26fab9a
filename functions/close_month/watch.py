"""Hourly: how long has last month's close been open? An alarm fires at 6 hours."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from flattr.clock import now
from flattr.domain import months
from flattr.observability import logger, metrics
from flattr.store import calendar


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    month = months.previous(months.month_of(now()))
    status = calendar.month_status(month)
    hours = 0.0
    if status["status"] == "closing" and status.get("started_at"):
        hours = (now() - datetime.fromisoformat(status["started_at"])).total_seconds() / 3600
    metrics.add_metric(name="MonthCloseOpenHours", unit=MetricUnit.Count, value=round(hours, 2))
    return {"month": month, "status": status["status"], "open_hours": round(hours, 2)}
