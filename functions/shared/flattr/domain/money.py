"""Where the money of one user's month goes: the charge, the fee and the equal split.

Integer cents only. Everything here is deterministic, so a retried settlement recomputes
exactly what the first attempt wrote.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

POLICIES = ("charity", "carry", "dormant6")
DORMANT_MONTHS = 6


def fee_for(charged: int, fee_bps: int) -> int:
    return charged * fee_bps // 10_000


def split(net: int, keys: list[str], *, salt: str = "") -> dict[str, int]:
    """Split `net` cents equally over `keys`: each gets floor(net/n) or that plus one.

    The leftover cents go one each to the keys that come first in a salted hash order, so no
    thing is favoured in every user's split, and the same inputs always give the same shares.
    Only keys that get at least a cent are returned: with fewer cents than keys, `net` keys get
    one cent each and the others nothing, so settlement never writes more shares than cents.
    """
    if net < 0:
        raise ValueError("cannot split a negative amount")
    if not keys:
        return {}
    if len(set(keys)) != len(keys):
        raise ValueError("split keys must be distinct")
    base, leftover = divmod(net, len(keys))
    order = sorted(keys, key=lambda k: hashlib.sha256(f"{salt}:{k}".encode()).hexdigest())
    shares = {k: base + (1 if i < leftover else 0) for i, k in enumerate(order)}
    return {k: v for k, v in shares.items() if v}


@dataclass(frozen=True)
class Plan:
    """One user's month, decided once and then carried out step by step."""

    charged: int  # moved from funds to the month's clearing account
    fee: int
    shares: dict[str, int] = field(default_factory=dict)  # thing id -> cents
    charity: int = 0  # unspent money, and the shares of owners who did not give
    idle_months: int = 0  # consecutive months without a flattr, after this one
    redirected: dict[str, int] = field(default_factory=dict)  # thing id -> cents sent to charity

    @property
    def distributed(self) -> int:
        return sum(self.shares.values())


def split_salt(user_id: str, month: str) -> str:
    """The salt of a user's month's split: the close and the audit must agree on who gets the odd cents."""
    return f"{user_id}:{month}"


def plan_month(
    *,
    budget: int,
    funds: int,
    things: list[str],
    fee_bps: int,
    policy: str,
    idle_months: int,
    salt: str,
) -> Plan:
    if policy not in POLICIES:
        raise ValueError(f"unknown unspent policy {policy!r}")
    if min(budget, funds) < 0:
        raise ValueError("budget and funds cannot be negative")
    if things:
        charged = min(budget, funds)
        fee = fee_for(charged, fee_bps)
        return Plan(charged=charged, fee=fee, shares=split(charged - fee, things, salt=salt), idle_months=0)
    if policy == "charity":
        charged = min(budget, funds)
        return Plan(charged=charged, fee=0, charity=charged, idle_months=0)
    idle = idle_months + 1 if funds > 0 else 0
    if policy == "dormant6" and idle >= DORMANT_MONTHS:
        # Flattr's rule from December 2011: six idle months in a row send the funds to charity.
        return Plan(charged=funds, fee=0, charity=funds, idle_months=0)
    return Plan(charged=0, fee=0, idle_months=idle if policy == "dormant6" else 0)


def bind_owners(plan: Plan, owners: dict[str, str], gives: set[str]) -> Plan:
    """Give to get, bound at settlement as Flattr did: the share of a thing whose owner does not
    give goes to charity instead. `owners` maps thing id -> owner id; `gives` is who gives."""
    redirected = {t: c for t, c in plan.shares.items() if owners[t] not in gives}
    if not redirected:
        return plan
    return replace(
        plan,
        shares={t: c for t, c in plan.shares.items() if t not in redirected},
        charity=plan.charity + sum(redirected.values()),
        redirected=redirected,
    )


def payable(funds: int, debt: int) -> int:
    """What a giver's settlement may take from their funds: nothing while they owe (invariant 10)."""
    return funds if debt >= 0 else 0
