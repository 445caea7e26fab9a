"""The audit's reduce step: each key's columns, summed over the whole table, must agree.

One small function per key family (the text before the key's first "|"), registered in CHECKS.
Each gets the key's parts, its summed columns and the Context (the months and the ledger's total,
read once per reduce job), and yields (invariant, detail) pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..domain import accounts
from ..domain.months import following
from . import audit_settle

Found = Iterator[tuple[int, str]]


@dataclass
class Context:
    months: dict[str, dict[str, int]] = field(default_factory=dict)

    def closes(self, month: str) -> bool:
        """The month's close has begun (its record exists)."""
        return bool(self.months.get(month, {}).get("close"))

    def closed(self, month: str) -> bool:
        """Its close has finished: every segment scanned, every page settled and folded, every
        creator credited (store.calendar.is_closed, on the month's summed columns)."""
        m = self.months.get(month, {})
        return (
            bool(m.get("close"))
            and m.get("segments_done", 0) >= m.get("segments", 0)
            and m.get("p_pages_folded", 0) >= m.get("p_pages_total", 0)
            and m.get("credits_done", 0) >= m.get("credit_parts", 0)
        )


def check_account(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariants 2, 3 and 10: a balance is its transfers' sum, never negative, a debt never above 0."""
    name, shard = parts
    actual, expected = c.get("actual", 0), c.get("expected", 0)
    if actual != expected:
        yield 2, f"{name} shard {shard}: balance {actual}, transfers say {expected}"
    if not c.get("items"):
        return
    if actual < 0 and not accounts.may_go_negative(name):
        yield 3, f"{name} shard {shard} is {actual}"
    if actual > 0 and name.startswith("debt:"):
        yield 10, f"{name} is {actual}: a debt paid back beyond what was owed"


def check_total(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariant 1: all balances sum to zero."""
    if c.get("balances", 0) != 0:
        yield 1, f"balances sum to {c['balances']} cents, not 0"


def check_user_month(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariants 7 and 8: a closed month's flattrs are settled, and settled in calendar order."""
    user_id, month = parts
    if c.get("open") and ctx.closed(month):
        yield 7, f"{user_id} {month}: {c['open']} flattrs of a closed month, never settled"
    if c.get("later") and ctx.closes(month):
        yield 8, f"{user_id}: {following(month)} took money while {month} is unsettled"


def check_page(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    month, name = parts[0], "|".join(parts[1:])
    yield from audit_settle.check_page(month, name, c, ctx.closed(month))


def check_received(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """What statements show a thing received in a month is what its settlements paid it, once
    its month is closed (the creators' fold writes it then)."""
    thing_id, month = parts
    over = c.get("shown_n", 0) > c.get("paid_n", 0) or c.get("shown", 0) > c.get("paid", 0)
    if not ctx.closed(month) and not over:
        return
    shown, paid = (c.get("shown_n", 0), c.get("shown", 0)), (c.get("paid_n", 0), c.get("paid", 0))
    if shown != paid:
        yield (
            6,
            f"thing {thing_id} {month}: statements say (flattrs, cents) = {shown}, its settlements {paid}",
        )


def _counted(what: str, c: dict[str, int]) -> Found:
    """A counter counts each flattr on the cards once, give or take the `recent` ones the stream
    may not have brought yet. A counter above its cards counted a flattr twice."""
    counted, flattrs = c.get("counted", 0), c.get("flattrs", 0)
    if not flattrs - c.get("recent", 0) <= counted <= flattrs:
        yield 6, f"{what}: counter says {counted}, {flattrs} flattrs on the cards"


def check_thing(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariant 6: a thing's counters count each of its flattrs once."""
    yield from _counted(f"thing {parts[0]}", c)


def check_thing_month(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    yield from _counted(f"thing {parts[0]} {parts[1]}", c)


def check_credit(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    month, owner_id = parts[0], "|".join(parts[1:])
    yield from audit_settle.check_credit(month, owner_id, c, ctx.closed(month))


def check_month(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariant 4: what the month view shows is what its pages and folds add up to."""
    shown = {k: c.get(f"p_{k}", 0) for k in audit_settle.PROGRESS}
    expected = {k: c.get(f"e_{k}", 0) for k in audit_settle.PROGRESS}
    if shown != expected:
        yield 4, f"month {parts[0]}: progress shows {shown}, its pages and folds add up to {expected}"


CHECKS: dict[str, Callable[[list[str], dict[str, int], Context], Found]] = {
    "acct": check_account,
    "total": check_total,
    "um": check_user_month,
    "page": check_page,
    "recv": check_received,
    "credit": check_credit,
    "thing": check_thing,
    "tm": check_thing_month,
    "month": check_month,
}


def check(key: str, columns: dict[str, int], ctx: Context) -> Found:
    family, *parts = key.split("|")
    yield from CHECKS[family](parts, columns, ctx)
