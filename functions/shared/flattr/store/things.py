"""Things: registration with a unique URL, reads, and their flattr counters (kept by store.tally)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from ..clock import now
from ..domain import things as rules
from ..domain import urls
from ..domain.errors import Forbidden, ThingNotFound, UrlTaken
from ..domain.months import month_of
from . import cards
from .models import Thing, ThingCount, UrlClaim, User
from .tx import Cancelled, Tx


@dataclass(frozen=True)
class Counts:
    total: int
    month: int
    last_at: str | None = None  # when it was last flattred


def draft(
    owner_id: str,
    *,
    url: str,
    title: str,
    description: str = "",
    tags: list[str] | None = None,
    language: str | None = None,
    category: str | None = None,
    hidden: bool = False,
    unclaimed: bool = False,
) -> Thing:
    """A new thing's item under a fresh random id, not written yet. An `unclaimed` one (made by
    someone else's auto-submit) is hidden until its owner claims it: see `claim`."""
    thing_id = str(rules.new_id())
    return Thing(
        *Thing.key(thing_id),
        thing_id=thing_id,
        url=rules.normalize_url(url),
        title=title,
        description=description,
        tags=list(tags or []),
        language=language,
        category=category,
        hidden=hidden or unclaimed,
        unclaimed=unclaimed or None,
        owner_id=owner_id,
        created_at=now().isoformat(),
        listed=listing(hidden=hidden or unclaimed, deleted=False),
        rank_total=0,
    )


def listing(*, hidden: bool, deleted: bool) -> str | None:
    """The `listed` index's partition of a thing: search reads "public"; a deleted thing is in none.
    Kept in step with `listed_to`, which decides the same from the thing's own fields."""
    return None if deleted else "hidden" if hidden else "public"


def stage(tx: Tx, thing: Thing, counted: tuple[str, str] | None = None) -> None:
    """Add a new thing's items to `tx`: the thing and its URL's claim. `counted` (month, at): the
    thing is made by its first flattr, so its shown counts start at one. Its counter item is made
    by the stream tally when that flattr reaches it."""
    if counted:  # the aggregate starts with the flattr that makes the thing
        month, at = counted
        thing.rank_total, thing.rank_month, thing.counted_month, thing.last_flattr_at = 1, 1, month, at
        thing.month_listed = month if thing.listed == "public" else None
    tx.put(thing, condition=Thing.pk.does_not_exist(), label="id")
    # The URL claim is what keeps a URL to one thing when registrations race.
    # Keyed by the URL's identity, so no other spelling of it can claim it again (domain.urls).
    tx.put(
        UrlClaim(*UrlClaim.key(urls.identity(thing.url)), thing_id=thing.thing_id),
        condition=UrlClaim.pk.does_not_exist(),
        label="url",
    )


def register(owner_id: str, **fields) -> Thing:
    """Register a thing (fields as `draft` takes them). A URL is one thing: else UrlTaken."""
    for _ in range(5):
        thing = draft(owner_id, **fields)
        tx = Tx()
        stage(tx, thing)
        try:
            tx.commit()
            return thing
        except Cancelled as exc:
            if "url" in exc.failed:
                raise UrlTaken("That URL is already registered as a thing.") from exc
            if "id" not in exc.failed:
                raise
    raise RuntimeError("could not find a free thing id")


def get(thing_id: str, *, consistent: bool = False) -> Thing | None:
    try:
        return Thing.get(*Thing.key(thing_id), consistent_read=consistent)
    except Thing.DoesNotExist:
        return None


def lookup(url: str) -> Thing | None:
    try:
        claim = UrlClaim.get(*UrlClaim.key(urls.identity(url)))
    except UrlClaim.DoesNotExist:
        return None
    return get(claim.thing_id)


def reachable(thing: Thing | None) -> bool:
    """By id or URL, and to flattr: every thing not deleted. As in Flattr, `hidden` keeps a thing
    out of listings (search, a user's things), not out of reach of its buttons."""
    return thing is not None and not thing.deleted_at


def listed_to(thing: Thing | None, user_id: str | None) -> bool:
    """In listings: a hidden thing only for its owner."""
    return reachable(thing) and (not thing.hidden or thing.owner_id == user_id)


def _owned(thing_id: str, owner_id: str) -> Thing:
    thing = get(thing_id, consistent=True)
    if not reachable(thing):
        raise ThingNotFound()
    if thing.owner_id != owner_id:
        raise Forbidden("Only the owner of a thing can change it.", code="not_owner")
    return thing


EDITABLE = ("title", "description", "tags", "language", "category", "hidden")


def update(thing_id: str, owner_id: str, **changes) -> Thing:
    """Change a thing's fields. Its URL stays: the URL is what the thing is. The owner's edit of an
    unclaimed thing claims it (and it stays hidden unless the edit lists it)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    thing = _owned(thing_id, owner_id)
    if changes:
        actions = [getattr(Thing, k).set(v) for k, v in changes.items()]
        if thing.unclaimed:
            actions.append(Thing.unclaimed.remove())
        if "hidden" in changes:  # in step with the `listed` and `ranked_month` indexes
            actions.append(Thing.listed.set(listing(hidden=changes["hidden"], deleted=False)))
            month = thing.counted_month if not changes["hidden"] else None
            actions.append(Thing.month_listed.set(month) if month else Thing.month_listed.remove())
        try:
            thing.update(
                actions=[*actions, Thing.updated_at.set(now().isoformat())],
                condition=(Thing.owner_id == owner_id) & Thing.deleted_at.does_not_exist(),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ThingNotFound() from exc  # deleted meanwhile
            raise
    return thing


def claim(thing_id: str, owner_id: str) -> Thing:
    """The owner takes on a thing someone else's auto-submit made for them: it is listed from now
    on. Claiming a claimed thing changes nothing. Not wanted? `delete` it, which frees its URL."""
    thing = _owned(thing_id, owner_id)
    if thing.unclaimed:
        return update(thing_id, owner_id, hidden=False)
    return thing


def delete(thing_id: str, owner_id: str) -> None:
    """Take a thing down and free its URL. The item stays, marked, so that its month still settles."""
    thing = _owned(thing_id, owner_id)
    at = now().isoformat()
    tx = Tx()
    tx.update(
        thing,
        [
            Thing.deleted_at.set(at),
            Thing.updated_at.set(at),
            Thing.listed.remove(),
            Thing.month_listed.remove(),
        ],
        condition=(Thing.owner_id == owner_id) & Thing.deleted_at.does_not_exist(),
        label="thing",
    )
    tx.delete(
        UrlClaim(*UrlClaim.key(urls.identity(thing.url))),
        condition=UrlClaim.thing_id == thing_id,
        label="url",
    )
    try:
        tx.commit()
    except Cancelled as exc:
        raise ThingNotFound() from exc
    from . import clicks  # this container's clicks stop taking it at once

    clicks.forget_thing(thing_id)


def counts(thing_id: str, month: str | None = None) -> Counts:
    return counts_many([thing_id], month)[thing_id]


def counts_many(thing_ids: list[str], month: str | None = None) -> dict[str, Counts]:
    """Counts of many things from their counter items, in as few BatchGetItem calls as they need.
    They follow the clicks by the stream's delay (about a second on AWS)."""
    month = month or month_of(now())
    out = {t: Counts(total=0, month=0) for t in thing_ids}
    for c in ThingCount.batch_get([ThingCount.key(t) for t in dict.fromkeys(thing_ids)]):
        months = c.months.as_dict() if c.months else {}
        out[c.pk.split("#", 1)[1]] = Counts(int(c.total or 0), int(months.get(month, 0)), c.last_at)
    return out


def latest_fans(thing_id: str) -> list[tuple[str, int]]:
    """The thing's latest fans as the tally keeps them: (user id, epoch seconds), newest first."""
    try:
        c = ThingCount.get(*ThingCount.key(thing_id))
    except ThingCount.DoesNotExist:
        return []
    out = []
    for fan in c.fans or []:
        at, user_id = fan.split("|", 1)
        out.append((user_id, int(at)))
    return out


def get_many(thing_ids: list[str]) -> list[Thing]:
    """The things that exist, in the order asked."""
    found = {t.thing_id: t for t in Thing.batch_get([Thing.key(t) for t in dict.fromkeys(thing_ids)])}
    return [found[t] for t in thing_ids if t in found]


def flattred(user_id: str, thing_id: str, month: str) -> bool:
    return cards.flattred(user_id, thing_id, month)


def flattred_many(user_id: str, thing_ids: list[str], month: str) -> set[str]:
    return cards.flattred_many(user_id, thing_ids, month)


def owner_names(owner_ids: set[str]) -> dict[str, str]:
    return {u.uid: u.display_name or "" for u in User.batch_get([User.key(o) for o in owner_ids])}
