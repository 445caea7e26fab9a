"""A page's fold: its users' settlement records, summed, credited exactly once.

Settling a user writes one immutable record with its shares, and moves the charge from the user's
funds into the month's clearing account (store.settlement). Creator revenue, the platform's fees
and charity, what each thing received and the month's progress are not written per user: once a
page of the close's scan is settled, its fold reads the page's records (BatchGetItem) and applies
their sums, in a few transactions. Each transaction moves its credits out of the page's clearing
shard and puts a marker with a deterministic key (`FOLD#<month>#<page>`, `CHUNK#<k>`, the last
`DONE`), so it happens once however often the fold runs, and a fold that stopped halfway resumes.

The plan is a pure function of the page's records, which never change once written, so every run
of the fold, and the audit, cut the same chunks. A user the fold finds unsettled is settled first
(settling is idempotent); so a lost or late settle job never leaves its page unfolded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..domain import accounts
from . import ledger
from .models import Marker, MonthProgress, Page, Received, Settlement
from .tx import Cancelled, Tx

CHUNK_OPS = 89  # credits and received rows per transaction; with the marker, up to
# CLEARING_PER_PAGE clearing debits and the progress, <= 100 items
DONE = "DONE"
CLEARING_PER_PAGE = 8  # clearing shards a page's charges spread over: none takes a whole page
PROGRESS = ("users_settled", "charged", "fees", "distributed", "charity", "pages_folded")  # folded


@dataclass(frozen=True)
class Share:
    thing_id: str
    owner_id: str
    cents: int


def encode(thing_id: str, owner_id: str, cents: int) -> str:
    return f"{thing_id}|{cents}|{owner_id}"  # the owner last: an id may hold any character


def decode(entries: Iterable[str] | None) -> list[Share]:
    out = []
    for entry in entries or []:
        thing_id, cents, owner_id = entry.split("|", 2)
        out.append(Share(thing_id, owner_id, int(cents)))
    return out


def solo(user_id: str) -> str:
    """The page of a user settled outside the close's scan (a job sent by hand, a late month).
    It is not recorded: its fold, right after the settlement, counts it into the month itself."""
    return f"solo.{user_id}"


def is_solo(page: str) -> bool:
    return page.startswith("solo.")


def clearing_shard(month: str, page: str, user_id: str) -> tuple[str, int]:
    """Where a user's charge waits for their page's fold: one of the page's few clearing shards."""
    account = accounts.clearing(month)
    return account, accounts.shard_for(account, f"{page}#{accounts.spread(user_id, CLEARING_PER_PAGE)}")


@dataclass
class Chunk:
    name: str  # the marker's sort key
    money: dict[tuple[str, int], int] = field(default_factory=dict)  # (account, shard) -> delta
    received: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (thing, shard) -> n, cents
    progress: dict[str, int] | None = None


def plan(month: str, page: str, records: Iterable[Settlement], users: int) -> list[Chunk]:
    """The fold of `page`: the sums of its records, cut into transactions. Deterministic."""
    credits: dict[tuple[str, int], int] = defaultdict(int)
    received: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    totals = dict.fromkeys(PROGRESS, 0)
    held: dict[tuple[str, int], int] = defaultdict(int)  # the page's money in clearing, by shard
    for r in sorted(records, key=lambda r: r.user_id):
        if int(r.charged or 0):
            held[clearing_shard(month, page, r.user_id)] += int(r.charged)
        for s in decode(r.shares):
            account = accounts.revenue(s.owner_id)
            credits[(account, accounts.shard_for(account, page))] += s.cents
            row = received[(s.thing_id, accounts.spread(f"{page}|{s.thing_id}", Received.SHARDS))]
            row[0] += 1
            row[1] += s.cents
        for name, value in (
            ("charged", r.charged),
            ("fees", r.fee),
            ("distributed", r.distributed),
            ("charity", r.charity),
        ):
            totals[name] += int(value or 0)
    for account, amount in ((accounts.FEES, totals["fees"]), (accounts.CHARITY, totals["charity"])):
        if amount:
            credits[(account, accounts.shard_for(account, page))] += amount
    ops: list[tuple[str, tuple, object]] = [("money", k, v) for k, v in sorted(credits.items())]
    ops += [("received", k, v) for k, v in sorted(received.items())]
    pieces = [ops[i : i + CHUNK_OPS] for i in range(0, len(ops), CHUNK_OPS)] or [[]]
    chunks = []
    for k, piece in enumerate(pieces):
        chunk = Chunk(DONE if k == len(pieces) - 1 else f"CHUNK#{k:03d}")
        for kind, key, value in piece:
            if kind == "money":
                chunk.money[key] = value
            else:
                chunk.received[key] = list(value)
        _take(held, sum(chunk.money.values()), chunk.money)
        chunks.append(chunk)
    chunks[-1].progress = {**totals, "users_settled": users, "pages_folded": 1}
    if is_solo(page):  # never recorded: counted into the month as it folds
        chunks[-1].progress |= {"users_total": users, "pages_total": 1}
    return chunks


def _take(held: dict[tuple[str, int], int], amount: int, into: dict[tuple[str, int], int]) -> None:
    """Debit `amount` from the page's clearing shards, in their order, each as far as it holds:
    every transaction of the fold moves out of clearing exactly what it credits."""
    for key in sorted(held):
        part = min(amount, held[key])
        if part > 0:
            into[key] = -part
            held[key] -= part
            amount -= part
    if amount:
        raise ValueError("a page's credits exceed what its users were charged")


def record_page(month: str, page: str, users: list[str], next_start: dict | None) -> Page:
    """Record a page of users once, counted into the month with it; the page as first recorded."""
    item = Page(
        *Page.key(month, page),
        month=month,
        users=users,
        next_start=json.dumps(next_start, sort_keys=True) if next_start else None,
    )
    tx = Tx().put(item, condition=Page.pk.does_not_exist(), label="page")
    if users:
        tx.update(
            progress_shard(month, page),
            [MonthProgress.users_total.add(len(users)), MonthProgress.pages_total.add(1)],
        )
    try:
        tx.commit()
        return item
    except Cancelled as exc:
        if "page" not in exc.failed:
            raise
    return Page.get(*Page.key(month, page), consistent_read=True)  # a twin recorded it first


def progress_shard(month: str, page: str) -> MonthProgress:
    return MonthProgress(*MonthProgress.key(month, accounts.spread(page, MonthProgress.SHARDS)))


def folded(month: str, page: str) -> bool:
    try:
        Marker.get(*Page.fold_key(month, page, DONE), consistent_read=True, attributes_to_get=["pk"])
        return True
    except Marker.DoesNotExist:
        return False


def records(month: str, user_ids: list[str]) -> dict[str, Settlement]:
    keys = [Settlement.key(u, month) for u in dict.fromkeys(user_ids)]
    return {r.user_id: r for r in Settlement.batch_get(keys, consistent_read=True)}


def fold_page(month: str, page: str, settle: Callable[[str], object], users: list[str] | None = None) -> bool:
    """Fold `page` once its users are settled (`settle(user_id)` settles one). False: already folded.
    `users`: the page's users as recorded (read from the page when not given)."""
    if folded(month, page):
        return False
    if users is None:
        users = list(Page.get(*Page.key(month, page), consistent_read=True).users)
    found = records(month, users)
    missing = [u for u in users if u not in found]
    for user_id in missing:
        settle(user_id)
    if missing:
        found.update(records(month, missing))
    mine = [r for r in found.values() if r.page == page]  # one settled on its own is folded there
    for chunk in plan(month, page, mine, len(users)):
        apply(month, page, chunk)
    return True


def apply(month: str, page: str, chunk: Chunk) -> bool:
    """One transaction of a fold, at most once. False if it had happened."""
    tx = Tx()
    ledger.guard(tx, *Page.fold_key(month, page, chunk.name))
    ledger.add_changes(tx, chunk.money)
    for (thing_id, shard), (flattrs, cents) in sorted(chunk.received.items()):
        tx.update(
            Received(*Received.key(thing_id, shard, month)),
            [Received.flattrs.add(flattrs), Received.amount.add(cents)],
        )
    if chunk.progress is not None:
        actions = [getattr(MonthProgress, k).add(v) for k, v in chunk.progress.items() if v]
        tx.update(progress_shard(month, page), actions)
    try:
        tx.commit()
    except Cancelled as exc:
        if "guard" in exc.failed:
            return False
        raise
    return True
