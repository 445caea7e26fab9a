"""A creator's payout request: held in the ledger (store.revenue), then sent to the provider.

With Stripe (the default), the held amount becomes a Stripe payout keyed by our payout id; with
Stripe Connect (on AWS) it goes to the creator's own connected account, so one must exist first.
Its outcome arrives as payout.paid / payout.failed, on either webhook. With another provider
("webhook"), the payout waits for that provider's signed payout event.
"""

from __future__ import annotations

from . import settings, stripe_api
from .domain.errors import Conflict
from .store import revenue, users


def request(user_id: str, amount: int, request_key: str | None) -> revenue.PayoutView:
    cfg = settings.get()
    via_stripe = cfg.payout_provider == "stripe"
    user = users.get(user_id) if via_stripe else None
    account = user.stripe_account if user else None
    if via_stripe and cfg.stripe_connect and not account:
        raise Conflict(
            "Set up where your payouts go first: POST /me/payout-account.", code="payout_account_missing"
        )
    view = revenue.request_payout(user_id, amount, request_key)
    if via_stripe and view.status == "pending":
        # Stripe's idempotency key is our payout id: a retried request sends it once.
        stripe_api.create_payout(view.id, view.amount, cfg.currency, account)
    return view
