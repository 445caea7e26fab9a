"""Hourly: did last month's close start on time, and how long has it been open?

The calendar says which month should be closing: the one before now's. Its close is scheduled
for the 1st at 00:05 UTC and retried for up to an hour, so an hour after that it must exist.

    MonthCloseNotStarted   1 when it should have started and has not, else 0 (alarm at 1;
                           a watch that stops reporting alarms too)
    MonthCloseOpenHours    hours since the close started while it is unfinished (alarm at 6)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aws_lambda_powertools.metrics import MetricUnit
from flattr.clock import now
from flattr.domain import months
from flattr.observability import logger, metrics
from flattr.store import calendar

SCHEDULED = timedelta(minutes=5)  # the close's cron: cron(5 0 1 * ? *)
GRACE = timedelta(hours=1)  # the schedule's and Lambda's retries


def close_due(month: str) -> datetime:
    """When `month`'s close must have started: its scheduled start on the 1st after it, plus retries."""
    following = months.following(month)
    first = datetime(int(following[:4]), int(following[5:]), 1, tzinfo=timezone.utc)
    return first + SCHEDULED + GRACE


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    at = now()
    month = months.previous(months.month_of(at))
    status = calendar.month_status(month)
    not_started = status["status"] == "open" and at >= close_due(month)
    hours = 0.0
    if status["status"] == "closing" and status.get("started_at"):
        hours = (at - datetime.fromisoformat(status["started_at"])).total_seconds() / 3600
    metrics.add_metric(name="MonthCloseNotStarted", unit=MetricUnit.Count, value=int(not_started))
    metrics.add_metric(name="MonthCloseOpenHours", unit=MetricUnit.Count, value=round(hours, 2))
    if not_started:
        logger.error("month close has not started", extra={"month": month})
    return {
        "month": month,
        "status": status["status"],
        "not_started": not_started,
        "open_hours": round(hours, 2),
    }
