"""The monthly schedule: on the 1st, start closing the month that just ended."""

from __future__ import annotations

from datetime import datetime

from flattr.clock import now
from flattr.domain import months
from flattr.observability import logger
from flattr.store import settlement
from flattr.store.queue import SettleQueue


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    fired = event.get("time")
    when = datetime.fromisoformat(fired.replace("Z", "+00:00")) if fired else now()
    month = months.previous(months.month_of(when))
    settlement.start_close(month, SettleQueue())
    logger.info("month close started", extra={"month": month})
    return {"month": month}
