"""Stripe events in Stripe's documented shape (https://docs.stripe.com/api/events/object), signed
as Stripe signs them: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>">`.

localstripe sends `payment_intent.succeeded` itself; it sends no refunds or disputes, so tests
build those here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

WEBHOOK_SECRET = "whsec_local"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }


def charge_id(pi: str) -> str:
    return "ch_" + pi.removeprefix("pi_")


def payment_succeeded(pi: str, user_id: str, amount: int, currency: str = "eur", **kw) -> dict:
    return event(
        "payment_intent.succeeded",
        {
            "id": pi,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "currency": currency,
            "status": "succeeded",
            "latest_charge": charge_id(pi),
            "metadata": {"user_id": user_id},
        },
        **kw,
    )


def charge_refunded(pi: str, amount: int, refunded_total: int, **kw) -> dict:
    return event(
        "charge.refunded",
        {
            "id": charge_id(pi),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": refunded_total,
            "currency": "eur",
            "payment_intent": pi,
            "refunded": refunded_total >= amount,
            "status": "succeeded",
            "metadata": {},
        },
        **kw,
    )


def dispute(
    pi: str, dispute_id: str, amount: int, status: str = "needs_response", closed: bool = False, **kw
) -> dict:
    return event(
        "charge.dispute.closed" if closed else "charge.dispute.created",
        {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "charge": charge_id(pi),
            "currency": "eur",
            "payment_intent": pi,
            "reason": "fraudulent",
            "status": status,
            "metadata": {},
        },
        **kw,
    )


def payout(kind: str, payout_id: str, amount: int, **kw) -> dict:
    return event(
        f"payout.{kind}",
        {
            "id": f"po_{secrets.token_hex(6)}",
            "object": "payout",
            "amount": amount,
            "currency": "eur",
            "status": kind,
            "metadata": {"payout_id": payout_id},
        },
        **kw,
    )


def body_and_headers(evt: dict, **sign_kw) -> tuple[bytes, dict]:
    payload = json.dumps(evt, indent=2).encode()
    return payload, {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(payload, **sign_kw),
    }
