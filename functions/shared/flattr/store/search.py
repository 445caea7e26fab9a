"""Search over public things, from the `listed` index (newest first) or, to sort by flattrs, from
`ranked` (all time) and `ranked_month` (this month), page by page: never a scan of the table.

The filters (words, tags, language, category) are applied to what the index gives, and one
request reads at most READ rows of it; the answer's cursor goes on from the last row read, so a
rare word is found by following cursors, a bounded read each, rather than by one long request.
Counts come from the things' folded aggregate (store.aggregates), not their counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..clock import now
from ..domain import things as rules
from ..domain.months import month_of
from . import things
from .models import Thing
from .pages import DEPTH, Page, decode, encode, skip_for

READ = DEPTH  # index rows one search reads at most


@dataclass(frozen=True)
class Order:
    index: object  # the pynamodb index
    partition: Callable[[], str]
    range_attr: str
    range_type: str  # "S" or "N"

    def value(self, thing: Thing) -> str:
        raw = getattr(thing, self.range_attr)
        return str(int(raw)) if self.range_type == "N" else str(raw)


ORDERS = {
    "newest": Order(Thing.by_listing, lambda: "public", "created_at", "S"),
    "flattrs": Order(Thing.by_rank, lambda: "public", "rank_total", "N"),
    "flattrs_month": Order(Thing.by_rank_month, lambda: month_of(now()), "rank_month", "N"),
}
_HASH = {"newest": "listed", "flattrs": "listed", "flattrs_month": "month_listed"}


@dataclass(frozen=True)
class Query:
    """What a search asks for: words (in the title, description, tags or URL), a tag expression
    ("a | b & c ! d"), languages and categories (comma separated). Public things only."""

    words: tuple[str, ...] = ()
    tags: str | None = None
    languages: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, query: str | None, tags: str | None, language: str | None, category: str | None) -> Query:
        return cls(
            words=tuple((query or "").lower().split()),
            tags=tags or None,
            languages=tuple(language.split(",")) if language else None,
            categories=tuple(category.split(",")) if category else None,
        )

    @staticmethod
    def text(t: Thing) -> str:
        return " ".join([t.title, t.description or "", " ".join(t.tags or []), t.url]).lower()

    def keep(self, t: Thing) -> bool:
        return (
            things.listed_to(t, None)
            and (self.languages is None or (t.language or "en_GB") in self.languages)
            and (self.categories is None or (t.category or "rest") in self.categories)
            and (not self.tags or rules.tags_match(self.tags, list(t.tags or [])))
            and all(w in self.text(t) for w in self.words)
        )

    def by_relevance(self, found: list[Thing]) -> list[Thing]:
        """Most hits of the words first (within a page); as found when there are no words."""
        if not self.words:
            return list(found)
        return sorted(found, key=lambda t: sum(self.text(t).count(w) for w in self.words), reverse=True)


def _start(order_name: str, cursor: str) -> dict:
    order = ORDERS[order_name]
    value, thing_id = decode(cursor, 2)
    if not thing_id.isdigit() or (order.range_type == "N" and not value.isdigit()):
        from ..domain.errors import ValidationFailed

        raise ValidationFailed("That cursor is not one this list gave.", code="invalid_cursor")
    return {
        "pk": {"S": f"THING#{thing_id}"},
        "sk": {"S": "THING"},
        _HASH[order_name]: {"S": order.partition()},
        order.range_attr: {order.range_type: value},
    }


def search(
    order_name: str, keep: Callable[[Thing], bool], *, count: int, page: int = 1, cursor: str | None = None
) -> Page:
    """Public things in `order_name`'s order that `keep` accepts: the page asked for, by number
    or after a cursor, among the next READ rows. `extra["matched"]`: the matches among them."""
    order = ORDERS[order_name]
    skip = skip_for(page, count, cursor)
    start = _start(order_name, cursor) if cursor else None
    hits = order.index.query(
        order.partition(), scan_index_forward=False, limit=READ, last_evaluated_key=start, page_size=50
    )
    matched: list[Thing] = []
    last = None
    read = 0
    for thing in hits:  # every row within the bound, so that `matched` counts what it holds
        read += 1
        last = thing
        if thing.listed == "public" and keep(thing):
            matched.append(thing)
    shown = matched[skip : skip + count]
    if len(matched) > skip + count:  # more matches read: go on after the last one shown
        nxt = encode(order.value(shown[-1]), shown[-1].thing_id)
    elif hits.last_evaluated_key is not None and last is not None:  # rows left unread
        nxt = encode(order.value(last), last.thing_id)
    else:
        nxt = None
    return Page(shown, nxt, read, {"matched": len(matched)})
