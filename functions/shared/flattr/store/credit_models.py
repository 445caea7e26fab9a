"""Items of the creators' fold (store.credits), in the one table. Keys are built here only.

CREDIT#<month>#<part>    <owner hash>#<page>   what one page's users gave one creator that month
CREDITS#<month>#<part>   CHUNK#<j> | DONE      a chunk of the part's creators, credited once
"""

from __future__ import annotations

import hashlib
import math

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from .models import _Base

MAX_PARTS = 64  # partitions of a month's entries (each a clearing shard); one job chain per part
USERS_PER_PART = 150_000  # a part's chain credits about this many creators within minutes
HASH = 16  # hex digits of an owner's hash that lead an entry's sort key


def parts_for(users: int) -> int:
    """How many parts a close takes, sized by its users (the month before's): a small close walks
    one part (no empty partitions to query), ten million users take 64."""
    return max(1, min(MAX_PARTS, math.ceil(users / USERS_PER_PART)))


def owner_hash(owner_id: str) -> str:
    """Leads the sort key, so one creator's entries sit together (an id may hold any character)."""
    return hashlib.sha256(owner_id.encode()).hexdigest()[:HASH]


def part_of(owner_id: str, parts: int) -> int:
    return int(owner_hash(owner_id)[:8], 16) % parts


class CreditEntry(_Base):
    """Immutable: written by the page's fold, with the same content however often it runs."""

    owner = UnicodeAttribute()
    page = UnicodeAttribute()
    cents = NumberAttribute()
    things = ListAttribute(of=UnicodeAttribute)  # "<thing>|<shares>|<cents>"
    givers = ListAttribute(of=UnicodeAttribute)  # who gave them (the digest's supporters)

    @staticmethod
    def key(month: str, owner_id: str, page: str, parts: int) -> tuple[str, str]:
        return CreditEntry.partition(month, part_of(owner_id, parts)), f"{owner_hash(owner_id)}#{page}"

    @staticmethod
    def partition(month: str, part: int) -> str:
        return f"CREDIT#{month}#{part}"


class CreditMark(_Base):
    """A chunk of creators credited: its transaction's guard, naming what it credited."""

    credits = ListAttribute(of=UnicodeAttribute, default=list)  # "<cents>|<owner>"
    at = UnicodeAttribute(null=True)

    @staticmethod
    def key(month: str, part: int, name: str) -> tuple[str, str]:
        return f"CREDITS#{month}#{part}", name
