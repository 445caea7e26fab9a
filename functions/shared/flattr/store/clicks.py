"""The click: one UpdateItem on the giver's month card (store.cards), nothing else on a warm container.

The card's own condition refuses a repeat, a sealed month and a full card, on the same item the
click writes, so invariants 6 and 7 hold with no other item. The rules that money enforces anyway
are checked early from a container cache and bound again at settlement (DESIGN.md, "Scale"):

- the giver gives (budget, funds above zero, no debt) and their month is not sealed by birth;
- the owner gives (give to get).

A positive verdict about a person is cached for PEOPLE_TTL seconds; a negative one is never cached
(the next click re-reads, so a deposit takes effect at once). A thing's owner, URL and title are
cached for THING_TTL seconds. So the first click of a giver in a container reads the thing and the
people (one BatchGetItem), and a warm click is exactly one request. Counters come from the table's
stream (store.tally).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from .. import settings
from ..clock import now
from ..domain.errors import FlattrOwner, MonthClosed, NoMeans, OwnerNotParticipating, ThingNotFound, UrlTaken
from ..domain.months import month_of
from . import cards, things, users, wire
from .models import Thing, User
from .tx import Cancelled, Tx

THING_TTL = 300.0  # seconds a thing's ref is trusted (a deleted thing stops taking clicks after it)
# Seconds a positive verdict about a giver or an owner is trusted (settlement binds them again).
PEOPLE_TTL = float(os.environ.get("FLATTR_PEOPLE_TTL", "300"))


@dataclass(frozen=True)
class ThingRef:
    """What a click needs of its thing. A thing's owner and URL never change; a title edited
    since it was cached may show its old text in a v2 flattr's answer, and nowhere else."""

    owner_id: str
    url: str
    title: str


@dataclass(frozen=True)
class Person:
    """What the click rules read of a user, cached while positive."""

    budget: int
    funds: int
    debt: int
    closed_through: str | None


_OWNERS: OrderedDict[str, tuple[ThingRef, float]] = OrderedDict()  # thing id -> (ref, until)
_PEOPLE: OrderedDict[str, tuple[Person, float]] = OrderedDict()  # user id -> (person, until)
_MAX = 50_000


@dataclass(frozen=True)
class Click:
    thing_id: str
    month: str
    created: bool  # False: the user had already flattred it this month
    thing: ThingRef


def _cached(cache: OrderedDict, key: str):
    hit = cache.get(key)
    if hit is None or hit[1] < time.monotonic():
        cache.pop(key, None)
        return None
    return hit[0]


def _keep(cache: OrderedDict, key: str, value, ttl: float):
    cache[key] = (value, time.monotonic() + ttl)
    if len(cache) > _MAX:
        cache.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything (a fresh container)."""
    _OWNERS.clear()
    _PEOPLE.clear()


def forget_thing(thing_id: str) -> None:
    """A thing changed in this container (deleted): read it afresh next time."""
    _OWNERS.pop(thing_id, None)


def _owner_of(thing_id: str) -> ThingRef:
    ref = _cached(_OWNERS, thing_id)
    if ref is None:
        thing = things.get(thing_id)
        if not things.reachable(thing):
            raise ThingNotFound()
        ref = _remember(thing_id, ThingRef(thing.owner_id, thing.url, thing.title))
    return ref


def _remember(thing_id: str, ref: ThingRef) -> ThingRef:
    return _keep(_OWNERS, thing_id, ref, THING_TTL)


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(int(user.budget or 0), int(user.funds or 0), int(user.debt or 0), user.closed_through)


_READ = ("pk", "budget", "funds", "debt", "closed_through")  # the key, and what a Person holds


def _person_of(item: dict | None) -> Person | None:
    """A Person from a user's item in DynamoDB's wire format (what `_read_people` reads)."""
    if item is None:
        return None

    def number(name: str) -> int:
        return int(Decimal(item[name]["N"])) if "N" in item.get(name, {}) else 0

    closed = item.get("closed_through", {}).get("S")
    return Person(number("budget"), number("funds"), number("debt"), closed)


def _read_people(user_ids: list[str]) -> dict[str, Person | None]:
    """The fields the click rules read, for these users, in one consistent BatchGetItem. Straight
    from the client: a click needs four numbers and a month of each person, not a model of every
    attribute."""
    found = {item["pk"]["S"]: item for item in wire.get_many(map(User.key, user_ids), _READ)}
    return {u: _person_of(found.get(User.key(u)[0])) for u in user_ids}


def _people(user_ids: list[str]) -> dict[str, Person | None]:
    """The people a click judges: from the cache, the rest in one consistent BatchGetItem."""
    out = {u: _cached(_PEOPLE, u) for u in dict.fromkeys(user_ids)}
    missing = [u for u, p in out.items() if p is None]
    if missing:
        out.update(_read_people(missing))
    return out


def giver_refusal(person: Person | None, month: str, policy: settings.Policy) -> Exception | None:
    """Why this giver may not flattr in `month`, or None. The money rules are bound again at
    settlement (charged min(budget, funds)); the month sealed by birth is the click's alone."""
    if person is not None and person.closed_through and person.closed_through >= month:
        return MonthClosed(f"Your month {month} is already settled; this flattr cannot count.")
    if person is not None and person.debt < 0:
        return NoMeans(
            f"You owe {-person.debt} cents for money that went back (a refund or a dispute); "
            "your next deposit pays it first."
        )
    if person is None or person.budget < policy.min_budget or person.funds <= 0:
        return NoMeans("You need a monthly budget and funds above zero to flattr.")
    return None


def owner_refusal(person: Person | None, policy: settings.Policy) -> Exception | None:
    if policy.give_to_get and (person is None or person.budget < policy.min_budget or person.funds <= 0):
        return OwnerNotParticipating("The owner of this thing does not give, so it cannot receive flattrs.")
    return None


def judge(user_id: str, owner_id: str, month: str, policy: settings.Policy | None = None) -> None:
    """Raise the click's refusal from the people's (cached) items; cache those found giving."""
    policy = policy or settings.policy()
    people = _people([user_id, owner_id])
    giver, owner = people[user_id], people[owner_id]
    refusal = giver_refusal(giver, month, policy)
    if refusal is None:
        _keep(_PEOPLE, user_id, giver, PEOPLE_TTL)
        refusal = owner_refusal(owner, policy)
        if refusal is None and owner is not None:
            _keep(_PEOPLE, owner_id, owner, PEOPLE_TTL)
    if refusal is not None:
        _PEOPLE.pop(user_id, None)
        _PEOPLE.pop(owner_id, None)
        raise refusal


def flattr(user_id: str, thing_id: str) -> Click:
    month = month_of(now())
    ref = _owner_of(thing_id)
    if ref.owner_id == user_id:
        raise FlattrOwner("You cannot flattr your own thing.")
    try:
        judge(user_id, ref.owner_id, month)
    except (NoMeans, OwnerNotParticipating, MonthClosed):
        if cards.flattred(user_id, thing_id, month):  # a repeat says so, whatever changed since
            return Click(thing_id, month, created=False, thing=ref)
        raise
    created = cards.add(user_id, month, thing_id, ref.owner_id, int(now().timestamp()))
    return Click(thing_id, month, created=created, thing=ref)


# ---------------------------------------------------------------- the same rules as conditions


def gives_condition(policy: settings.Policy):
    """Policy.gives as a DynamoDB condition on the user's item: the one rule, checked where it is written."""
    return (User.budget >= policy.min_budget) & (User.funds > 0)


def check_people(
    tx: Tx, user_id: str, owner_id: str | None, month: str | None, policy: settings.Policy | None = None
) -> None:
    """The giver has a budget and funds, and an unsealed month; the owner gives too (give to get),
    as conditions of a transaction (auto-submit's first flattr, subscribing, a subscription's
    month). `month` None: the giver's month is the one being settled; `owner_id` None: the owner is
    judged elsewhere."""
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


def stage_flattr(
    tx: Tx,
    user_id: str,
    month: str,
    thing_id: str,
    owner_id: str,
    via: str | None = None,
    sealed_ok: bool = False,
) -> None:
    """Add one flattr to `tx` as an update of the card (label "flattr": a repeat, a sealed or a
    full card fail it; `sealed_ok` for settlement's own subscription flattrs). Its counts come
    from the stream, like a click's."""
    item, actions, condition = cards.staged(
        user_id, month, thing_id, owner_id, int(now().timestamp()), via or "click", sealed_ok=sealed_ok
    )
    tx.update(item, actions, condition=condition, label="flattr")


def first_flattr(user_id: str, owner_id: str, fields: dict) -> Click:
    """Make a thing and count its first flattr in one transaction. An auto-submitted thing is made
    by its first flattr, so it exists only with that flattr: a refused flattr makes nothing.
    UrlTaken if the URL is a thing already (another first flattr may have just made it)."""
    if owner_id == user_id:
        raise FlattrOwner("You cannot flattr your own thing.")
    month, at = month_of(now()), now().isoformat()
    for _ in range(5):
        thing = things.draft(owner_id, **fields)
        tx = Tx()
        things.stage(tx, thing, counted=(month, at))
        stage_flattr(tx, user_id, month, thing.thing_id, owner_id)
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
        card = cards.read(user_id, month)
        if card.sealed:
            raise MonthClosed(f"Your month {month} is already settled; this flattr cannot count.")
        if card.n >= cards.CAP:
            raise cards.MonthFull(f"You have made {cards.CAP} flattrs in {month}, the most a month holds.")
        return
    if "giver" in failed:
        refusal = giver_refusal(_person(users.get(user_id)), month, settings.policy())
        raise refusal or NoMeans("You need a monthly budget and funds above zero to flattr.")
    if "owner" in failed:
        raise OwnerNotParticipating("The owner of this thing does not give, so it cannot receive flattrs.")
    raise RuntimeError(f"unexpected click cancellation: {failed}")
