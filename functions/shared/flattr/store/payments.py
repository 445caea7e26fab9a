"""Money from the payment provider: deposits into funds."""

from __future__ import annotations

from ..domain import ledger as accounts
from ..domain.ledger import Transfer
from . import ledger


def deposit(event_id: str, user_id: str, amount: int) -> bool:
    """Credit a deposit once per provider event. False if this event was already credited."""
    transfer = Transfer(f"payment:{event_id}", accounts.WORLD_PAYMENTS, accounts.funds(user_id), amount,
                        "deposit", user_id=user_id)
    return ledger.post([transfer])
