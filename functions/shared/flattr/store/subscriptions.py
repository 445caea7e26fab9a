"""Subscriptions: a standing flattr of a thing for the next 3, 6 or 12 months.

Settlement turns a subscription into that month's flattr (the same item a click writes, with the
same counter), so from there on it is counted and paid exactly like a click. Subscribing and each
month's flattr follow the click's rules (clicks.py): budget, funds, the owner gives, the thing
exists. A subscription to a deleted thing ends.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from ..clock import now
from ..domain import months as month_rules
from ..domain.errors import FlattrOwner, NotFound, ValidationFailed
from ..settings import Policy
from . import clicks, things
from .models import Settlement, Subscription, User
from .tx import Cancelled, Tx

TERMS = (3, 6, 12)


def subscribe(user_id: str, thing_id: str, months: int) -> Subscription:
    if months not in TERMS:
        raise ValidationFailed("A subscription runs 3, 6 or 12 months.", code="invalid_months")
    thing = things.get(thing_id)
    if not things.reachable(thing):
        raise NotFound("No thing has that id.", code="thing_not_found")
    if thing.owner_id == user_id:
        raise FlattrOwner("You cannot subscribe to your own thing.")
    first = month_rules.following(month_rules.month_of(now()))
    last = first
    for _ in range(months - 1):
        last = month_rules.following(last)
    sub = Subscription(
        *Subscription.key(user_id, thing_id),
        thing_id=thing_id,
        owner_id=thing.owner_id,
        first=first,
        last=last,
        months=months,
    )
    _runs_through(user_id, last)
    tx = Tx().put(sub, label="subscription")
    clicks.check_people(tx, user_id, thing.owner_id, first)
    clicks.check_thing(tx, thing_id)
    try:
        tx.commit()
    except Cancelled as exc:
        clicks.explain(exc.failed, user_id, first)
        raise
    return sub


def _runs_through(user_id: str, last: str) -> None:
    """Note on the user the last month a subscription of theirs runs, so settlement looks for
    subscriptions only then. Before the subscription: a crash between leaves a harmless look."""
    try:
        User(*User.key(user_id)).update(
            actions=[User.subs_through.set(last)],
            condition=User.pk.exists() & (User.subs_through.does_not_exist() | (User.subs_through < last)),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


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
    return list(
        Subscription.query(
            f"USER#{user_id}", Subscription.sk.startswith(Subscription.PREFIX), consistent_read=True
        )
    )


def alive(subs: list[Subscription]) -> list[Subscription]:
    """Those of `subs` whose thing still exists (a subscription to a deleted thing has ended)."""
    living = {t.thing_id for t in things.get_many([s.thing_id for s in subs]) if things.reachable(t)}
    return [s for s in subs if s.thing_id in living]


def materialize(user_id: str, month: str, policy: Policy | None = None) -> dict[str, str]:
    """Write this month's flattr for each active subscription, once, if the click's rules allow it;
    return the month's subscription flattrs ({thing_id: owner_id}, written now or before).

    The giver's month card is sealed by now (by this settlement), so only their budget and funds are checked. The owner
    gives if they do now, or if their own settlement of this month (which may run first and
    empty their funds) charged them: so the answer does not depend on which user settles first.
    """
    made: dict[str, str] = {}
    for sub in of_user(user_id):
        if not sub.first <= month <= sub.last:
            continue
        for owner_id in (sub.owner_id, None):
            tx = Tx()
            clicks.stage_flattr(
                tx, user_id, month, sub.thing_id, sub.owner_id, via="subscription", sealed_ok=True
            )
            clicks.check_people(tx, user_id, owner_id, None, policy)
            clicks.check_thing(tx, sub.thing_id)
            try:
                tx.commit()
                made[sub.thing_id] = sub.owner_id
            except Cancelled as exc:
                if "thing" in exc.failed:
                    sub.delete()  # the thing is gone: the subscription ends
                elif exc.failed == {"owner"} and _gave(sub.owner_id, month):
                    continue
                elif "flattr" in exc.failed:
                    made[sub.thing_id] = sub.owner_id  # written by an earlier attempt
            break
    return made


def _gave(user_id: str, month: str) -> bool:
    """Whether settling `user_id`'s `month` took money from their funds (so they gave that month)."""
    try:
        record = Settlement.get(*Settlement.key(user_id, month), consistent_read=True)
    except Settlement.DoesNotExist:
        return False
    return record.status != "pending" and int(record.charged) > 0
