"""Money in and back: POST /me/deposits (a Stripe PaymentIntent), and the providers' signed webhooks,
POST /webhooks/stripe (Stripe's events) and POST /webhooks/payments (the generic format).

Both webhooks feed one provider-neutral path, flattr.store.payments; neither knows the ledger."""

from __future__ import annotations

import time
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from flattr import idempotency, secrets, settings, stripe_api, stripe_events
from flattr.domain import webhooks
from flattr.domain.errors import Conflict, ValidationFailed
from flattr.http import current_user, entry, error, json_response, make_app
from flattr.store import payments, revenue, users
from pydantic import BaseModel, ConfigDict, Field

app = make_app()  # the webhooks verify and parse their raw bodies themselves


def _replayed(response: dict, record) -> dict:
    # Powertools answers a repeated event id from its record: tell the provider it was a duplicate.
    return {"status": "duplicate"}


_idempotency = idempotency.Config(
    event_key_jmespath="id",
    payload_validation_jmespath="[type, data]",
    response_hook=_replayed,
)


# Set up on the first event, with the store's botocore client: one client per container.
@idempotency.idempotent(data_keyword_argument="event", config=_idempotency)
def apply(event) -> dict:
    """Carry out one verified provider event, once per event id."""
    if isinstance(event, webhooks.DepositSucceeded):
        data = event.data
        if data.currency != settings.get().currency:
            raise ValidationFailed(
                f"This deployment takes {settings.get().currency} only.", code="invalid_currency"
            )
        credited = payments.deposit(event.id, data.user_id, data.amount)
        return {"status": "processed" if credited else "duplicate"}
    changed = revenue.settle_payout(event.data.payout_id, paid=isinstance(event, webhooks.PayoutPaid))
    return {"status": "processed" if changed else "duplicate"}


@app.post("/webhooks/payments")
def payments_webhook():
    # Powertools' parser loads pydantic's network types: on this route's first request, not at import.
    from aws_lambda_powertools.utilities.parser import parse

    _idempotency.register_lambda_context(app.lambda_context)
    event = app.current_event
    body = (event.decoded_body or "").encode()
    secret = secrets.get(settings.get().webhook_secret_parameter)
    webhooks.verify(event.headers.get("flattr-signature"), body, secret, int(time.time()))
    try:
        payload = parse(event=body.decode(), model=webhooks.PaymentEvent)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return error(400, "invalid_event", f"The event is not valid: {str(exc).splitlines()[0]}")
    try:
        return apply(event=payload)
    except idempotency.IdempotencyValidationError:
        return error(409, "event_id_reused", "This event id was already used for a different event.")
    except idempotency.IdempotencyAlreadyInProgressError:
        # The same event, delivered twice at once: the provider retries later and gets "duplicate".
        return error(409, "event_in_progress", "This event is being processed; send it again later.")


# The bodies' validators are built on first use (defer_build), not by a cold start serving another route.
class DepositIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    amount: int = Field(gt=0, le=webhooks.MAX_DEPOSIT, description="cents, at least the minimum budget")


@app.post("/me/deposits", responses={201: {"description": "A PaymentIntent to confirm with Stripe.js"}})
def create_deposit(deposit: Annotated[DepositIn, Body()]):
    user_id = current_user(app)
    minimum = settings.get().min_budget
    if deposit.amount < minimum:
        raise ValidationFailed(
            f"A deposit is at least the minimum budget, {minimum} cents.", code="deposit_below_minimum"
        )
    key = app.current_event.headers.get("idempotency-key")  # a retry gets the same PaymentIntent
    intent = stripe_api.create_payment_intent(
        user_id, deposit.amount, settings.get().currency, key[:200] if key else None
    )
    return json_response(201, intent)


class PayoutAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    return_url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        description="where Stripe sends the creator back after onboarding",
    )


@app.post("/me/payout-account", responses={200: {"description": "A link to Stripe's hosted onboarding"}})
def payout_account(body: Annotated[PayoutAccountIn, Body()]):
    """Stripe Connect: the creator's own account, where payouts go. Made once; the link is new each time."""
    user_id = current_user(app)
    if not settings.get().stripe_connect:
        raise Conflict(
            "Payouts here are paid from the platform's own Stripe account; there is no Connect "
            "account to set up.",
            code="connect_not_used",
        )
    user = users.get(user_id)
    account_id, url = stripe_api.onboard(user_id, user.stripe_account if user else None, body.return_url)
    return {"account_id": users.set_payout_account(user_id, account_id), "onboarding_url": url}


def apply_stripe(fact: stripe_events.Fact) -> bool:
    """Carry out what one Stripe event tells. False if it had been carried out already."""
    if isinstance(fact, stripe_events.Deposit):
        if fact.currency != settings.get().currency:
            raise ValidationFailed(
                f"This deployment takes {settings.get().currency} only.", code="invalid_currency"
            )
        return payments.deposit(fact.ref, fact.user_id, fact.amount)
    if isinstance(fact, stripe_events.Refund):
        return payments.refund(fact.ref, fact.refunded_total)
    if isinstance(fact, stripe_events.Dispute):
        if fact.closed:
            return payments.dispute_closed(fact.ref, fact.dispute_id, fact.amount, won=fact.won)
        return payments.dispute_opened(fact.ref, fact.dispute_id, fact.amount)
    if isinstance(fact, stripe_events.PayoutOutcome):
        return revenue.settle_payout(fact.payout_id, paid=fact.paid)
    return False


@app.post("/webhooks/stripe")
def stripe_webhook():
    event = app.current_event
    body = (event.decoded_body or "").encode()
    verified = stripe_events.verify(body, event.headers.get("stripe-signature"), stripe_api.webhook_secret())
    fact = stripe_events.read(verified)
    if isinstance(fact, stripe_events.Ignored):
        return {"status": "ignored"}
    # Exactly once comes from the ledger (transfer ids from the PaymentIntent), not from the event id.
    return {"status": "processed" if apply_stripe(fact) else "duplicate"}


handler = entry(app)
