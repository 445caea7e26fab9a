"""A user's settled month as transaction items: the plan bound to the owners who give, the
immutable record of it, and the user's update on condition that the user is as read.

One user's two items commit alone, or with the others of a worker's batch in ONE transaction
(store.settlement.prepare): all of them happen or none does, and each item keeps its own condition,
so a batch settles its users exactly as they would settle one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.money import bind_owners, payable, plan_month, split_salt
from ..settings import Policy
from . import fold
from .models import Settlement, User
from .people import Person
from .tx import MAX_ITEMS, Cancelled, Tx

BATCH = MAX_ITEMS // 2  # users settled in one transaction, two items each


def owner_gives(owner: Person | None, month: str, policy: Policy) -> bool:
    """Give to get, at settlement: the owner has a budget, and funds, or gave them this month
    (their own settlement may come first and empty their funds: the order must not matter)."""
    if not policy.give_to_get:
        return True
    if owner is None:
        return False
    budget, funds = int(owner.budget or 0), int(owner.funds or 0)
    return budget >= policy.min_budget and (funds > 0 or (owner.gave_month or "") >= month)


@dataclass(frozen=True)
class Staged:
    """A user's month, ready to commit: its record, and the user's update and its condition."""

    record: Settlement
    actions: list
    condition: object

    def add_to(self, tx: Tx, label: str = "") -> Tx:
        user_id = self.record.user_id
        tx.update(User(*User.key(user_id)), self.actions, condition=self.condition, label=f"user{label}")
        return tx.put(self.record, condition=Settlement.pk.does_not_exist(), label=f"record{label}")


def stage(
    user: Person, month: str, flattrs: dict[str, str], people: dict[str, Person], policy: Policy, page: str
) -> Staged:
    user_id = user.user_id
    plan = plan_month(
        budget=int(user.budget or 0),
        funds=payable(int(user.funds or 0), int(user.debt or 0)),
        things=sorted(flattrs),
        fee_bps=policy.fee_bps,
        policy=policy.unspent,
        idle_months=int(user.idle_months or 0),
        salt=split_salt(user_id, month),
    )
    giving = {o for o in set(flattrs.values()) if owner_gives(people.get(o), month, policy)}
    plan = bind_owners(plan, flattrs, giving)
    record = Settlement(
        *Settlement.key(user_id, month),
        user_id=user_id,
        month=month,
        status="done",
        charged=plan.charged,
        fee=plan.fee,
        fee_bps=policy.fee_bps,
        charity=plan.charity,
        distributed=plan.distributed,
        things=len(flattrs),
        idle_after=plan.idle_months,
        policy=policy.unspent,
        page=page,
        shares=[fold.encode(t, flattrs[t], c) for t, c in sorted(plan.shares.items())],
        redirected=[fold.encode(t, flattrs[t], c) for t, c in sorted(plan.redirected.items())],
    )
    as_read = (
        User.settled_through == user.settled_through
        if user.settled_through
        else User.settled_through.does_not_exist()
    )
    actions = [User.settled_through.set(month)]
    if plan.idle_months != int(user.idle_months or 0):  # only settlement writes it: unchanged, no SET
        actions.append(User.idle_months.set(plan.idle_months))
    condition = as_read
    if plan.charged:
        actions += [User.funds.add(-plan.charged), User.gave_month.set(month)]
        condition &= (User.funds >= plan.charged) & (User.debt.does_not_exist() | (User.debt >= 0))
    elif not user.settled_through:  # a comparison above fails on a missing user; else say it
        condition = User.pk.exists() & condition
    return Staged(record, actions, condition)


def commit(staged: list[Staged]) -> set[str]:
    """The users' months in ONE transaction. Returns the users who lost a race (settled by a twin,
    or changed since the read, a refund): if any did, none is settled."""
    tx = Tx()
    for s in staged:
        s.add_to(tx, f":{s.record.user_id}")
    try:
        tx.commit()
    except Cancelled as exc:
        return {label.split(":", 1)[1] for label in exc.failed} or {s.record.user_id for s in staged}
    return set()
