"""The click: one TransactWriteItems whose conditions enforce every rule of a flattr.

The flattr item's key is (user, month, thing), so a repeat is refused by its own condition.
The giver's item carries budget, funds and the last month settlement sealed, so one condition
check covers no_means and month_closed. The counter shard is one of eight, so a popular thing
spreads its writes. A thing's owner never changes, so a warm container skips the thing read
and the click is a single request.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass

from .. import settings
from ..clock import now
from ..domain.errors import FlattrOwner, MonthClosed, NoMeans, OwnerNotParticipating, ThingNotFound, UrlTaken
from ..domain.months import month_of
from . import things, users
from .models import COUNTER_SHARDS, Flattr, Thing, ThingCount, User
from .tx import Cancelled, Tx


@dataclass(frozen=True)
class ThingRef:
    """What a click needs of its thing. A thing's owner and URL never change; a title edited
    since it was cached may show its old text in a v2 flattr's answer, and nowhere else."""

    owner_id: str
    url: str
    title: str


_OWNERS: OrderedDict[str, ThingRef] = OrderedDict()  # thing id -> its ref
_OWNERS_MAX = 50_000


@dataclass(frozen=True)
class Click:
    thing_id: str
    month: str
    created: bool  # False: the user had already flattred it this month
    thing: ThingRef


def _owner_of(thing_id: str) -> ThingRef:
    ref = _OWNERS.get(thing_id)
    if ref is None:
        thing = things.get(thing_id)
        if not things.reachable(thing):
            raise ThingNotFound()
        ref = _remember(thing_id, ThingRef(thing.owner_id, thing.url, thing.title))
    return ref


def _remember(thing_id: str, ref: ThingRef) -> ThingRef:
    _OWNERS[thing_id] = ref
    if len(_OWNERS) > _OWNERS_MAX:
        _OWNERS.popitem(last=False)
    return ref


def gives_condition(policy: settings.Policy):
    """Policy.gives as a DynamoDB condition on the user's item: the one rule, checked where it is written."""
    return (User.budget >= policy.min_budget) & (User.funds > 0)


def check_people(
    tx: Tx, user_id: str, owner_id: str | None, month: str | None, policy: settings.Policy | None = None
) -> None:
    """The giver has a budget and funds, and an unsealed month; the owner gives too (give to get).
    These are the rules of every flattr, a subscription's too. `month` None: the giver's month is
    the one being settled (sealed on purpose); `owner_id` None: the owner is judged elsewhere."""
    policy = policy or settings.policy()
    gives = gives_condition(policy)
    owes_nothing = User.debt.does_not_exist() | (User.debt >= 0)  # money that went back (store.payments)
    giver = gives & owes_nothing
    open_month = User.closed_through.does_not_exist() | (User.closed_through < month) if month else None
    tx.check(User, *User.key(user_id), condition=giver & open_month if month else giver, label="giver")
    if policy.give_to_get and owner_id is not None:
        tx.check(User, *User.key(owner_id), condition=gives, label="owner")


def check_thing(tx: Tx, thing_id: str) -> None:
    """The thing exists and is not deleted."""
    tx.check(
        Thing,
        *Thing.key(thing_id),
        condition=Thing.pk.exists() & Thing.deleted_at.does_not_exist(),
        label="thing",
    )


def _flattr_item(
    user_id: str, month: str, thing_id: str, owner_id: str, shard: int, via: str | None
) -> Flattr:
    extra = {"via": via} if via else {}
    return Flattr(
        *Flattr.key(user_id, month, thing_id),
        thing_id=thing_id,
        owner_id=owner_id,
        month=month,
        at=now().isoformat(),
        flattr_of=Flattr.of(thing_id, shard),
        **extra,
    )


def stage_flattr(
    tx: Tx, user_id: str, month: str, thing_id: str, owner_id: str, via: str | None = None
) -> None:
    """Add one flattr of an existing thing to `tx`, with its count on one of the thing's counter shards:
    a click's and a subscription's month alike. A second flattr of the month fails the "flattr" label."""
    shard = random.randrange(COUNTER_SHARDS)
    tx.put(
        _flattr_item(user_id, month, thing_id, owner_id, shard, via),
        condition=Flattr.pk.does_not_exist(),
        label="flattr",
    )
    this_month = ThingCount.months[month]
    tx.update(
        ThingCount(*ThingCount.key(thing_id, shard)),
        [
            ThingCount.total.add(1),
            this_month.set((this_month | 0) + 1),
            ThingCount.last_at.set(now().isoformat()),
        ],
        label="counter",
    )


def flattr(user_id: str, thing_id: str) -> Click:
    month = month_of(now())
    ref = _owner_of(thing_id)
    owner_id = ref.owner_id
    if owner_id == user_id:
        raise FlattrOwner("You cannot flattr your own thing.")
    tx = Tx()
    stage_flattr(tx, user_id, month, thing_id, owner_id)
    check_people(tx, user_id, owner_id, month)
    check_thing(tx, thing_id)
    try:
        tx.commit()
    except Cancelled as exc:
        explain(exc.failed, user_id, month)
        return Click(thing_id, month, created=False, thing=ref)
    return Click(thing_id, month, created=True, thing=ref)


def first_flattr(user_id: str, owner_id: str, fields: dict) -> Click:
    """Make a thing and count its first flattr in one transaction. An auto-submitted thing is made
    by its first flattr, so it exists only with that flattr: a refused flattr makes nothing.
    UrlTaken if the URL is a thing already (another first flattr may have just made it)."""
    if owner_id == user_id:
        raise FlattrOwner("You cannot flattr your own thing.")
    month, at = month_of(now()), now().isoformat()
    for _ in range(5):
        thing = things.draft(owner_id, **fields)
        shard = random.randrange(COUNTER_SHARDS)
        tx = Tx()
        things.stage(tx, thing, counted=(shard, month, at))
        tx.put(_flattr_item(user_id, month, thing.thing_id, owner_id, shard, None), label="flattr")
        check_people(tx, user_id, owner_id, month)
        try:
            tx.commit()
        except Cancelled as exc:
            if "url" in exc.failed:
                raise UrlTaken("That URL is already registered as a thing.") from exc
            if exc.failed == {"id"}:
                continue  # a random id that is taken: draw again
            explain(exc.failed - {"id"}, user_id, month)
            raise
        ref = _remember(thing.thing_id, ThingRef(owner_id, thing.url, thing.title))
        return Click(thing.thing_id, month, created=True, thing=ref)
    raise RuntimeError("could not find a free thing id")


def explain(failed: set[str], user_id: str, month: str) -> None:
    """Turn failed conditions into the one refusal a client should see (returns if a repeat)."""
    if "thing" in failed:
        raise ThingNotFound()
    if "flattr" in failed:
        return
    if "giver" in failed:
        giver = users.get(user_id)
        if giver is not None and giver.closed_through and giver.closed_through >= month:
            raise MonthClosed(f"Your month {month} is already settled; this flattr cannot count.")
        if giver is not None and int(giver.debt or 0) < 0:
            raise NoMeans(
                f"You owe {-int(giver.debt)} cents for money that went back (a refund or a dispute); "
                "your next deposit pays it first."
            )
        raise NoMeans("You need a monthly budget and funds above zero to flattr.")
    if "owner" in failed:
        raise OwnerNotParticipating("The owner of this thing does not give, so it cannot receive flattrs.")
    raise RuntimeError(f"unexpected click cancellation: {failed}")
