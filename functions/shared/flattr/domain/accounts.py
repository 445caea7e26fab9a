"""The ledger's vocabulary: accounts, their shards, and immutable double-entry transfers.

A transfer moves `amount` cents from `debit` to `credit`. Balances are credits minus debits, so
`world:*` accounts (money from and to the outside) run negative and the sum of everything is 0.
Busy accounts are split into shards, chosen by a hash of the transfer id, so no single item takes
every write; an account's balance is the sum of its shards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Shards per busy account. A DynamoDB item takes ~1,000 writes/s; these spread the load. Revenue
# has 16 so that, hashed, no shard of a creator with N fans takes more than about N/8 credits.
SHARDS = {
    "revenue": 16,
    "platform": 16,
    "world": 16,
    "clearing": 64,
}


def funds(user_id: str) -> str:
    return f"user:{user_id}:funds"


def revenue(user_id: str) -> str:
    return f"user:{user_id}:revenue"


def payouts_pending(user_id: str) -> str:
    return f"user:{user_id}:payouts_pending"


def clearing(month: str) -> str:
    return f"clearing:{month}"


def debt(user_id: str) -> str:
    """What a user owes after money went back (a refund, a dispute) that they had already given.

    It is the platform's claim on the user, money outside like `world:*`: it runs negative (the
    amount owed) and never above zero. Its balance lives on the user's item, beside their funds.
    """
    return f"debt:{user_id}"


FEES = "platform:fees"
CHARITY = "platform:charity"
WORLD_PAYMENTS = "world:payments"
WORLD_PAYOUTS = "world:payouts"


def shard_count(account: str) -> int:
    kind, _, rest = account.partition(":")
    if kind == "user":
        return SHARDS["revenue"] if rest.endswith(":revenue") else 1
    return SHARDS.get(kind, 1)


def spread(key: str, n: int) -> int:
    """A stable shard in [0, n) for `key`."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % n if n > 1 else 0


def shard_for(account: str, key: str) -> int:
    return spread(f"{account}|{key}", shard_count(account))


def may_go_negative(account: str) -> bool:
    return account.startswith(("world:", "debt:"))


@dataclass(frozen=True)
class Transfer:
    id: str
    debit: str
    credit: str
    amount: int
    kind: str
    month: str = ""
    user_id: str = ""
    thing_id: str = ""
    # An explicit shard for a leg, where the caller chose it (a debit spread over shards).
    debit_shard_at: int | None = None
    credit_shard_at: int | None = None

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool) or self.amount <= 0:
            raise ValueError(f"transfer {self.id}: amount must be a positive integer of cents")
        if self.debit == self.credit:
            raise ValueError(f"transfer {self.id}: debit and credit are the same account")

    def _shard_key(self, account: str) -> str:
        # A user's money passes through one clearing shard, in and out, so it never dips below 0.
        return self.user_id if account.startswith("clearing:") else self.id

    @property
    def debit_shard(self) -> int:
        if self.debit_shard_at is not None:
            return self.debit_shard_at
        return shard_for(self.debit, self._shard_key(self.debit))

    @property
    def credit_shard(self) -> int:
        if self.credit_shard_at is not None:
            return self.credit_shard_at
        return shard_for(self.credit, self._shard_key(self.credit))


def take(amount: int, shard_balances: dict[int, int]) -> dict[int, int]:
    """How much to debit from each shard to take `amount` in all: fullest shards first."""
    plan: dict[int, int] = {}
    rest = amount
    for shard, balance in sorted(shard_balances.items(), key=lambda kv: (-kv[1], kv[0])):
        if rest <= 0:
            break
        part = min(rest, balance)
        if part > 0:
            plan[shard] = part
            rest -= part
    if rest > 0:
        raise ValueError("not enough")
    return plan


def net_changes(transfers: list[Transfer]) -> dict[tuple[str, int], int]:
    """The balance change per (account, shard) of a group of transfers written together."""
    out: dict[tuple[str, int], int] = {}
    for t in transfers:
        out[(t.debit, t.debit_shard)] = out.get((t.debit, t.debit_shard), 0) - t.amount
        out[(t.credit, t.credit_shard)] = out.get((t.credit, t.credit_shard), 0) + t.amount
    return out
