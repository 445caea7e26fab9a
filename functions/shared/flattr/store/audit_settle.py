"""The audit's view of settlement, as facts: records, pages and their folds, against the ledger.

A settlement record stands for the transfers of a user's month: its charge (funds -> the page's
clearing shard, applied with the record) and its fee, charity and shares (clearing -> fees,
charity, revenue), applied by its page's fold. So the audit derives balances from the records and
from the fold transactions that happened (their markers), recomputing each fold's chunks from the
records exactly as the fold cuts them (`fold.plan`); every folded aggregate (revenue, fees,
charity, what each thing received, the month's progress) must equal what its records say.

A record is checked against its user's card where both live (the USER#<u> partition, see
store.audit_facts.UserMonths); a page's fold is recomputed when the map step meets the page
(one BatchGet of its records and one Query of its markers); a record settled on its own ("solo")
is folded alone, so it is recomputed where the record is met.
"""

from __future__ import annotations

from ..domain import accounts
from ..domain.money import fee_for, split, split_salt
from . import calendar, fold
from .models import Marker, Page, Settlement

SETTLE_KINDS = ("charge", "fee", "charity", "share")
PROGRESS = (*calendar.PROGRESS, "pages_total", "pages_folded")


def acct_key(account: str, shard: int) -> str:
    return f"acct|{account}|{shard}"


def page_key(month: str, page: str) -> str:
    return f"page|{month}|{page}"


def check_record(r: Settlement, things: set[str]) -> list[tuple[int, str]]:
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


def record(r: Settlement, facts) -> None:
    """A record's own facts: its charge, the page it claims, and a solo page's fold."""
    page = r.page or ""
    if int(r.charged or 0):
        facts.add(acct_key(accounts.funds(r.user_id), 0), expected=-int(r.charged))
        facts.add(acct_key(*fold.clearing_shard(r.month, page, r.user_id)), expected=int(r.charged))
    facts.add(page_key(r.month, page), rec=1)
    if fold.is_solo(page):
        fold_facts(r.month, page, [r], 1, _markers(r.month, page), facts)


def _markers(month: str, page: str) -> set[str]:
    pk = Page.fold_key(month, page, "")[0]
    return {m.sk for m in Marker.query(pk, consistent_read=True, attributes_to_get=["pk", "sk"])}


def fold_facts(
    month: str, page: str, records: list[Settlement], users: int, markers: set[str], facts
) -> None:
    """The transactions of `page`'s fold that happened (their markers), as facts."""
    chunks = fold.plan(month, page, records, users)
    names = [c.name for c in chunks]
    for chunk in chunks:
        if chunk.name not in markers:
            continue
        for (account, shard), delta in chunk.money.items():
            facts.add(acct_key(account, shard), expected=delta)
        for (thing_id, _), (n, cents) in chunk.received.items():
            facts.add(f"recv|{thing_id}|{month}", paid_n=n, paid=cents)
        facts.add(f"month|{month}", **{f"e_{k}": v for k, v in (chunk.progress or {}).items()})
    for name in sorted(markers - set(names)):
        facts.violation(4, f"{month} page {page}: fold step {name} that its records do not explain")
    if fold.DONE in markers:
        if not all(name in markers for name in names):
            facts.violation(4, f"{month} page {page}: folded, but steps of its fold are missing")
        facts.add(page_key(month, page), folded=1)


def page(raw: dict, facts) -> None:
    facts.defer(_fold_pages, raw)


def _fold_pages(raws: list[dict], facts) -> None:
    """Each recorded page: its records read again (one BatchGet), its fold recomputed."""
    for raw in raws:
        p = Page.from_raw_data(raw)
        name, users = raw["sk"]["S"][len("PAGE#") :], list(p.users or [])
        facts.add(page_key(p.month, name), page=1)
        if users:
            facts.add(f"month|{p.month}", e_users_total=len(users), e_pages_total=1)
        mine = [r for r in fold.records(p.month, users).values() if (r.page or "") == name]
        facts.add(page_key(p.month, name), listed=len(mine))
        fold_facts(p.month, name, mine, len(users), _markers(p.month, name), facts)


def marker(raw: dict, facts) -> None:
    _, month, name = raw["pk"]["S"].split("#", 2)
    facts.add(page_key(month, name), marker=1)


def transfer(raw: dict, facts, s, n) -> None:
    """A transfer item of a settlement's kind: settlement's transfers live in records, never as items."""
    kind, month = s(raw, "kind"), s(raw, "month")
    if kind not in SETTLE_KINDS or not month:
        return
    facts.violation(4, f"transfer {s(raw, 'transfer_id')}: a settlement transfer outside its record")
    if kind == "share":
        facts.add(f"recv|{s(raw, 'thing_id')}|{month}", paid_n=1, paid=n(raw, "amount"))


def check_page(month: str, name: str, c: dict[str, int], closed: bool):
    """Every page folded once, only as its records say; a closed month's pages all folded."""
    rec = c.get("rec", 0)
    if not fold.is_solo(name):
        if rec and not c.get("page"):
            yield 4, f"{month} page {name}: {rec} records of a page never recorded"
        elif c.get("marker") and not c.get("page"):
            yield 4, f"{month} page {name}: folded, but no such page"
        elif c.get("page") and rec != c.get("listed", 0):
            yield 4, f"{month} page {name}: {rec} records name it, {c.get('listed', 0)} of its users"
    if rec and closed and not c.get("folded"):
        yield 7, f"{month} page {name}: {rec} users settled, but the page of a closed month is not folded"
