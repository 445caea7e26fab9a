"""The audit: re-derive every balance and count from the immutable records and compare.

It reads the whole table (a Scan), so it runs as a job, never on a request path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..clock import now
from ..domain import accounts
from ..domain.money import fee_for, split, split_salt
from ..domain.months import previous
from . import cards
from .models import (
    Account,
    MonthClose,
    MonthProgress,
    Received,
    Settlement,
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
    transfers_by_prefix: dict[str, list[TransferItem]] = defaultdict(list)
    settlements: list[Settlement] = []
    flattrs: dict[tuple[str, str], list[str]] = {}  # (user, month) -> thing ids on the card
    entries: list[cards.Entry] = []  # every flattr, for the counters' check
    counted: dict[str, ThingCount] = {}
    received: dict[tuple[str, str], list[int]] = defaultdict(
        lambda: [0, 0]
    )  # (thing, month) -> flattrs, cents
    progress: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    closes: dict[str, MonthClose] = {}
    born: dict[str, str] = {}  # user -> created_month
    zero: list[str] = []
    out_of_scan: list[Violation] = []

    for raw in _scan_all():
        pk, sk = raw["pk"]["S"], raw["sk"]["S"]
        if sk == "USER":
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
            if t.kind in ("charge", "fee", "charity", "share") and t.month:
                transfers_by_prefix[f"{t.month}|{t.user_id}"].append(t)
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
        elif sk.startswith("SETTLE#") and "#STEP#" not in sk:
            settlements.append(Settlement.from_raw_data(raw))
        elif pk.startswith("RECEIVED#"):
            r = Received.from_raw_data(raw)
            row = received[(pk.split("#")[1], sk)]
            row[0] += int(r.flattrs or 0)
            row[1] += int(r.amount or 0)
            if not int(r.amount or 0):
                zero.append(f"received row {pk} {sk}")
        elif sk == "PROGRESS":
            p = MonthProgress.from_raw_data(raw)
            for name in ("users_total", "users_settled", "charged", "fees", "distributed", "charity"):
                progress[pk.split("#")[1]][name] += int(getattr(p, name) or 0)
        elif sk == "MONTH":
            close = MonthClose.from_raw_data(raw)
            closes[close.month] = close
        elif sk == "COUNT":
            counted[pk.split("#", 1)[1]] = ThingCount.from_raw_data(raw)

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
    out += _check_settlements(settlements, transfers_by_prefix, flattrs)
    out += _check_aggregates(settlements, transfers_by_prefix, flattrs, received, progress)
    out += _check_closed_months(settlements, flattrs, closes, progress, born)
    out += [Violation(9, f"{what} is zero cents") for what in zero]
    out += out_of_scan
    out += check_counters(entries, counted)
    return out


def _check_settlements(settlements, transfers_by_prefix, flattrs) -> list[Violation]:
    out: list[Violation] = []
    for s in settlements:
        if s.status != "done":
            continue
        who = f"{s.user_id} {s.month}"
        ts = transfers_by_prefix.get(f"{s.month}|{s.user_id}", [])
        by_kind: dict[str, list[TransferItem]] = defaultdict(list)
        for t in ts:
            by_kind[t.kind].append(t)
        charged = sum(int(t.amount) for t in by_kind["charge"])
        if len(by_kind["charge"]) > 1 or charged != int(s.charged):
            out.append(
                Violation(
                    4,
                    f"{who}: charged {charged} in {len(by_kind['charge'])} transfers, "
                    f"the record says {s.charged}",
                )
            )
        fee = sum(int(t.amount) for t in by_kind["fee"])
        if fee != int(s.fee) or (s.things and fee != fee_for(int(s.charged), int(s.fee_bps))):
            out.append(Violation(5, f"{who}: fee {fee}, expected {fee_for(int(s.charged), int(s.fee_bps))}"))
        shares = {t.thing_id: int(t.amount) for t in by_kind["share"]}
        if len(shares) != len(by_kind["share"]):
            out.append(Violation(4, f"{who}: a thing was paid twice"))
        month_flattrs = flattrs.get((s.user_id, s.month), [])
        if int(s.things) != len(month_flattrs):
            out.append(Violation(7, f"{who}: {len(month_flattrs)} flattrs, {s.things} settled"))
        if month_flattrs:
            expected = split(
                int(s.distributed),
                sorted(month_flattrs),
                salt=split_salt(s.user_id, s.month),
            )
            if int(s.distributed) != int(s.charged) - int(s.fee):
                out.append(Violation(5, f"{who}: distributed {s.distributed} != charged - fee"))
            paid = {k: v for k, v in expected.items() if v}
            if shares != paid:
                missing = sorted(set(paid) - set(shares))
                out.append(Violation(7 if missing else 5, f"{who}: shares paid {shares}, expected {paid}"))
        charity = sum(int(t.amount) for t in by_kind["charity"])
        if charity != int(s.charity) or charged != fee + sum(shares.values()) + charity:
            out.append(
                Violation(4, f"{who}: {charged} charged but {fee + sum(shares.values()) + charity} paid out")
            )
    return out


def _check_aggregates(settlements, transfers_by_prefix, flattrs, received, progress) -> list[Violation]:
    """What statements and the month view show must be what the ledger says."""
    out: list[Violation] = []
    paid: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in settlements:
        if s.status != "done":
            continue
        totals = months[s.month]
        totals["users_settled"] += 1
        totals["charged"] += int(s.charged)
        totals["fees"] += int(s.fee)
        totals["distributed"] += int(s.distributed)
        totals["charity"] += int(s.charity)
        for t in transfers_by_prefix.get(f"{s.month}|{s.user_id}", []):
            if t.kind == "share":  # a flattr paid nothing (fewer cents than things) is not received
                paid[(t.thing_id, s.month)][0] += 1
                paid[(t.thing_id, s.month)][1] += int(t.amount)
    for key in sorted(set(paid) | set(received)):
        if list(received.get(key, [0, 0])) != list(paid.get(key, [0, 0])):
            out.append(
                Violation(
                    6,
                    f"thing {key[0]} {key[1]}: statements say (flattrs, cents) = "
                    f"{tuple(received.get(key, [0, 0]))}, the ledger {tuple(paid.get(key, [0, 0]))}",
                )
            )
    names = ("users_settled", "charged", "fees", "distributed", "charity")
    for month in sorted(set(months) | set(progress)):
        shown = {k: progress.get(month, {}).get(k, 0) for k in names}
        expected = {k: months.get(month, {}).get(k, 0) for k in names}
        if shown != expected:
            out.append(
                Violation(4, f"month {month}: progress shows {shown}, settlements add up to {expected}")
            )
    return out


def _check_closed_months(settlements, flattrs, closes, progress, born) -> list[Violation]:
    """Every flattr of a closed month belongs to a user settled in it (and was paid, which
    _check_settlements sees); a month that took a user's money came after their earlier months."""
    out: list[Violation] = []
    status = {(s.user_id, s.month): s.status for s in settlements}
    closed = {
        m
        for m, c in closes.items()
        if int(c.segments_done or 0) >= int(c.segments)
        and progress.get(m, {}).get("users_settled", 0) >= progress.get(m, {}).get("users_total", 0)
    }
    for (user_id, month), month_flattrs in sorted(flattrs.items()):
        if month_flattrs and month in closed and status.get((user_id, month)) != "done":
            out.append(
                Violation(
                    7,
                    f"{user_id} {month}: {len(month_flattrs)} flattrs of a closed month, "
                    f"the user's settlement is {status.get((user_id, month), 'missing')}",
                )
            )
    for (user_id, month), state in sorted(status.items()):
        prev = previous(month)
        if (
            state != "pending"
            and prev in closes
            and born.get(user_id, "") <= prev
            and status.get((user_id, prev)) != "done"
        ):
            out.append(
                Violation(
                    8,
                    f"{user_id}: {month} took money while {prev} is "
                    f"{status.get((user_id, prev), 'unsettled')}",
                )
            )
    return out


# ---------------------------------------------------------------- the month cards and the tally

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
