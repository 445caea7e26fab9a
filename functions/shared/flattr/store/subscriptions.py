"""Subscriptions: a standing flattr of a thing for the next 3, 6 or 12 months.

Settlement turns a subscription into that month's flattr (the same item a click writes, with the
same counter), so from there on it is counted and paid exactly like a click.
"""

from __future__ import annotations

import random

from ..clock import now
from ..domain import months as month_rules
from ..domain.errors import FlattrOwner, NotFound, OwnerNotParticipating, ValidationFailed
from . import things, users
from .models import COUNTER_SHARDS, Flattr, Subscription, Thing, ThingCount
from .tx import Cancelled, Tx

TERMS = (3, 6, 12)


def subscribe(user_id: str, thing_id: str, months: int, *, min_budget: int, give_to_get: bool) -> Subscription:
    if months not in TERMS:
        raise ValidationFailed("A subscription runs 3, 6 or 12 months.", code="invalid_months")
    thing = things.get(thing_id)
    if not things.reachable(thing):
        raise NotFound("No thing has that id.", code="thing_not_found")
    if thing.owner_id == user_id:
        raise FlattrOwner("You cannot subscribe to your own thing.")
    if give_to_get:
        owner = users.get(thing.owner_id)
        if owner is None or int(owner.budget or 0) < min_budget or int(owner.funds or 0) <= 0:
            raise OwnerNotParticipating("The owner of this thing does not give, so it cannot receive flattrs.")
    first = month_rules.following(month_rules.month_of(now()))
    last = first
    for _ in range(months - 1):
        last = month_rules.following(last)
    sub = Subscription(*Subscription.key(user_id, thing_id), thing_id=thing_id, owner_id=thing.owner_id,
                       first=first, last=last, months=months)
    sub.save()
    return sub


def cancel(user_id: str, thing_id: str) -> None:
    try:
        Subscription.get(*Subscription.key(user_id, thing_id)).delete()
    except Subscription.DoesNotExist:
        raise NotFound("You have no subscription to that thing.", code="subscription_not_found") from None


def get(user_id: str, thing_id: str) -> Subscription | None:
    try:
        return Subscription.get(*Subscription.key(user_id, thing_id), consistent_read=True)
    except Subscription.DoesNotExist:
        return None


def subscribed_many(user_id: str, thing_ids: list[str]) -> set[str]:
    found = Subscription.batch_get([Subscription.key(user_id, t) for t in dict.fromkeys(thing_ids)])
    return {s.thing_id for s in found}


def of_user(user_id: str) -> list[Subscription]:
    return list(Subscription.query(f"USER#{user_id}", Subscription.sk.startswith(Subscription.PREFIX),
                                   consistent_read=True))


def materialize(user_id: str, month: str) -> None:
    """Write this month's flattr for each active subscription, once.

    The owner's participation was checked when the subscription was made; checking it again here
    would depend on whether the owner's own settlement ran first, so only the thing is checked.
    """
    for sub in of_user(user_id):
        if not sub.first <= month <= sub.last:
            continue
        shard = random.randrange(COUNTER_SHARDS)
        tx = Tx()
        tx.put(Flattr(*Flattr.key(user_id, month, sub.thing_id), thing_id=sub.thing_id, owner_id=sub.owner_id,
                      month=month, at=now().isoformat(), via="subscription", flattr_of=Flattr.of(sub.thing_id, shard)),
               condition=Flattr.pk.does_not_exist(), label="flattr")
        tx.check(Thing, *Thing.key(sub.thing_id), condition=Thing.pk.exists() & Thing.deleted_at.does_not_exist(),
                 label="thing")
        counter = ThingCount(*ThingCount.key(sub.thing_id, shard))
        this_month = ThingCount.months[month]
        tx.update(counter, [ThingCount.total.add(1), this_month.set((this_month | 0) + 1),
                          ThingCount.last_at.set(now().isoformat())], label="counter")
        try:
            tx.commit()
        except Cancelled:
            pass  # already flattred this month, or the thing is gone
