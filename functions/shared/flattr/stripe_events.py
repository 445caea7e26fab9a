"""Stripe's webhook events: verified with Stripe's own library, read into provider-neutral facts.

What each event means for us (https://docs.stripe.com/api/events/types):

- `payment_intent.succeeded`: a deposit of `amount_received` for `metadata.user_id`.
- `charge.refunded`: the charge's `amount_refunded` is a running total; what is new goes back.
- `charge.dispute.created`: the disputed `amount` is withdrawn.
- `charge.dispute.closed`: `status` "won" returns it; "lost" (or anything else) leaves it gone.
- `payout.paid` / `payout.failed`: a payout we created, named by `metadata.payout_id`.

A payment is named by its PaymentIntent id, never by an event id. Any other event type is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from .domain.errors import InvalidSignature, ValidationFailed
from .domain.webhooks import MAX_DEPOSIT, TOLERANCE_SECONDS

if TYPE_CHECKING:
    import stripe


def payment_ref(payment_intent_id: str) -> str:
    """Our name for a Stripe payment, so that ids of different providers never meet."""
    return f"stripe:{payment_intent_id}"


@dataclass(frozen=True)
class Deposit:
    ref: str
    user_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Refund:
    ref: str
    refunded_total: int


@dataclass(frozen=True)
class Dispute:
    ref: str
    dispute_id: str
    amount: int
    closed: bool
    won: bool


@dataclass(frozen=True)
class PayoutOutcome:
    payout_id: str
    paid: bool


@dataclass(frozen=True)
class Ignored:
    type: str


Fact = Union[Deposit, Refund, Dispute, PayoutOutcome, Ignored]


def verify(payload: bytes, header: str | None, secrets: str) -> stripe.Event:
    """The event, if `header` is Stripe's signature of exactly these bytes, made within 300 s.

    `secrets` may hold several endpoint secrets, comma-separated: the platform's endpoint and the
    Connect endpoint (events from creators' accounts) each have their own, and so does a rotation.
    """
    if not header:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    import stripe  # on the first event, not with the function (see flattr.stripe_api)

    for secret in (s.strip() for s in secrets.split(",")):
        try:
            return stripe.Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            continue
        except ValueError:  # signed, but not an event: Stripe never sends that
            raise ValidationFailed("The event is not valid JSON.", code="invalid_event") from None
    raise InvalidSignature("The Stripe-Signature does not match, or the event is too old.")


def _field(obj: dict, name: str, kind: type, **check: Any):
    value = obj.get(name)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        value = None
    if value is None or not isinstance(value, kind) or (kind is str and not value):
        raise ValidationFailed(f"The event's object has no valid '{name}'.", code="invalid_event")
    if kind is int and not 0 <= value <= check.get("most", MAX_DEPOSIT):
        raise ValidationFailed(f"The event's '{name}' is out of range.", code="invalid_event")
    return value


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def read(event: stripe.Event) -> Fact:
    """The fact an event tells, or Ignored. ValidationFailed if a handled event is malformed."""
    raw = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    kind = raw.get("type")
    obj = (raw.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise ValidationFailed("The event has no data.object.", code="invalid_event")
    if kind == "payment_intent.succeeded":
        metadata = obj.get("metadata") or {}
        user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
        if not isinstance(user_id, str) or not user_id:
            return Ignored(kind)  # not a deposit of ours (no user): nothing to credit
        amount = obj.get("amount_received", obj.get("amount"))
        return Deposit(
            payment_ref(_field(obj, "id", str)),
            user_id,
            _field({"amount": amount}, "amount", int),
            _field(obj, "currency", str).upper(),
        )
    if kind == "charge.refunded":
        pi = _id_of(obj.get("payment_intent"))
        return Refund(
            payment_ref(_field({"payment_intent": pi}, "payment_intent", str)),
            _field(obj, "amount_refunded", int),
        )
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        pi = _id_of(obj.get("payment_intent"))
        closed = kind.endswith(".closed")
        return Dispute(
            payment_ref(_field({"payment_intent": pi}, "payment_intent", str)),
            _field(obj, "id", str),
            _field(obj, "amount", int),
            closed=closed,
            won=closed and obj.get("status") == "won",
        )
    if kind in ("payout.paid", "payout.failed"):
        metadata = obj.get("metadata") or {}
        payout_id = metadata.get("payout_id") if isinstance(metadata, dict) else None
        if not isinstance(payout_id, str) or not payout_id:
            return Ignored(kind)  # a payout we did not make
        return PayoutOutcome(payout_id, paid=kind == "payout.paid")
    return Ignored(str(kind))
