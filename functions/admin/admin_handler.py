"""Admin: start a month close, and watch it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from flattr.clock import now
from flattr.domain import months
from flattr.domain.errors import MonthNotOver
from flattr.http import entry, json_response, make_app, require_admin
from flattr.store import calendar, settlement
from flattr.store.queue import SettleQueue

app = make_app()


@app.post("/admin/months/<month>/close", responses={202: {"description": "The close has started"}})
def close_month(month: Annotated[str, Path()]):
    require_admin(app)
    month = months.parse(month)
    if not months.is_over(month, now()):
        raise MonthNotOver(f"{month} has not ended yet; it can be closed from the 1st of the next month.")
    settlement.start_close(month, SettleQueue())
    return json_response(202, calendar.month_status(month))


@app.get("/admin/months/<month>")
def month_status(month: Annotated[str, Path()]):
    require_admin(app)
    return calendar.month_status(months.parse(month))


handler = entry(app)
