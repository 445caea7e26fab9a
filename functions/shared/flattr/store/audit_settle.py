"""The audit's view of settlement: records, pages and their folds, against the ledger.

A settlement record stands for the transfers of a user's month: its charge (funds -> the page's
clearing shard, applied with the record) and its fee, charity and shares (clearing -> fees,
charity, revenue), applied by its page's fold. So the audit derives balances from the records
and from the fold transactions that happened (their markers), recomputing each fold's chunks from
the records exactly as the fold cuts them; every folded aggregate (revenue, fees, charity, what
each thing received, the month's progress) must equal what its records say.

`SettleAudit.take` is handed every scanned item; `post` adds the derived legs to the audit's
balances; `check` returns the violations (as (invariant, detail) pairs).
"""

from __future__ import annotations

from collections import defaultdict

from ..domain import accounts
from ..domain.money import fee_for, split, split_salt
from ..domain.months import previous
from . import calendar, fold
from .models import MonthClose, MonthProgress, Page, Received, Settlement, TransferItem

SETTLE_KINDS = ("charge", "fee", "charity", "share")


class SettleAudit:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Settlement] = {}  # (user, month) -> record
        self.pages: dict[tuple[str, str], int] = {}  # (month, page) -> users listed
        self.markers: set[tuple[str, str, str]] = set()  # (month, page, chunk)
        self.received: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.progress: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.loose: list[TransferItem] = []  # settlement transfers outside any record
        self.zero: list[str] = []
        self._expected_received: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self._expected_progress: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._folded: set[tuple[str, str]] = set()
        self._plans: dict[tuple[str, str], list[Settlement]] = {}

    # ------------------------------------------------------------ collecting

    def take(self, pk: str, sk: str, raw: dict) -> bool:
        """Keep the item if it is settlement's; False if it is not."""
        if pk.startswith("USER#") and sk.startswith("SETTLE#"):
            r = Settlement.from_raw_data(raw)
            self.records[(r.user_id, r.month)] = r
        elif pk.startswith("MONTH#") and sk.startswith("PAGE#"):
            p = Page.from_raw_data(raw)
            self.pages[(p.month, sk[len("PAGE#") :])] = len(p.users or [])
        elif pk.startswith("FOLD#"):
            _, month, page = pk.split("#", 2)
            self.markers.add((month, page, sk))
        elif pk.startswith("RECEIVED#"):
            r = Received.from_raw_data(raw)
            row = self.received[(pk.split("#")[1], sk)]
            row[0] += int(r.flattrs or 0)
            row[1] += int(r.amount or 0)
            if not int(r.amount or 0):
                self.zero.append(f"received row {pk} {sk}")
        elif sk == "PROGRESS":
            p = MonthProgress.from_raw_data(raw)
            for name in (*calendar.PROGRESS, "pages_total", "pages_folded"):
                self.progress[pk.split("#")[1]][name] += int(getattr(p, name) or 0)
        else:
            return False
        return True

    def transfer(self, t: TransferItem) -> None:
        """A transfer item: settlement's transfers live in records, never as items."""
        if t.kind in SETTLE_KINDS and t.month:
            self.loose.append(t)
            if t.kind == "share":
                row = self._expected_received[(t.thing_id, t.month)]
                row[0] += 1
                row[1] += int(t.amount)

    # ------------------------------------------------------------ the ledger they stand for

    def post(self, derived: dict[tuple[str, int], int]) -> None:
        """Add the records' charges and the folds' transactions that happened to `derived`."""
        by_page: dict[tuple[str, str], list[Settlement]] = defaultdict(list)
        for r in self.records.values():
            if int(r.charged or 0):
                derived[(accounts.funds(r.user_id), 0)] -= int(r.charged)
                derived[fold.clearing_shard(r.month, r.page or "", r.user_id)] += int(r.charged)
            by_page[(r.month, r.page or "")].append(r)
        for month, page in sorted(set(self.pages) | set(by_page)):
            users = 1 if fold.is_solo(page) else self.pages.get((month, page), 0)
            chunks = fold.plan(month, page, by_page.get((month, page), []), users)
            for chunk in chunks:
                if (month, page, chunk.name) not in self.markers:
                    continue
                for key, delta in chunk.money.items():
                    derived[key] += delta
                for (thing_id, _), (n, cents) in chunk.received.items():
                    row = self._expected_received[(thing_id, month)]
                    row[0] += n
                    row[1] += cents
                for name, value in (chunk.progress or {}).items():
                    self._expected_progress[month][name] += value
            if (month, page, fold.DONE) in self.markers:
                self._folded.add((month, page))
        for (month, page), users in self.pages.items():
            if users:
                self._expected_progress[month]["users_total"] += users
                self._expected_progress[month]["pages_total"] += 1
        self._plans = by_page

    # ------------------------------------------------------------ the checks

    def check(
        self,
        flattrs: dict[tuple[str, str], set[str]],
        closes: dict[str, MonthClose],
        born: dict[str, str],
    ) -> list[tuple[int, str]]:
        """`flattrs`: (user, month) -> the things flattred; `closes`: month -> its close;
        `born`: user -> created_month. Call after `post`."""
        out: list[tuple[int, str]] = []
        for r in self.records.values():
            out += _check_record(r, flattrs.get((r.user_id, r.month), set()))
        out += self._check_folds()
        out += [
            (4, f"transfer {t.transfer_id}: a settlement transfer outside its record") for t in self.loose
        ]
        out += self._check_aggregates()
        out += self._check_closed(flattrs, closes)
        out += self._check_order(closes, born)
        out += [(9, f"{what} is zero cents") for what in self.zero]
        return out

    def _check_folds(self) -> list[tuple[int, str]]:
        """Every page folded once, and only as its records say."""
        out = []
        for (month, page), records in sorted(self._plans.items()):
            if (month, page) not in self.pages and not fold.is_solo(page):
                out.append((4, f"{month} page {page}: {len(records)} records of a page never recorded"))
        for month, page, chunk in sorted(self.markers):
            if (month, page) not in self.pages and (month, page) not in self._plans:
                out.append((4, f"{month} page {page}: folded ({chunk}), but no such page"))
                continue
            names = [c.name for c in fold.plan(month, page, self._plans.get((month, page), []), 0)]
            if chunk not in names:
                out.append((4, f"{month} page {page}: fold step {chunk} that its records do not explain"))
            elif chunk == fold.DONE and not all((month, page, n) in self.markers for n in names):
                out.append((4, f"{month} page {page}: folded, but steps of its fold are missing"))
        return out

    def _check_aggregates(self) -> list[tuple[int, str]]:
        out = []
        for key in sorted(set(self.received) | set(self._expected_received)):
            shown, paid = self.received.get(key, [0, 0]), self._expected_received.get(key, [0, 0])
            if list(shown) != list(paid):
                out.append(
                    (
                        6,
                        f"thing {key[0]} {key[1]}: statements say (flattrs, cents) = {tuple(shown)}, "
                        f"its settlements {tuple(paid)}",
                    )
                )
        names = (*calendar.PROGRESS, "pages_total", "pages_folded")
        for month in sorted(set(self.progress) | set(self._expected_progress)):
            shown = {k: self.progress.get(month, {}).get(k, 0) for k in names}
            expected = {k: self._expected_progress.get(month, {}).get(k, 0) for k in names}
            if shown != expected:
                out.append(
                    (4, f"month {month}: progress shows {shown}, its pages and folds add up to {expected}")
                )
        return out

    def _check_closed(self, flattrs, closes) -> list[tuple[int, str]]:
        """A closed month: every flattr's user settled, every settled user's page folded."""
        out = []
        closed = {
            m for m, c in closes.items() if calendar.is_closed(c, self.progress.get(m, defaultdict(int)))
        }
        for (user_id, month), things in sorted(flattrs.items()):
            if month in closed and (user_id, month) not in self.records:
                out.append((7, f"{user_id} {month}: {len(things)} flattrs of a closed month, never settled"))
        for (user_id, month), r in sorted(self.records.items()):
            if month in closed and (month, r.page or "") not in self._folded:
                out.append(
                    (7, f"{user_id} {month}: settled, but page {r.page} of a closed month is not folded")
                )
        return out

    def _check_order(self, closes, born) -> list[tuple[int, str]]:
        out = []
        for user_id, month in sorted(self.records):
            prev = previous(month)
            if prev in closes and born.get(user_id, "") <= prev and (user_id, prev) not in self.records:
                out.append((8, f"{user_id}: {month} took money while {prev} is unsettled"))
        return out


def _check_record(r: Settlement, things: set[str]) -> list[tuple[int, str]]:
    """One record against its month's flattrs and the rules of the split (invariants 4, 5, 7, 9)."""
    who = f"{r.user_id} {r.month}"
    charged, fee, charity = int(r.charged or 0), int(r.fee or 0), int(r.charity or 0)
    shares, redirected = fold.decode(r.shares), fold.decode(r.redirected)
    paid = {s.thing_id: s.cents for s in shares + redirected}
    out = []
    if len(paid) != len(shares) + len(redirected):
        out.append((4, f"{who}: a thing was paid twice"))
    if int(r.distributed or 0) != sum(s.cents for s in shares):
        out.append(
            (5, f"{who}: distributed {r.distributed}, its shares sum to {sum(s.cents for s in shares)}")
        )
    if charged != fee + int(r.distributed or 0) + charity:
        out.append((4, f"{who}: {charged} charged but {fee + int(r.distributed or 0) + charity} paid out"))
    if int(r.things or 0) != len(things):
        out.append((7, f"{who}: {len(things)} flattrs, {r.things} settled"))
    if things:
        if fee != fee_for(charged, int(r.fee_bps or 0)):
            out.append((5, f"{who}: fee {fee}, expected {fee_for(charged, int(r.fee_bps or 0))}"))
        expected = split(charged - fee, sorted(things), salt=split_salt(r.user_id, r.month))
        if paid != expected:
            missing = sorted(set(expected) - set(paid))
            out.append((7 if missing else 5, f"{who}: shares {paid}, expected {expected}"))
        if charity != sum(s.cents for s in redirected):
            out.append((5, f"{who}: charity {charity}, but {sum(s.cents for s in redirected)} redirected"))
    elif fee or shares or redirected:
        out.append((5, f"{who}: a month without flattrs paid a fee or shares"))
    out += [
        (9, f"{who}: a zero-cent share of thing {s.thing_id}") for s in shares + redirected if s.cents <= 0
    ]
    return out
