"""The audit: re-derive every balance and count from the immutable records and compare.

It reads the whole table (a Scan), so it runs as a job, never on a request path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..clock import now
from ..domain import accounts
from . import cards
from .audit_settle import SettleAudit
from .models import (
    Account,
    MonthClose,
    ThingCount,
    TransferItem,
    User,
)

INVARIANTS = {
    1: "conservation: all balances sum to zero",
    2: "each balance equals the sum of its transfers",
    3: "no user balance is negative",
    4: "each (user, month) is settled exactly once",
    5: "shares sum to what was distributed, each floor or floor+1; the fee is exact",
    6: "each (user, thing, month) flattr is counted once",
    7: "every acknowledged flattr of a settled month is paid",
    8: "a user's months settle in calendar order",
    9: "no zero-cent transfer, no zero-cent received row",
    10: "money that went back is a transfer; a debt is never above zero",
}


@dataclass(frozen=True)
class Violation:
    invariant: int
    detail: str

    def __str__(self) -> str:
        return f"invariant {self.invariant} ({INVARIANTS[self.invariant]}): {self.detail}"


def _scan_all():
    table = User._get_connection()
    start = None
    while True:
        page = table.scan(exclusive_start_key=start, consistent_read=True)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def run_audit() -> list[Violation]:
    balances: dict[tuple[str, int], int] = {}
    derived: dict[tuple[str, int], int] = defaultdict(int)
    settled = SettleAudit()
    flattrs: dict[tuple[str, str], list[str]] = {}  # (user, month) -> thing ids on the card
    entries: list[cards.Entry] = []  # every flattr, for the counters' check
    counted: dict[str, ThingCount] = {}
    closes: dict[str, MonthClose] = {}
    born: dict[str, str] = {}  # user -> created_month
    zero: list[str] = []
    out_of_scan: list[Violation] = []

    for raw in _scan_all():
        pk, sk = raw["pk"]["S"], raw["sk"]["S"]
        if settled.take(pk, sk, raw):  # records, pages, folds, received rows, progress
            pass
        elif sk == "USER":
            user = User.from_raw_data(raw)
            balances[(accounts.funds(user.uid), 0)] = int(user.funds or 0)
            if user.debt is not None:
                balances[(accounts.debt(user.uid), 0)] = int(user.debt)
            born[user.uid] = user.created_month or ""
        elif sk == "ACCT":
            acct = Account.from_raw_data(raw)
            balances[(acct.account, int(acct.shard))] = int(acct.balance or 0)
        elif sk == "XFER":
            t = TransferItem.from_raw_data(raw)
            derived[(t.debit, int(t.debit_shard))] -= int(t.amount)
            derived[(t.credit, int(t.credit_shard))] += int(t.amount)
            if int(t.amount) <= 0:
                zero.append(f"transfer {t.transfer_id}")
            settled.transfer(t)
        elif sk.startswith(cards.PREFIX):
            card = _card(raw)
            flattrs[(card.user_id, card.month)] = sorted(card.flattrs)
            entries += card.flattrs.values()
            if card.n != len(card.flattrs):
                out_of_scan.append(
                    Violation(
                        6, f"{card.user_id} {card.month}: card says {card.n}, holds {len(card.flattrs)}"
                    )
                )
        elif sk == "MONTH":
            close = MonthClose.from_raw_data(raw)
            closes[close.month] = close
        elif sk == "COUNT":
            counted[pk.split("#", 1)[1]] = ThingCount.from_raw_data(raw)

    settled.post(derived)  # the transfers that settlement records stand for
    out: list[Violation] = []
    total = sum(balances.values())
    if total != 0:
        out.append(Violation(1, f"balances sum to {total} cents, not 0"))
    for key in sorted(set(balances) | set(derived)):
        if balances.get(key, 0) != derived.get(key, 0):
            out.append(
                Violation(
                    2,
                    f"{key[0]} shard {key[1]}: balance {balances.get(key, 0)}, "
                    f"transfers say {derived.get(key, 0)}",
                )
            )
    per_account: dict[str, int] = defaultdict(int)
    for (account, shard), value in balances.items():
        per_account[account] += value
        if value < 0 and not accounts.may_go_negative(account):
            out.append(Violation(3, f"{account} shard {shard} is {value}"))
        if value > 0 and account.startswith("debt:"):
            out.append(Violation(10, f"{account} is {value}: a debt paid back beyond what was owed"))
    month_things = {key: set(things) for key, things in flattrs.items()}
    out += [Violation(n, detail) for n, detail in settled.check(month_things, closes, born)]
    out += [Violation(9, f"{what} is zero cents") for what in zero]
    out += out_of_scan
    out += check_counters(entries, counted)
    return out


TALLY_LAG = 300  # seconds the stream tally may trail the cards (it takes about one on AWS)


def _card(raw: dict) -> cards.Month:
    """A month card from a scan's raw item."""
    return cards.parse(raw["pk"]["S"][len("USER#") :], raw["sk"]["S"][len(cards.PREFIX) :], raw)


def check_counters(
    entries: list[cards.Entry], counted: dict[str, ThingCount], lag: int | None = None
) -> list[Violation]:
    """Invariant 6 for the derived counters: each thing's counter (total and each month) equals
    the flattrs on the cards, give or take the flattrs of the last `lag` seconds the stream may
    not have brought yet. A counter above its cards counted a flattr twice."""
    lag = TALLY_LAG if lag is None else lag
    horizon = int(now().timestamp()) - lag
    source: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # thing -> [all, older than lag]
    source_months: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        settled = 1 if e.at <= horizon else 0
        month = _month_of(e.at)
        for row in (source[e.thing_id], source_months[(e.thing_id, month)]):
            row[0] += 1
            row[1] += settled
    out: list[Violation] = []
    for thing_id in sorted(set(source) | set(counted)):
        c = counted.get(thing_id)
        total = int(c.total or 0) if c else 0
        months = {m: int(n) for m, n in (c.months.as_dict() if c and c.months else {}).items()}
        out += _compare(f"thing {thing_id}", total, source.get(thing_id, [0, 0]))
        for m in sorted({m for t, m in source_months if t == thing_id} | set(months)):
            out += _compare(
                f"thing {thing_id} {m}", months.get(m, 0), source_months.get((thing_id, m), [0, 0])
            )
    return out


def _compare(what: str, counter: int, source: list[int]) -> list[Violation]:
    everything, settled = source
    if settled <= counter <= everything:
        return []
    return [Violation(6, f"{what}: counter says {counter}, {everything} flattrs on the cards")]


def _month_of(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m")
