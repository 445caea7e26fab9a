"""Money from and back to the payment provider: deposits, refunds, disputes. Provider-neutral.

Each provider adapter (the generic signed webhook, Stripe) turns its events into these calls and
knows nothing of the ledger. A payment is named by `ref`, the provider's id for it; every transfer
id derives from that ref (or from a refund total or dispute id), never from an event id, so two
deliveries, or two different events about one payment, cannot move its money twice.

Money that goes back is taken from the user's funds. What the funds no longer hold (the user had
already given it) becomes a debt, `debt:<user>`, paid back first by their next deposit. A user who
owes cannot flattr (the click checks it, store.clicks).
"""

from __future__ import annotations

from ..clock import now
from ..domain import accounts
from ..domain.accounts import Transfer
from ..domain.errors import Conflict
from . import ledger
from .models import Payment
from .tx import Cancelled, Tx

ATTEMPTS = 6  # re-reads when funds or a debt moved between the read and the write


class PaymentUnknown(Conflict):
    """Money went back for a payment not credited yet (events out of order): the provider retries."""

    code = "payment_not_credited_yet"


def _attempts(fn):
    for attempt in range(ATTEMPTS):
        try:
            return fn()
        except ledger.Overdrawn:
            if attempt == ATTEMPTS - 1:
                raise


def owed(user_id: str) -> int:
    """Cents the user owes (0 if none)."""
    return -ledger.balance(accounts.debt(user_id))


def _credit(transfer_id: str, user_id: str, amount: int, kind: str) -> list[Transfer]:
    """Money in: to funds, and from there first to whatever the user owes."""
    credit = Transfer(
        transfer_id, accounts.WORLD_PAYMENTS, accounts.funds(user_id), amount, kind, user_id=user_id
    )
    repay = min(owed(user_id), amount)
    if repay <= 0:
        return [credit]
    return [
        credit,
        Transfer(
            f"{transfer_id}:repay",
            accounts.funds(user_id),
            accounts.debt(user_id),
            repay,
            "debt_repaid",
            user_id=user_id,
        ),
    ]


def deposit(ref: str, user_id: str, amount: int) -> bool:
    """Credit a payment once. False if this payment was already credited."""

    def attempt():
        tx = Tx().put(
            Payment(*Payment.key(ref), user_id=user_id, amount=amount, refunded=0, at=now().isoformat()),
            label="payment",
        )
        return ledger.post(_credit(f"payment:{ref}", user_id, amount, "deposit"), tx)

    return _attempts(attempt)


def _payment(ref: str) -> Payment:
    try:
        return Payment.get(*Payment.key(ref), consistent_read=True)
    except Payment.DoesNotExist:
        raise PaymentUnknown(
            f"Payment {ref} has not been credited yet; send this event again later."
        ) from None


def _take_back(transfer_id: str, user_id: str, amount: int, kind: str, tx: Tx) -> list[Transfer]:
    """Money out: from funds as far as they go, the rest as a debt."""
    from_funds = min(max(ledger.balance(accounts.funds(user_id)), 0), amount)
    out = []
    if from_funds:
        out.append(
            Transfer(
                transfer_id,
                accounts.funds(user_id),
                accounts.WORLD_PAYMENTS,
                from_funds,
                kind,
                user_id=user_id,
            )
        )
    if amount - from_funds:
        out.append(
            Transfer(
                f"{transfer_id}:owed",
                accounts.debt(user_id),
                accounts.WORLD_PAYMENTS,
                amount - from_funds,
                f"{kind}_owed",
                user_id=user_id,
            )
        )
    ledger.guard(tx, f"BACK#{transfer_id}", "BACK")  # once, whichever legs it took
    return out


def refund(ref: str, refunded_total: int) -> bool:
    """The provider has refunded `refunded_total` of this payment so far (a running total, as Stripe
    sends it). Takes back what is new; an older, smaller total arriving late changes nothing."""

    def attempt():
        p = _payment(ref)
        done, target = int(p.refunded or 0), min(refunded_total, int(p.amount))
        if target <= done:
            return False
        tx = Tx().update(
            Payment(*Payment.key(ref)),
            [Payment.refunded.set(target)],
            condition=Payment.refunded == done,
            label="refunded",
        )
        return ledger.post(_take_back(f"refund:{ref}:{target}", p.user_id, target - done, "refund", tx), tx)

    for _ in range(ATTEMPTS):
        try:
            return _attempts(attempt)
        except Cancelled as exc:
            if "refunded" not in exc.failed:
                raise
            # another refund total got there first: read again
    raise RuntimeError(f"refund of {ref}: the running total kept changing")


def dispute_opened(ref: str, dispute_id: str, amount: int) -> bool:
    """The provider withdrew a disputed amount. False if it was taken back already."""
    p = _payment(ref)
    amount = min(amount, int(p.amount))

    def attempt():
        tx = Tx()
        return ledger.post(_take_back(f"dispute:{dispute_id}", p.user_id, amount, "dispute", tx), tx)

    return _attempts(attempt)


def dispute_closed(ref: str, dispute_id: str, amount: int, won: bool) -> bool:
    """Won: the amount comes back (to the debt first). Lost: it stays gone. Either way it was
    withdrawn first, even if the closing event came before the opening one."""
    changed = dispute_opened(ref, dispute_id, amount)
    if not won:
        return changed
    p = _payment(ref)
    amount = min(amount, int(p.amount))

    def attempt():
        tx = Tx()
        ledger.guard(tx, f"BACK#dispute:{dispute_id}:won", "BACK")
        return ledger.post(_credit(f"dispute:{dispute_id}:won", p.user_id, amount, "dispute_won"), tx)

    return _attempts(attempt) or changed
