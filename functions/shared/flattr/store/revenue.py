"""Creators' revenue: moving it into funds, and payouts through the payment provider.

Revenue is sharded, so taking an amount out debits several shards in one transaction, each
conditional on its balance. Two requests racing for the same revenue cannot both succeed: the
loser's conditions fail, it re-reads, and is refused if the money is gone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..clock import now
from ..domain import accounts
from ..domain.accounts import Transfer, take
from ..domain.errors import Conflict, InsufficientRevenue, NotFound
from ..domain.months import month_of
from ..notify import events as notify
from . import ledger
from .models import Marker, Payout
from .tx import Cancelled, Tx


@dataclass(frozen=True)
class PayoutView:
    id: str
    amount: int
    status: str
    month: str


def _legs(request_id: str, user_id: str, amount: int, credit: str, kind: str) -> list[Transfer]:
    """Transfers that take `amount` out of the user's revenue shards."""
    try:
        plan = take(amount, ledger.shard_balances(accounts.revenue(user_id)))
    except ValueError:
        raise InsufficientRevenue(f"Your revenue is less than {amount} cents.") from None
    return [
        Transfer(
            f"{request_id}:{shard}",
            accounts.revenue(user_id),
            credit,
            part,
            kind,
            user_id=user_id,
            debit_shard_at=shard,
        )
        for shard, part in sorted(plan.items())
    ]


def _with_retries(fn, attempts: int = 4):
    for attempt in range(attempts):
        try:
            return fn()
        except ledger.Overdrawn:
            if attempt == attempts - 1:
                raise InsufficientRevenue(
                    "Your revenue changed while moving it; it is not enough now."
                ) from None


def to_funds(user_id: str, amount: int, request_key: str | None = None) -> bool:
    """Move revenue into funds. False if this request key was already carried out."""
    request_id = f"to-funds:{user_id}:{request_key or uuid.uuid4().hex}"
    if _done(f"REQ#{request_id}", "REQ"):  # a retry of a request carried out already
        return False

    def attempt():
        tx = Tx()
        ledger.guard(tx, f"REQ#{request_id}", "REQ")
        return ledger.post(
            _legs(request_id, user_id, amount, accounts.funds(user_id), "revenue_to_funds"), tx
        )

    return _with_retries(attempt)


def request_payout(user_id: str, amount: int, request_key: str | None = None) -> PayoutView:
    """Hold `amount` of revenue as a pending payout, for the provider to pay."""
    payout_id = (
        uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}/{request_key}").hex if request_key else uuid.uuid4().hex
    )
    month = month_of(now())
    if _done(*Payout.key(payout_id)):  # a retry of a request carried out already
        return view(payout_id)

    def attempt():
        payout = Payout(
            *Payout.key(payout_id),
            payout_id=payout_id,
            user_id=user_id,
            amount=amount,
            status="pending",
            month=month,
            requested_at=now().isoformat(),
        )
        tx = Tx().put(payout, condition=Payout.pk.does_not_exist(), label="guard")
        tx.put(
            Payout(
                *Payout.user_key(user_id, payout_id),
                payout_id=payout_id,
                user_id=user_id,
                amount=amount,
                status="pending",
                month=month,
                requested_at=payout.requested_at,
            ),
            label="ref",
        )
        return ledger.post(
            _legs(
                f"payout:{payout_id}:hold", user_id, amount, accounts.payouts_pending(user_id), "payout_hold"
            ),
            tx,
        )

    _with_retries(attempt)
    return view(payout_id)


def _done(pk: str, sk: str) -> bool:
    try:
        Marker.get(pk, sk, consistent_read=True, attributes_to_get=["pk"])
        return True
    except Marker.DoesNotExist:
        return False


def view(payout_id: str) -> PayoutView:
    try:
        p = Payout.get(*Payout.key(payout_id), consistent_read=True)
    except Payout.DoesNotExist:
        raise NotFound("No payout has that id.", code="payout_not_found") from None
    return PayoutView(id=p.payout_id, amount=int(p.amount), status=p.status, month=p.month)


def settle_payout(payout_id: str, paid: bool) -> bool:
    """The provider paid (money leaves) or failed (money returns to revenue). False: already so."""
    try:
        p = Payout.get(*Payout.key(payout_id), consistent_read=True)
    except Payout.DoesNotExist:
        raise NotFound("No payout has that id.", code="payout_not_found") from None
    outcome = "paid" if paid else "failed"
    if p.status == outcome:
        return False
    if p.status != "pending":
        raise Conflict(
            f"Payout {payout_id} is already {p.status}; it cannot become {outcome}.",
            code="payout_already_settled",
        )
    user_id, amount = p.user_id, int(p.amount)
    if paid:
        transfer = Transfer(
            f"payout:{payout_id}:paid",
            accounts.payouts_pending(user_id),
            accounts.WORLD_PAYOUTS,
            amount,
            "payout_paid",
            user_id=user_id,
        )
    else:
        transfer = Transfer(
            f"payout:{payout_id}:returned",
            accounts.payouts_pending(user_id),
            accounts.revenue(user_id),
            amount,
            "payout_returned",
            user_id=user_id,
        )
    tx = Tx()
    for key in (Payout.key(payout_id), Payout.user_key(user_id, payout_id)):
        tx.update(
            Payout(*key), [Payout.status.set(outcome)], condition=Payout.status == "pending", label="status"
        )
    try:
        changed = ledger.post([transfer], tx)
    except Cancelled as exc:
        if "status" in exc.failed:  # a racing paid/failed got there first
            return settle_payout(payout_id, paid)
        raise
    notify.payout_settled(payout_id, user_id, amount, paid)  # email and webhook, queued; sent once
    return changed


def of_user(user_id: str, month: str | None = None) -> list[PayoutView]:
    refs = Payout.query(f"USER#{user_id}", Payout.sk.startswith("PAYOUTREF#"), consistent_read=True)
    return [
        PayoutView(id=p.payout_id, amount=int(p.amount), status=p.status, month=p.month)
        for p in refs
        if month is None or p.month == month
    ]
