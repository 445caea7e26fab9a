"""POST /webhooks/payments: the payment provider's signed events."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.parser import ValidationError, parse

from flattr import settings
from flattr.domain import webhooks
from flattr.domain.errors import ValidationFailed
from flattr.http import entry, error, make_app
from flattr.store import models, payments, revenue

app = make_app(validation=False)  # one route, which verifies and parses the raw body itself
# The store's botocore client serves the idempotency records too: one client per container.
_persistence = DynamoDBPersistenceLayer(table_name=settings.get().idempotency_table,
                                        boto3_client=models.connection().client)


def _replayed(response: dict, record) -> dict:
    # Powertools answers a repeated event id from its record: tell the provider it was a duplicate.
    return {"status": "duplicate"}


_idempotency = IdempotencyConfig(
    event_key_jmespath="id",
    payload_validation_jmespath="[type, data]",
    response_hook=_replayed,
)


@idempotent_function(data_keyword_argument="event", persistence_store=_persistence, config=_idempotency)
def apply(event) -> dict:
    """Carry out one verified provider event, once per event id."""
    if isinstance(event, webhooks.DepositSucceeded):
        data = event.data
        if data.currency != settings.get().currency:
            raise ValidationFailed(f"This deployment takes {settings.get().currency} only.", code="invalid_currency")
        credited = payments.deposit(event.id, data.user_id, data.amount)
        return {"status": "processed" if credited else "duplicate"}
    changed = revenue.settle_payout(event.data.payout_id, paid=isinstance(event, webhooks.PayoutPaid))
    return {"status": "processed" if changed else "duplicate"}


def _secret() -> str:
    return parameters.get_parameter(settings.get().webhook_secret_parameter, decrypt=True, max_age=300)


@app.post("/webhooks/payments")
def payments_webhook():
    _idempotency.register_lambda_context(app.lambda_context)
    event = app.current_event
    body = (event.decoded_body or "").encode()
    webhooks.verify(event.headers.get("flattr-signature"), body, _secret(), int(time.time()))
    try:
        payload = parse(event=body.decode(), model=webhooks.PaymentEvent)
    except (ValidationError, ValueError) as exc:
        return error(400, "invalid_event", f"The event is not valid: {str(exc).splitlines()[0]}")
    try:
        return apply(event=payload)
    except IdempotencyValidationError:
        return error(409, "event_id_reused", "This event id was already used for a different event.")
    except IdempotencyAlreadyInProgressError:
        # The same event, delivered twice at once: the provider retries later and gets "duplicate".
        return error(409, "event_in_progress", "This event is being processed; send it again later.")


handler = entry(app)
