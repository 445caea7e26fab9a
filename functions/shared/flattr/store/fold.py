"""A page's fold: its users' settlement records, summed, moved on exactly once.

Settling a user writes one immutable record with its shares, and takes the charge from the user's
funds (store.settlement): until its page folds, the record holds that money, in transit to the
month's clearing account. Once a page of the close's scan is settled, its fold reads the page's
records (BatchGetItem) and
- writes one entry per creator its users paid (store.credits: what they gave, per thing, and who
  gave), immutable, the same however often the fold runs;
- then, in ONE transaction guarded by a marker with a deterministic key (`FOLD#<month>#<page>`,
  `DONE`): the page's shares into the month's clearing account (in each creator part's shard),
  its fees and charity to the platform, and the month's progress.
The creators' fold then credits creators from the entries, once per creator (store.credits).

A user settled outside the scan (a job sent by hand, a month settled late: a "solo" page) is
credited directly instead: its fold's transactions (`CHUNK#<k>`, the last `DONE`) credit revenue,
what each thing received, fees, charity and progress, from the record's transit.

The plan is a pure function of the page's records, which never change once written, so every run
of the fold, and the audit, cut the same transactions. A user the fold finds unsettled is settled
first (settling is idempotent); so a lost or late settle job never leaves its page unfolded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..domain import accounts
from . import credits, ledger, wire
from .models import Marker, MonthProgress, Page, Received, Settlement
from .tx import Cancelled, Tx

CHUNK_OPS = 96  # a solo page's credits and received rows per transaction: with the marker, the
# fees, the charity and the progress, <= 100 items
DONE = "DONE"
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


@dataclass
class Chunk:
    """One transaction of a fold: money out of the records' transit, by (account, shard)."""

    name: str  # the marker's sort key
    money: dict[tuple[str, int], int] = field(default_factory=dict)  # (account, shard) -> credit
    received: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (thing, shard) -> n, cents
    progress: dict[str, int] | None = None


@dataclass
class Entry:
    """What a page's users paid one creator: the creators' fold credits it (store.credits)."""

    cents: int = 0
    things: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    givers: set[str] = field(default_factory=set)


@dataclass
class Plan:
    chunks: list[Chunk]
    entries: dict[str, Entry]  # owner -> entry (none on a solo page: it credits directly)


def plan(month: str, page: str, records: Iterable[Record | Settlement], users: int, parts: int = 1) -> Plan:
    """The fold of `page`: the sums of its records, as entries and transactions. Deterministic.
    `parts`: the close's parts (store.credit_models.parts_for), recorded with the page."""
    records = sorted(records, key=lambda r: r.user_id)
    totals = dict.fromkeys(PROGRESS, 0)
    for r in records:
        for name, value in (
            ("charged", r.charged),
            ("fees", r.fee),
            ("distributed", r.distributed),
            ("charity", r.charity),
        ):
            totals[name] += int(value or 0)
    platform: dict[tuple[str, int], int] = defaultdict(int)
    for account, amount in ((accounts.FEES, totals["fees"]), (accounts.CHARITY, totals["charity"])):
        if amount:
            platform[(account, accounts.shard_for(account, page))] += amount
    entries: dict[str, Entry] = {}
    if is_solo(page):
        chunks = _direct(records, page, dict(platform))
    else:
        money: dict[tuple[str, int], int] = defaultdict(int, platform)
        for r in records:
            for s in decode(r.shares):
                entry = entries.setdefault(s.owner_id, Entry())
                entry.cents += s.cents
                entry.things[s.thing_id][0] += 1
                entry.things[s.thing_id][1] += s.cents
                entry.givers.add(r.user_id)
                money[credits.clearing_shard(month, credits.part_of(s.owner_id, parts))] += s.cents
        chunks = [Chunk(DONE, money={k: v for k, v in sorted(money.items()) if v})]
    chunks[-1].progress = {**totals, "users_settled": users, "pages_folded": 1}
    if is_solo(page):  # never recorded: counted into the month as it folds
        chunks[-1].progress |= {"users_total": users, "pages_total": 1}
    return Plan(chunks, entries)


def received_shard(page: str, thing_id: str) -> int:
    """A solo page adds to one of the shards the creators' fold never writes (it writes its own
    whole, store.credits.RECEIVED_SHARD)."""
    return 1 + accounts.spread(f"{page}|{thing_id}", Received.SHARDS - 1)


def _direct(
    records: list[Record | Settlement], page: str, platform: dict[tuple[str, int], int]
) -> list[Chunk]:
    """A solo page's transactions: each share straight to its owner's revenue."""
    money: dict[tuple[str, int], int] = defaultdict(int)
    received: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        for s in decode(r.shares):
            account = accounts.revenue(s.owner_id)
            money[(account, accounts.shard_for(account, page))] += s.cents
            row = received[(s.thing_id, received_shard(page, s.thing_id))]
            row[0] += 1
            row[1] += s.cents
    ops: list[tuple[str, tuple, object]] = [("money", k, v) for k, v in sorted(money.items())]
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
        chunks.append(chunk)
    for key, amount in platform.items():
        chunks[-1].money[key] = chunks[-1].money.get(key, 0) + amount
    return chunks


def record_page(month: str, page: str, users: list[str], next_start: dict | None, parts: int) -> Page:
    """Record a page of users once, counted into the month with it; the page as first recorded."""
    item = Page(
        *Page.key(month, page),
        month=month,
        users=users,
        parts=parts,
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


@dataclass(frozen=True)
class Record:
    """A settlement record as a fold reads it: only what its plan (and the audit's) uses."""

    user_id: str
    page: str | None
    charged: int
    fee: int
    distributed: int
    charity: int
    shares: list[str]

    @staticmethod
    def of(item: dict) -> Record:
        def number(name: str) -> int:
            return int(item[name]["N"]) if "N" in item.get(name, {}) else 0

        return Record(
            item["user_id"]["S"],
            item.get("page", {}).get("S"),
            *(number(name) for name in ("charged", "fee", "distributed", "charity")),
            [v["S"] for v in item.get("shares", {}).get("L", [])],
        )


_READ = ("user_id", "page", "charged", "fee", "distributed", "charity", "shares")


def records(month: str, user_ids: list[str]) -> dict[str, Record]:
    """The users' records of the month, strongly consistent, one BatchGetItem per 100 keys: the
    attributes a fold reads, not whole items."""
    items = wire.get_many((Settlement.key(u, month) for u in user_ids), _READ)
    return {record.user_id: record for record in map(Record.of, items)}


def fold_page(
    month: str,
    page: str,
    settle: Callable[[str], object],
    users: list[str] | None = None,
    parts: int | None = None,
) -> bool:
    """Fold `page` once its users are settled (`settle(user_id)` settles one). False: already folded.
    `users` and `parts`: the page's users and the close's parts as recorded (read from the page
    when not given)."""
    if folded(month, page):
        return False
    if users is None or (parts is None and not is_solo(page)):
        recorded = Page.get(*Page.key(month, page), consistent_read=True)
        users, parts = list(recorded.users), int(recorded.parts or 1)
    found = records(month, users)
    missing = [u for u in users if u not in found]
    for user_id in missing:
        settle(user_id)
    if missing:
        found.update(records(month, missing))
    mine = [r for r in found.values() if r.page == page]  # one settled on its own is folded there
    folding = plan(month, page, mine, len(users), parts or 1)
    write_entries(month, page, folding.entries, parts or 1)  # before the page is said to be folded
    for chunk in folding.chunks:
        apply(month, page, chunk)
    return True


def write_entries(month: str, page: str, entries: dict[str, Entry], parts: int) -> None:
    wire.put_many(
        [
            credits.entry_item(
                month, owner_id, page, parts, e.cents, credits.entry_things(e.things), sorted(e.givers)
            )
            for owner_id, e in sorted(entries.items())
        ]
    )


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
