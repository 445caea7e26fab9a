"""What settlement reads of people: the giver and the owners of what they flattred, together.

A batch of settle jobs (the worker's SQS batch) seals its users' cards, then reads them and all
their owners (of these, only whether they give) in consistent BatchGetItems of up to 100 keys
(`ahead`), instead of one read per user that repeats the owners the batch's users share. Each user's transaction still binds what was read
(store.settlement): the read only feeds its first attempt, and a lost race reads again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import cards, wire
from .models import Settlement, User


@dataclass(frozen=True)
class Person:
    """What settlement reads of a user: for their own month, the plan's inputs, its order and its
    condition; as an owner, whether they give (give to get). A missing number reads as 0."""

    user_id: str
    budget: int = 0
    funds: int = 0
    debt: int = 0
    idle_months: int = 0
    settled_through: str | None = None
    created_month: str | None = None
    subs_through: str | None = None
    gave_month: str | None = None

    @classmethod
    def of(cls, item: dict) -> Person:
        """From a user item in DynamoDB's wire format, as `read` projects it."""
        number = {name: int(item[name]["N"]) for name in _NUMBERS if name in item}
        text = {name: item[name]["S"] for name in _TEXTS if name in item}
        return cls(item["pk"]["S"][len("USER#") :], **number, **text)


_NUMBERS = ("budget", "funds", "debt", "idle_months")
_TEXTS = ("settled_through", "created_month", "subs_through", "gave_month")
_ALL = ("pk", *_NUMBERS, *_TEXTS)
_AS_OWNER = ("pk", "budget", "funds", "gave_month")  # what owner_gives reads (store.settlement)


def read(user_ids: set[str], *, as_owners: bool = False) -> dict[str, Person]:
    """The users, read together and strongly consistently, one BatchGetItem per 100: only what
    settlement reads of them, not the whole items (many more values to read and decode); of
    owners only (`as_owners`), whether they give."""
    items = wire.get_many(map(User.key, sorted(user_ids)), _AS_OWNER if as_owners else _ALL)
    return {person.user_id: person for person in map(Person.of, items)}


@dataclass
class Ahead:
    """A batch's users of one month, sealed and read together: each one's flattrs, taken once by
    their first settle attempt, and everyone the batch read; the users' scan pages, and the
    records of those the batch settled together (store.settlement.prepare)."""

    month: str
    flattrs: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> {thing: owner}
    people: dict[str, Person] = field(default_factory=dict)
    pages: dict[str, str | None] = field(default_factory=dict)
    settled: dict[str, Settlement] = field(default_factory=dict)

    def done(self, user_id: str, month: str) -> Settlement | None:
        """The record of a user the batch settled (once: a second job for them reads it)."""
        return self.settled.pop(user_id, None) if month == self.month else None

    def take(self, user_id: str, month: str) -> tuple[dict[str, str], dict[str, Person]] | None:
        if month != self.month or user_id not in self.flattrs:
            return None
        flattrs = self.flattrs.pop(user_id)
        wanted = {user_id, *flattrs.values()}
        return flattrs, {p: self.people[p] for p in wanted if p in self.people}


def ahead(jobs: list[dict]) -> Ahead | None:
    """Seal the cards of a batch's settle jobs (those of its first settle job's month) and read
    their users and owners together (a request per 100). None: fewer than two settle jobs."""
    settles = [j for j in jobs if j.get("kind") == "settle"]
    if len(settles) < 2:
        return None
    month = settles[0]["month"]
    batch = Ahead(month)
    for job in settles:
        if job["month"] == month and job["user_id"] not in batch.flattrs:
            batch.pages[job["user_id"]] = job.get("page")
            batch.flattrs[job["user_id"]] = cards.seal(job["user_id"], month)
    owners = set().union(*(f.values() for f in batch.flattrs.values())) - set(batch.flattrs)
    batch.people = {**read(set(batch.flattrs)), **read(owners, as_owners=True)}
    return batch
