"""A user's month on paper: what its close charged, gave and received, or what it would if it closed now."""

from __future__ import annotations

from typing import Any

from .. import settings
from ..domain.money import Plan, plan_month, split_salt
from . import cards, settlement
from .models import Received, Settlement, User


def if_closed_now(user_id: str, month: str) -> Plan | None:
    """The plan a close would make of the month as it stands (what each flattr is worth so far),
    decided by the same rule as the close's; None for a user without an account."""
    try:
        user = User.get(*User.key(user_id))
    except User.DoesNotExist:
        return None
    policy = settings.policy()
    return plan_month(
        budget=int(user.budget or 0),
        funds=int(user.funds or 0),
        things=sorted(settlement.flattrs_of(user_id, month)),
        fee_bps=policy.fee_bps,
        policy=policy.unspent,
        idle_months=int(user.idle_months or 0),
        salt=split_salt(user_id, month),
    )


def statement(user_id: str, month: str, owned_thing_ids: list[str]) -> dict[str, Any]:
    try:
        record = Settlement.get(*Settlement.key(user_id, month), consistent_read=True)
    except Settlement.DoesNotExist:
        record = None
    given: list[dict] = []
    if record is not None and int(record.things):
        via = {t: e.via for t, e in cards.read(user_id, month).flattrs.items()}
        shares = sorted(settlement.shares_of(record), key=lambda s: int(s.thing_id))
        given = [
            {"thing_id": int(s.thing_id), "amount": s.cents, "via": via.get(s.thing_id, "click")}
            for s in shares
        ]
    received = []
    for thing_id in owned_thing_ids:
        keys = [Received.key(thing_id, s, month) for s in range(Received.SHARDS)]
        rows = list(Received.batch_get(keys))
        flattrs = sum(int(r.flattrs) for r in rows)
        if flattrs:
            received.append(
                {"thing_id": int(thing_id), "flattrs": flattrs, "amount": sum(int(r.amount) for r in rows)}
            )
    done = record is not None  # a record is written only once the month is settled
    return {
        "month": month,
        "settled": done,
        "charged": int(record.charged) if done else 0,
        "fee": int(record.fee) if done else 0,
        "given": given,
        "charity": int(record.charity) if done else 0,
        "received": received,
    }
