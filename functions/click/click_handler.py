"""POST /things/{id}/flattr: the click."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit
from flattr.clock import now
from flattr.domain import things as rules
from flattr.domain.errors import OwnerNotParticipating
from flattr.domain.months import month_of
from flattr.http import current_user, entry, json_response, make_app, metrics
from flattr.limits import limited
from flattr.notify import events as notify
from flattr.store import clicks

app = make_app()


@app.post(
    "/things/<thing_id>/flattr",
    responses={201: {"description": "Flattred"}, 200: {"description": "Already flattred this month"}},
)
def flattr(thing_id: Annotated[str, Path()]):
    user_id = current_user(app)
    thing_id = rules.parse_id(thing_id)
    try:
        click = clicks.flattr(user_id, thing_id)
    except OwnerNotParticipating:
        notify.owner_refused(thing_id, month_of(now()))  # "your buttons are off", once a month
        raise
    body = {"thing_id": int(click.thing_id), "month": click.month}
    if click.created:
        # The owner's flattr.received notice is queued by the stream tally, from the card's write.
        metrics.add_metric(name="Flattrs", unit=MetricUnit.Count, value=1)
        return json_response(201, {**body, "status": "flattred"})
    return json_response(200, {**body, "status": "already_flattred"})


handler = entry(app, around=limited(lambda method, path: "clicks" if method == "POST" else None))
