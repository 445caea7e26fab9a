"""Writing transfers: each with its balance changes, in one transaction, exactly once.

A transfer's id is deterministic (from the payment event, the settlement step, ...). Its item is
put only if new, in the same transaction as the balance updates, so a retry or a duplicate
delivery can never move money twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.expressions.condition import Condition

from ..clock import now
from ..domain import accounts
from ..domain.accounts import Transfer
from . import calendar
from .models import Account, Marker, TransferItem, User
from .tx import Cancelled, Tx


class Overdrawn(Exception):
    """A debit would take an account below zero; nothing was written."""


def funds_user(account: str) -> str | None:
    kind, _, rest = account.partition(":")
    if kind == "user" and rest.endswith(":funds"):
        return rest[: -len(":funds")]
    return None


def debt_user(account: str) -> str | None:
    kind, _, rest = account.partition(":")
    return rest if kind == "debt" else None


def add_transfers(tx: Tx, transfers: Iterable[Transfer]) -> None:
    """Add transfer puts and the net balance updates they cause to `tx`."""
    transfers = list(transfers)
    at = now().isoformat()
    for t in transfers:
        item = TransferItem(
            *TransferItem.key(t.id),
            transfer_id=t.id,
            debit=t.debit,
            debit_shard=t.debit_shard,
            credit=t.credit,
            credit_shard=t.credit_shard,
            amount=t.amount,
            kind=t.kind,
            month=t.month,
            user_id=t.user_id,
            thing_id=t.thing_id,
            at=at,
        )
        tx.put(item, condition=TransferItem.pk.does_not_exist(), label="transfer")
    on_user: dict[str, dict[str, int]] = {}  # a user's funds and debt live on one item: one update
    for (account, shard), delta in sorted(accounts.net_changes(transfers).items()):
        if delta == 0:
            continue
        user_id = funds_user(account)
        debtor = debt_user(account)
        if user_id is not None:
            on_user.setdefault(user_id, {})["funds"] = delta
        elif debtor is not None:
            on_user.setdefault(debtor, {})["debt"] = delta
        else:
            _update_account(tx, account, shard, delta)
    for user_id, deltas in sorted(on_user.items()):
        _update_user(tx, user_id, deltas.get("funds", 0), deltas.get("debt", 0), at)


def add_changes(tx: Tx, changes: dict[tuple[str, int], int]) -> None:
    """Balance changes of accounts kept on account items (not a user's funds or debt) whose
    transfers are recorded elsewhere: in a settlement record (its charge and shares), applied by
    the record's transaction and by its page's fold (store.fold). A debit never overdraws."""
    for (account, shard), delta in sorted(changes.items()):
        if delta:
            _update_account(tx, account, shard, delta)


def _update_user(tx: Tx, user_id: str, funds: int, debt: int, at: str) -> None:
    # A deposit may come before the user's first PUT /me: the money must land, so create the user.
    item = User(*User.key(user_id))
    actions = calendar.birth(tx, user_id, at) if funds > 0 else []
    conditions = []
    if funds:
        actions.append(User.funds.add(funds))
        if funds < 0:
            conditions.append(User.funds >= -funds)
    if debt:
        # A debt runs negative and is paid back at most to zero, never above it.
        actions.append(User.debt.add(debt))
        if debt > 0:
            conditions.append(User.debt <= -debt)
    condition = None
    for c in conditions:
        condition = c if condition is None else condition & c
    tx.update(item, actions, condition=condition, label="overdraft" if condition is not None else "credit")


def _update_account(tx: Tx, account: str, shard: int, delta: int) -> None:
    item = Account(*Account.key(account, shard))
    actions = [Account.balance.add(delta)]  # the key names the account and its shard
    condition: Condition | None = None
    if delta < 0 and not accounts.may_go_negative(account):
        condition = Account.balance >= -delta
    tx.update(item, actions, condition=condition, label="overdraft" if condition is not None else "credit")


def guard(tx: Tx, pk: str, sk: str) -> None:
    """A marker that must be new: the whole transaction happens at most once."""
    tx.put(Marker(pk, sk, at=now().isoformat()), condition=Marker.pk.does_not_exist(), label="guard")


def post(transfers: list[Transfer], tx: Tx | None = None) -> bool:
    """Write `transfers` (with whatever else is in `tx`) once. False if they were already written."""
    tx = tx or Tx()
    add_transfers(tx, transfers)
    try:
        tx.commit()
    except Cancelled as exc:
        if exc.failed & {"transfer", "guard"}:
            return False
        if "overdraft" in exc.failed:
            raise Overdrawn(str(exc)) from exc
        if "calendar" in exc.failed:
            raise calendar.busy() from exc
        raise
    return True


def balance(account: str) -> int:
    user_id = funds_user(account) or debt_user(account)
    if user_id is not None:
        try:
            user = User.get(*User.key(user_id), consistent_read=True)
        except User.DoesNotExist:
            return 0
        return int((user.funds if funds_user(account) else user.debt) or 0)
    keys = [Account.key(account, s) for s in range(accounts.shard_count(account))]
    return sum(int(a.balance) for a in Account.batch_get(keys))


def shard_balances(account: str) -> dict[int, int]:
    keys = [Account.key(account, s) for s in range(accounts.shard_count(account))]
    return {Account.named(a.pk)[1]: int(a.balance) for a in Account.batch_get(keys, consistent_read=True)}
