"""Things: registration with a unique URL, reads, and their sharded flattr counters."""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import now
from ..domain import things as rules
from ..domain.errors import UrlTaken
from ..domain.months import month_of
from .models import COUNTER_SHARDS, Flattr, Thing, ThingCount, UrlClaim, User
from .tx import Cancelled, Tx


@dataclass(frozen=True)
class Counts:
    total: int
    month: int


def register(
    owner_id: str,
    *,
    url: str,
    title: str,
    description: str = "",
    tags: list[str] | None = None,
    language: str | None = None,
    category: str | None = None,
    hidden: bool = False,
) -> Thing:
    url = rules.normalize_url(url)
    for _ in range(5):
        thing_id = str(rules.new_id())
        thing = Thing(
            *Thing.key(thing_id),
            thing_id=thing_id,
            url=url,
            title=title,
            description=description,
            tags=list(tags or []),
            language=language,
            category=category,
            hidden=hidden,
            owner_id=owner_id,
            created_at=now().isoformat(),
        )
        tx = Tx()
        tx.put(thing, condition=Thing.pk.does_not_exist(), label="id")
        # The URL claim is what keeps a URL to one thing when registrations race.
        tx.put(UrlClaim(*UrlClaim.key(url), thing_id=thing_id), condition=UrlClaim.pk.does_not_exist(), label="url")
        for shard in range(COUNTER_SHARDS):
            tx.put(ThingCount(*ThingCount.key(thing_id, shard), total=0, months={}), label="counter")
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
        claim = UrlClaim.get(*UrlClaim.key(rules.normalize_url(url)))
    except UrlClaim.DoesNotExist:
        return None
    return get(claim.thing_id)


def visible_to(thing: Thing | None, user_id: str | None) -> bool:
    return thing is not None and (not thing.hidden or thing.owner_id == user_id)


def counts(thing_id: str, month: str | None = None) -> Counts:
    month = month or month_of(now())
    shards = ThingCount.batch_get([ThingCount.key(thing_id, s) for s in range(COUNTER_SHARDS)])
    total = month_total = 0
    for shard in shards:
        total += int(shard.total or 0)
        month_total += int((shard.months.as_dict() if shard.months else {}).get(month, 0))
    return Counts(total=total, month=month_total)


def flattred(user_id: str, thing_id: str, month: str) -> bool:
    try:
        Flattr.get(*Flattr.key(user_id, month, thing_id), consistent_read=True)
        return True
    except Flattr.DoesNotExist:
        return False


def owner_names(owner_ids: set[str]) -> dict[str, str]:
    return {u.uid: u.display_name or "" for u in User.batch_get([User.key(o) for o in owner_ids])}


def owned_by(owner_id: str) -> list[str]:
    return [t.pk.split("#", 1)[1] for t in Thing.by_owner.query(owner_id)]
