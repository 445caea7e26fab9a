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
from .audit_facts import STATE_NAMES

Found = Iterator[tuple[int, str]]


@dataclass
class Context:
    months: dict[str, dict[str, int]] = field(default_factory=dict)

    def closes(self, month: str) -> bool:
        """The month's close has begun (its record exists)."""
        return bool(self.months.get(month, {}).get("close"))

    def closed(self, month: str) -> bool:
        """Its close has finished: every segment enumerated, every user it counted settled."""
        m = self.months.get(month, {})
        return (
            bool(m.get("close"))
            and m.get("segments_done", 0) >= m.get("segments", 0)
            and m.get("p_users_settled", 0) >= m.get("p_users_total", 0)
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
    user_id, month = parts
    if c.get("rec"):
        yield from _settled(f"{user_id} {month}", c)
    if c.get("open") and ctx.closed(month):
        state = STATE_NAMES.get(c.get("open_state", 0), "missing")
        yield (
            7,
            (f"{user_id} {month}: {c['open']} flattrs of a closed month, the user's settlement is {state}"),
        )
    if c.get("later") and ctx.closes(month):
        state = STATE_NAMES.get(c.get("prev_state", 0), "unsettled")
        yield 8, f"{user_id}: {following(month)} took money while {month} is {state}"


def _settled(who: str, c: dict[str, int]) -> Found:
    """Invariants 4, 5 and 7 for one done settlement: its transfers against its record."""
    charge, charge_n, fee, charity = (
        c.get("charge", 0),
        c.get("charge_n", 0),
        c.get("fee", 0),
        c.get("charity", 0),
    )
    share, share_n = c.get("share", 0), c.get("share_n", 0)
    if charge_n > 1 or charge != c.get("rec_charged", 0):
        yield 4, f"{who}: charged {charge} in {charge_n} transfers, the record says {c.get('rec_charged', 0)}"
    if fee != c.get("rec_fee", 0) or (c.get("rec_things") and fee != c.get("rec_fee_exp", 0)):
        yield 5, f"{who}: fee {fee}, expected {c.get('rec_fee_exp', 0)}"
    expected = (c.get("exp_n", 0), c.get("exp", 0), c.get("exp_sig", 0))
    if share_n > expected[0]:
        yield 4, f"{who}: a thing was paid twice ({share_n} shares for {expected[0]} things)"
    elif c.get("flattred") and (share_n, share, c.get("share_sig", 0)) != expected:
        paid = (
            f"shares paid {share_n} things {share} cents, expected {expected[0]} things {expected[1]} cents"
        )
        if share_n < expected[0]:
            yield 7, f"{who}: {paid}"
        else:
            yield 5, f"{who}: {paid} (other things or other cents)"
    paid_out = fee + share + charity
    if charity != c.get("rec_charity", 0) or charge != paid_out:
        yield 4, f"{who}: {charge} charged but {paid_out} paid out"


def check_received(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """What statements show a thing received in a month is what the ledger paid it."""
    thing_id, month = parts
    shown, paid = (c.get("shown_n", 0), c.get("shown", 0)), (c.get("paid_n", 0), c.get("paid", 0))
    if shown != paid:
        yield 6, f"thing {thing_id} {month}: statements say (flattrs, cents) = {shown}, the ledger {paid}"


def check_thing(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariant 6: a thing's counters count each of its flattrs once."""
    if c.get("counted", 0) != c.get("flattrs", 0):
        yield 6, f"thing {parts[0]}: counter says {c.get('counted', 0)}, {c.get('flattrs', 0)} flattrs exist"


def check_thing_month(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    thing_id, month = parts
    if "counted" in c and c["counted"] != c.get("flattrs", 0):
        yield 6, f"thing {thing_id} {month}: counter says {c['counted']}, {c.get('flattrs', 0)} flattrs exist"


NAMES = ("users_settled", "charged", "fees", "distributed", "charity")


def check_month(parts: list[str], c: dict[str, int], ctx: Context) -> Found:
    """Invariant 4: what the month view shows is what its settlements add up to."""
    shown = {k: c.get(f"p_{k}", 0) for k in NAMES}
    expected = {k: c.get(f"s_{k}", 0) for k in NAMES}
    if shown != expected:
        yield 4, f"month {parts[0]}: progress shows {shown}, settlements add up to {expected}"


CHECKS: dict[str, Callable[[list[str], dict[str, int], Context], Found]] = {
    "acct": check_account,
    "total": check_total,
    "um": check_user_month,
    "recv": check_received,
    "thing": check_thing,
    "tm": check_thing_month,
    "month": check_month,
}


def check(key: str, columns: dict[str, int], ctx: Context) -> Found:
    family, *parts = key.split("|")
    yield from CHECKS[family](parts, columns, ctx)
