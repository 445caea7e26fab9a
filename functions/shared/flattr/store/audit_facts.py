"""The audit's map step: each item of the table becomes facts, keyed sums (key, column, delta).

An account's key gets `actual` from its balance and `expected` from each transfer that moves it;
the reduce step (store.audit_checks) sums each key's columns over the table and compares them.

A new item type is one emitter, registered in ITEMS under its key prefixes. Checks that need
several items of one partition (a settlement record and its user's flattrs, all under USER#<u>)
are a collector in PARTITIONS: it sees that partition's items in sort-key order, and the map step
never cuts a partition between two jobs. Memory is bounded by `Facts.max_keys` (sums are written
out, `spill`, before a new key would pass it) and, in a collector, by MAX_HELD or one user's month.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Protocol

from ..domain import accounts
from ..domain.money import fee_for, split, split_salt
from ..domain.months import previous

MAX_KEYS = 2000  # keys a map job combines in memory before it writes them out
MAX_VIOLATIONS = 100  # violations one map job keeps (the rest are counted)
MAX_HELD = 5000  # flattred things a user's collector holds before it reads a month again
Emitter = Callable[[dict, "Facts"], None]  # one item -> its facts

# Settlement states as numbers (a column is a sum): what the reduce step turns back into words.
STATES = {"pending": 1, "charged": 2, "done": 3}
STATE_NAMES = {v: k for k, v in STATES.items()}


def s(raw: dict, name: str, default: str = "") -> str:
    return raw.get(name, {}).get("S", default)


def n(raw: dict, name: str) -> int:
    value = raw.get(name, {}).get("N")
    return int(value) if value is not None else 0


def sig(thing_id: str, amount: int) -> int:
    """A share's fingerprint: sums of these agree only if the same things got the same cents."""
    return int.from_bytes(hashlib.blake2b(thing_id.encode(), digest_size=6).digest(), "big") * amount


# Keys. A key's family (before the first "|") picks its check in store.audit_checks.
def acct_key(account: str, shard: int) -> str:
    return f"acct|{account}|{shard}"


def um_key(user_id: str, month: str) -> str:
    return f"um|{user_id}|{month}"


CONTEXT = ("month", "total")  # small families every reduce job reads first (store.audit_checks)


class Facts:
    """One map job's combiner: sums per key, and the violations found on the spot."""

    def __init__(
        self,
        max_keys: int = MAX_KEYS,
        max_violations: int = MAX_VIOLATIONS,
        spill: Callable[[dict[str, dict[str, int]]], None] | None = None,
    ):
        """`spill(sums)` writes the sums out when a new key would exceed `max_keys`."""
        self.max_keys, self.max_violations, self.spill = max_keys, max_violations, spill
        self.sums: dict[str, dict[str, int]] = {}
        self.found: list[tuple[int, str]] = []
        self.more = 0  # violations beyond max_violations: counted, not kept
        self.peak = 0  # the most keys ever held (tests check the bound)
        self._deferred: dict[Callable, list[dict]] = {}

    def add(self, key: str, **columns: int) -> None:
        row = self.sums.get(key)
        if row is None:
            if self.spill is not None and len(self.sums) >= self.max_keys:
                self.spill(self.take())
            row = self.sums[key] = {}
            self.peak = max(self.peak, len(self.sums))
        for column, delta in columns.items():
            row[column] = row.get(column, 0) + delta

    def violation(self, invariant: int, detail: str) -> None:
        if len(self.found) < self.max_violations:
            self.found.append((invariant, detail))
        else:
            self.more += 1

    def defer(self, batch_check: Callable[[list[dict], Facts], None], raw: dict) -> None:
        """Check `raw` later, with the page's other items of its kind (one batched read)."""
        self._deferred.setdefault(batch_check, []).append(raw)

    def run_deferred(self) -> None:
        deferred, self._deferred = self._deferred, {}
        for batch_check, raws in deferred.items():
            batch_check(raws, self)

    def take(self) -> dict[str, dict[str, int]]:
        sums, self.sums = self.sums, {}
        return sums


# ---------------------------------------------------------------- item emitters


def user_balance(raw: dict, facts: Facts) -> None:
    user_id = raw["pk"]["S"][len("USER#") :]
    _balance(facts, accounts.funds(user_id), 0, n(raw, "funds"))
    if "debt" in raw:
        _balance(facts, accounts.debt(user_id), 0, n(raw, "debt"))


def account(raw: dict, facts: Facts) -> None:
    _balance(facts, s(raw, "account"), n(raw, "shard"), n(raw, "balance"))


def _balance(facts: Facts, name: str, shard: int, value: int) -> None:
    facts.add(acct_key(name, shard), actual=value, items=1)
    facts.add("total", balances=value)


SETTLEMENT_KINDS = ("charge", "fee", "charity")


def transfer(raw: dict, facts: Facts) -> None:
    amount = n(raw, "amount")
    facts.add(acct_key(s(raw, "debit"), n(raw, "debit_shard")), expected=-amount)
    facts.add(acct_key(s(raw, "credit"), n(raw, "credit_shard")), expected=amount)
    if amount <= 0:
        facts.violation(9, f"transfer {s(raw, 'transfer_id')} is zero cents")
    kind, month, user_id = s(raw, "kind"), s(raw, "month"), s(raw, "user_id")
    if not month:
        return
    if kind == "share":
        thing_id = s(raw, "thing_id")
        facts.add(um_key(user_id, month), share_n=1, share=amount, share_sig=sig(thing_id, amount))
        facts.add(f"recv|{thing_id}|{month}", paid_n=1, paid=amount)
    elif kind in SETTLEMENT_KINDS:
        facts.add(um_key(user_id, month), **{kind: amount, f"{kind}_n": 1})


def flattr(raw: dict, facts: Facts) -> None:
    thing_id, month = s(raw, "thing_id"), s(raw, "month")
    facts.add(f"thing|{thing_id}", flattrs=1)
    facts.add(f"tm|{thing_id}|{month}", flattrs=1)


def counter(raw: dict, facts: Facts) -> None:
    thing_id = raw["pk"]["S"].split("#")[1]
    facts.add(f"thing|{thing_id}", counted=n(raw, "total"))
    for month, value in raw.get("months", {}).get("M", {}).items():
        facts.add(f"tm|{thing_id}|{month}", counted=int(value["N"]))


def received(raw: dict, facts: Facts) -> None:
    thing_id, month = raw["pk"]["S"].split("#")[1], raw["sk"]["S"]
    facts.add(f"recv|{thing_id}|{month}", shown_n=n(raw, "flattrs"), shown=n(raw, "amount"))
    if not n(raw, "amount"):
        facts.violation(9, f"received row {raw['pk']['S']} {month} is zero cents")


PROGRESS = ("users_total", "users_settled", "charged", "fees", "distributed", "charity")


def progress(raw: dict, facts: Facts) -> None:
    month = raw["pk"]["S"].split("#")[1]
    facts.add(f"month|{month}", **{f"p_{name}": n(raw, name) for name in PROGRESS})


def month_close(raw: dict, facts: Facts) -> None:
    facts.add(
        f"month|{s(raw, 'month')}",
        close=1,
        segments=n(raw, "segments"),
        segments_done=n(raw, "segments_done"),
    )


def thing(raw: dict, facts: Facts) -> None:
    if "listed" in raw and "rank_total" in raw:  # a live thing with a folded count
        facts.defer(_check_folds, raw)


def _check_folds(raws: list[dict], facts: Facts) -> None:
    """Things' folded counts against their counter shards: store.aggregates.check, one page at a time."""
    from . import aggregates
    from .models import Thing

    for problem in aggregates.check([Thing.from_raw_data(raw) for raw in raws]):
        facts.violation(6, problem)


# pk prefix -> [(sk pattern, emitter)]: a pattern ending in "#" is a prefix, "*" any sort key,
# anything else the exact sort key. Items of no registered shape (payments, markers, ...) have
# no invariant of their own and are skipped.
ITEMS: dict[str, list[tuple[str, Emitter]]] = {
    "USER#": [("USER", user_balance), ("FLATTR#", flattr)],
    "ACCT#": [("ACCT", account)],
    "XFER#": [("XFER", transfer)],
    "COUNT#": [("COUNT", counter)],
    "RECEIVED#": [("*", received)],
    "MONTH#": [("PROGRESS", progress), ("MONTH", month_close)],
    "THING#": [("THING", thing)],
}


def emitter_for(pk: str, sk: str) -> Emitter | None:
    for pattern, fn in ITEMS.get(pk.split("#", 1)[0] + "#", ()):
        if pattern == "*" or sk == pattern or (pattern.endswith("#") and sk.startswith(pattern)):
            return fn
    return None


# ---------------------------------------------------------------- partition collectors


class UserMonths:
    """One user's partition, in sort-key order: FLATTR#<m>#<t>..., SETTLE#<m>..., USER.

    A done settlement is checked against the flattrs of its month (the split is recomputed), and
    sends what its transfers must add up to to its (user, month) key. At the end: flattrs of a month
    that is not done, and months that took money while the month before was not done (invariant 8),
    become facts the reduce step judges against the months that were closed.
    """

    def __init__(self, pk: str, facts: Facts, month_things: Callable[[str, str], Iterable[str]]):
        self.user = pk[len("USER#") :]
        self.facts, self.month_things = facts, month_things
        self.things: dict[str, list[str]] | None = {}  # None: too many held, read them again
        self.held = 0
        self.counts: dict[str, int] = {}
        self.status: dict[str, str] = {}
        self.born = ""

    def item(self, raw: dict) -> None:
        sk = raw["sk"]["S"]
        if sk.startswith("FLATTR#"):
            month = s(raw, "month")
            self.counts[month] = self.counts.get(month, 0) + 1
            if self.things is not None:
                self.things.setdefault(month, []).append(s(raw, "thing_id"))
                self.held += 1
                if self.held > MAX_HELD:
                    self.things = None
        elif sk.startswith("SETTLE#") and "#STEP#" not in sk:
            self._settlement(raw)
        elif sk == "USER":
            self.born = s(raw, "created_month")

    def _settlement(self, raw: dict) -> None:
        month, status = s(raw, "month"), s(raw, "status")
        self.status[month] = status
        if status != "done":
            return
        who = f"{self.user} {month}"
        charged, fee, things = n(raw, "charged"), n(raw, "fee"), n(raw, "things")
        distributed, charity = n(raw, "distributed"), n(raw, "charity")
        flattred = self.counts.get(month, 0)
        if things != flattred:
            self.facts.violation(7, f"{who}: {flattred} flattrs, {things} settled")
        expected: dict[str, int] = {}
        if flattred:
            if distributed != charged - fee:
                self.facts.violation(5, f"{who}: distributed {distributed} != charged - fee")
            ids = (
                self.things.get(month, []) if self.things is not None else self.month_things(self.user, month)
            )
            expected = split(distributed, sorted(ids), salt=split_salt(self.user, month))
        self.facts.add(
            um_key(self.user, month),
            rec=1,
            rec_charged=charged,
            rec_fee=fee,
            rec_fee_exp=fee_for(charged, n(raw, "fee_bps")),
            rec_things=things,
            rec_charity=charity,
            flattred=flattred,
            exp_n=len(expected),
            exp=sum(expected.values()),
            exp_sig=sum(sig(t, v) for t, v in expected.items()),
        )
        self.facts.add(
            f"month|{month}",
            s_users_settled=1,
            s_charged=charged,
            s_fees=fee,
            s_distributed=distributed,
            s_charity=charity,
        )

    def close(self) -> None:
        for month, count in self.counts.items():
            if self.status.get(month) != "done":
                self.facts.add(
                    um_key(self.user, month), open=count, open_state=STATES.get(self.status.get(month), 0)
                )
        for month, state in self.status.items():
            prev = previous(month)
            if state != "pending" and self.born <= prev and self.status.get(prev) != "done":
                self.facts.add(
                    um_key(self.user, prev), later=1, prev_state=STATES.get(self.status.get(prev), 0)
                )


class Collector(Protocol):
    def item(self, raw: dict) -> None: ...
    def close(self) -> None: ...


PARTITIONS: dict[str, Callable[..., Collector]] = {"USER#": UserMonths}


def collector_for(pk: str) -> Callable[..., Collector] | None:
    return PARTITIONS.get(pk.split("#", 1)[0] + "#")


class Feeder:
    """Hands each item to its emitter and its partition's collector, in scan order."""

    def __init__(self, facts: Facts, month_things: Callable[[str, str], Iterable[str]]):
        self.facts, self.month_things = facts, month_things
        self.pk: str | None = None
        self.open: Collector | None = None
        self.items = 0

    def feed(self, raw: dict) -> None:
        pk, sk = raw["pk"]["S"], raw["sk"]["S"]
        self.items += 1
        if pk != self.pk:
            self.end_partition()
            self.pk = pk
            make = collector_for(pk)
            self.open = make(pk, self.facts, self.month_things) if make else None
        fn = emitter_for(pk, sk)
        if fn is not None:
            fn(raw, self.facts)
        if self.open is not None:
            self.open.item(raw)

    def end_partition(self) -> None:
        if self.open is not None:
            self.open.close()
        self.open, self.pk = None, None

    def collects(self, pk: str) -> bool:
        return collector_for(pk) is not None
