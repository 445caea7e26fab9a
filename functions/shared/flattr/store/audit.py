"""The audit: re-derive every balance and count from the immutable records and compare.

It reads the whole table (a Scan), so it runs as a job, never on a request path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..domain import accounts
from .audit_settle import SettleAudit
from .models import (
    Account,
    Flattr,
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
    flattrs: dict[tuple[str, str], list[Flattr]] = defaultdict(list)
    counted: dict[str, tuple[int, dict[str, int]]] = {}
    flattr_totals: dict[str, int] = defaultdict(int)
    flattr_months: dict[tuple[str, str], int] = defaultdict(int)
    closes: dict[str, MonthClose] = {}
    born: dict[str, str] = {}  # user -> created_month
    zero: list[str] = []

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
        elif sk.startswith("FLATTR#"):
            f = Flattr.from_raw_data(raw)
            flattrs[(pk[len("USER#") :], f.month)].append(f)
            flattr_totals[f.thing_id] += 1
            flattr_months[(f.thing_id, f.month)] += 1
        elif sk == "MONTH":
            close = MonthClose.from_raw_data(raw)
            closes[close.month] = close
        elif sk == "COUNT":
            c = ThingCount.from_raw_data(raw)
            thing_id = pk.split("#")[1]
            total, months = counted.get(thing_id, (0, {}))
            for m, n in (c.months.as_dict() if c.months else {}).items():
                months[m] = months.get(m, 0) + int(n)
            counted[thing_id] = (total + int(c.total or 0), months)

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
    month_things = {key: {f.thing_id for f in fs} for key, fs in flattrs.items()}
    out += [Violation(n, detail) for n, detail in settled.check(month_things, closes, born)]
    out += [Violation(9, f"{what} is zero cents") for what in zero]
    for thing_id in sorted(set(counted) | set(flattr_totals)):
        total_count, months = counted.get(thing_id, (0, {}))
        if total_count != flattr_totals.get(thing_id, 0):
            out.append(
                Violation(
                    6,
                    f"thing {thing_id}: counter says {total_count}, "
                    f"{flattr_totals.get(thing_id, 0)} flattrs exist",
                )
            )
        for m, n in months.items():
            if n != flattr_months.get((thing_id, m), 0):
                out.append(
                    Violation(
                        6,
                        f"thing {thing_id} {m}: counter says {n}, "
                        f"{flattr_months.get((thing_id, m), 0)} flattrs exist",
                    )
                )
    return out
