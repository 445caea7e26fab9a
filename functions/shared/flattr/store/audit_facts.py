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

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ..clock import now
from ..domain import accounts
from ..domain.months import previous
from . import audit_settle, cards
from .audit_settle import acct_key
from .models import Account, Settlement

MAX_KEYS = 2000  # keys a map job combines in memory before it writes them out
MAX_VIOLATIONS = 100  # violations one map job keeps (the rest are counted)
TALLY_LAG = 300  # seconds the stream tally may trail the cards (it takes about one on AWS)
Emitter = Callable[[dict, "Facts"], None]  # one item -> its facts


def s(raw: dict, name: str, default: str = "") -> str:
    return raw.get(name, {}).get("S", default)


def n(raw: dict, name: str) -> int:
    value = raw.get(name, {}).get("N")
    return int(value) if value is not None else 0


# Keys. A key's family (before the first "|") picks its check in store.audit_checks.
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
        self.horizon = int(now().timestamp()) - TALLY_LAG  # flattrs after it may not be counted yet

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
    _balance(facts, *Account.named(raw["pk"]["S"]), n(raw, "balance"))


def _balance(facts: Facts, name: str, shard: int, value: int) -> None:
    facts.add(acct_key(name, shard), actual=value, items=1)
    facts.add("total", balances=value)


def transfer(raw: dict, facts: Facts) -> None:
    amount = n(raw, "amount")
    facts.add(acct_key(s(raw, "debit"), n(raw, "debit_shard")), expected=-amount)
    facts.add(acct_key(s(raw, "credit"), n(raw, "credit_shard")), expected=amount)
    if amount <= 0:
        facts.violation(9, f"transfer {s(raw, 'transfer_id')} is zero cents")
    audit_settle.transfer(raw, facts, s, n)


def _month_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m")


def flattr(facts: Facts, thing_id: str, at: int) -> None:
    """One flattr on a card: what its thing's counters must count (`recent`: maybe not yet)."""
    recent = 1 if at > facts.horizon else 0
    facts.add(f"thing|{thing_id}", flattrs=1, recent=recent)
    facts.add(f"tm|{thing_id}|{_month_of(at)}", flattrs=1, recent=recent)


def count(facts: Facts, thing_id: str, total: int, months: dict[str, int]) -> None:
    facts.add(f"thing|{thing_id}", counted=total)
    for month, value in months.items():
        facts.add(f"tm|{thing_id}|{month}", counted=value)


def counter(raw: dict, facts: Facts) -> None:
    months = {m: int(v["N"]) for m, v in raw.get("months", {}).get("M", {}).items()}
    count(facts, raw["pk"]["S"].split("#")[1], n(raw, "total"), months)


def received(raw: dict, facts: Facts) -> None:
    thing_id, month = raw["pk"]["S"].split("#")[1], raw["sk"]["S"]
    facts.add(f"recv|{thing_id}|{month}", shown_n=n(raw, "flattrs"), shown=n(raw, "amount"))
    if not n(raw, "amount"):
        facts.violation(9, f"received row {raw['pk']['S']} {month} is zero cents")


def progress(raw: dict, facts: Facts) -> None:
    month = raw["pk"]["S"].split("#")[1]
    facts.add(f"month|{month}", **{f"p_{name}": n(raw, name) for name in audit_settle.PROGRESS})


def month_close(raw: dict, facts: Facts) -> None:
    facts.add(
        f"month|{s(raw, 'month')}",
        close=1,
        segments=n(raw, "segments"),
        segments_done=n(raw, "segments_done"),
        credit_parts=n(raw, "credit_parts"),
        credits_done=n(raw, "credits_done"),
    )


def thing(raw: dict, facts: Facts) -> None:
    if "listed" in raw and "rank_total" in raw:  # a live thing with a folded count
        facts.defer(_check_folds, raw)


def _check_folds(raws: list[dict], facts: Facts) -> None:
    """Things' folded counts against their counters: store.aggregates.check, one page at a time."""
    from . import aggregates
    from .models import Thing

    for problem in aggregates.check([Thing.from_raw_data(raw) for raw in raws]):
        facts.violation(6, problem)


# pk prefix -> [(sk pattern, emitter)]: a pattern ending in "#" is a prefix, "*" any sort key,
# anything else the exact sort key. Items of no registered shape (payments, tally marks, ...)
# have no invariant of their own and are skipped. A user's cards and records: UserMonths.
ITEMS: dict[str, list[tuple[str, Emitter]]] = {
    "USER#": [("USER", user_balance)],
    "ACCT#": [("ACCT", account)],
    "XFER#": [("XFER", transfer)],
    "COUNT#": [("COUNT", counter)],
    "RECEIVED#": [("*", received)],
    "MONTH#": [("PROGRESS", progress), ("MONTH", month_close), ("PAGE#", audit_settle.page)],
    "FOLD#": [("*", audit_settle.marker)],
    "CREDIT#": [("*", audit_settle.entry)],
    "CREDITS#": [("*", audit_settle.credit_mark)],
    "THING#": [("THING", thing)],
}


def emitter_for(pk: str, sk: str) -> Emitter | None:
    prefix = pk.split("#", 1)[0] + "#"
    if not pk.startswith(prefix):
        return None  # a key without a prefix (the things' fold cursor, FOLD / CURSOR)
    for pattern, fn in ITEMS.get(prefix, ()):
        if pattern == "*" or sk == pattern or (pattern.endswith("#") and sk.startswith(pattern)):
            return fn
    return None


# ---------------------------------------------------------------- partition collectors


class UserMonths:
    """One user's partition, in sort-key order: CARD#<m>..., SETTLE#<m>..., USER.

    A card's `n` must be its flattrs (invariant 6), and each flattr is one its thing's counters
    count. A record is checked against its month's card (store.audit_settle.check_record). At the
    end: a card month without a record, and a record whose previous month has none (invariant 8),
    become facts the reduce step judges against the months that were closed.
    """

    def __init__(self, pk: str, facts: Facts):
        self.user = pk[len("USER#") :]
        self.facts = facts
        self.things: dict[str, set[str]] = {}  # month -> things on its card
        self.settled: set[str] = set()
        self.born = ""

    def item(self, raw: dict) -> None:
        sk = raw["sk"]["S"]
        if sk.startswith(cards.PREFIX):
            card = cards.parse(self.user, sk[len(cards.PREFIX) :], raw)
            if card.n != len(card.flattrs):
                self.facts.violation(
                    6, f"{self.user} {card.month}: card says {card.n}, holds {len(card.flattrs)}"
                )
            for entry in card.flattrs.values():
                flattr(self.facts, entry.thing_id, entry.at)
            self.things[card.month] = set(card.flattrs)
        elif sk.startswith("SETTLE#"):
            r = Settlement.from_raw_data(raw)
            self.settled.add(r.month)
            for invariant, detail in audit_settle.check_record(r, self.things.get(r.month, set())):
                self.facts.violation(invariant, detail)
            audit_settle.record(r, self.facts)
        elif sk == "USER":
            self.born = s(raw, "created_month")

    def close(self) -> None:
        for month, things in self.things.items():
            if things and month not in self.settled:
                self.facts.add(um_key(self.user, month), open=len(things))
        for month in self.settled:
            prev = previous(month)
            if self.born <= prev and prev not in self.settled:
                self.facts.add(um_key(self.user, prev), later=1)


class Collector(Protocol):
    def item(self, raw: dict) -> None: ...
    def close(self) -> None: ...


PARTITIONS: dict[str, Callable[..., Collector]] = {"USER#": UserMonths}


def collector_for(pk: str) -> Callable[..., Collector] | None:
    return PARTITIONS.get(pk.split("#", 1)[0] + "#")


class Feeder:
    """Hands each item to its emitter and its partition's collector, in scan order."""

    def __init__(self, facts: Facts):
        self.facts = facts
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
            self.open = make(pk, self.facts) if make else None
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
