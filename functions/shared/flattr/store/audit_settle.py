"""The audit's view of settlement, as facts: records, pages, their folds and the creators' fold.

A settlement record stands for the transfers of a user's month: its charge (funds -> the month's
clearing account, held by the record in transit until its page folds) and its fee, charity and
shares. A page's fold moves its records' money into the clearing account (the creators' parts),
the fees and the charity, and writes each creator's entry; the creators' fold credits each
creator from clearing (a chunk marker names what it credited). A solo page credits directly.
So the audit derives balances from the records, from the fold transactions that happened (their
markers, each page's recomputed from its records exactly as the fold cuts them, `fold.plan`), and
from the creators' chunk markers; every folded aggregate must equal what its records say:
  credit|<month>|<owner>   rec (the records' shares), entries (the entries), credited (the chunks)
  recv|<thing>|<month>     paid (the records' shares), shown (what statements show)
  total                    balances, with money in transit counted where it is

A record is checked against its user's card where both live (the USER#<u> partition, see
store.audit_facts.UserMonths); a page's fold is recomputed when the map step meets the page
(one BatchGet of its records and one Query of its markers); a record settled on its own ("solo")
is folded alone, so it is recomputed where the record is met.
"""

from __future__ import annotations

from ..domain import accounts
from ..domain.money import fee_for, split, split_salt
from . import calendar, credits, fold
from .credit_models import CreditEntry, CreditMark
from .models import Marker, Page, Settlement

SETTLE_KINDS = ("charge", "fee", "charity", "share")
PROGRESS = (*calendar.PROGRESS, "pages_total", "pages_folded")


def acct_key(account: str, shard: int) -> str:
    return f"acct|{account}|{shard}"


def page_key(month: str, page: str) -> str:
    return f"page|{month}|{page}"


def credit_key(month: str, owner_id: str) -> str:
    return f"credit|{month}|{owner_id}"


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
        facts.add("total", balances=int(r.charged))  # in transit, until a fold moves it on
    for share in fold.decode(r.shares):
        facts.add(f"recv|{share.thing_id}|{r.month}", paid_n=1, paid=share.cents)
        if not fold.is_solo(page):
            facts.add(credit_key(r.month, share.owner_id), rec=share.cents)
    facts.add(page_key(r.month, page), rec=1)
    if fold.is_solo(page):
        fold_facts(r.month, page, [r], 1, _markers(r.month, page), facts)


def _markers(month: str, page: str) -> set[str]:
    pk = Page.fold_key(month, page, "")[0]
    return {m.sk for m in Marker.query(pk, consistent_read=True, attributes_to_get=["pk", "sk"])}


def fold_facts(
    month: str, page: str, records: list[Settlement], users: int, markers: set[str], facts, parts: int = 1
) -> None:
    """The transactions of `page`'s fold that happened (their markers), as facts."""
    chunks = fold.plan(month, page, records, users, parts).chunks
    names = [c.name for c in chunks]
    for chunk in chunks:
        if chunk.name not in markers:
            continue
        for (account, shard), delta in chunk.money.items():
            facts.add(acct_key(account, shard), expected=delta)
        facts.add("total", balances=-sum(chunk.money.values()))  # out of transit
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
        markers = _markers(p.month, name)
        fold_facts(p.month, name, mine, len(users), markers, facts, int(p.parts or 1))


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


def entry(raw: dict, facts) -> None:
    """A creator's entry from a page's fold."""
    e = CreditEntry.from_raw_data(raw)
    month = raw["pk"]["S"].split("#")[1]
    facts.add(credit_key(month, e.owner), entries=int(e.cents))
    if int(e.cents) <= 0:
        facts.violation(9, f"{month}: a zero-cent entry for {e.owner} from page {e.page}")


def credit_mark(raw: dict, facts) -> None:
    """A chunk of the creators' fold that happened: the credits it names, from clearing."""
    if not raw["sk"]["S"].startswith("CHUNK#"):
        return
    _, month, part = raw["pk"]["S"].split("#")
    paid = credits.decode_mark(CreditMark.from_raw_data(raw).credits)
    for owner_id, cents in paid.items():
        facts.add(acct_key(*credits.revenue_shard(owner_id, month)), expected=cents)
        facts.add(credit_key(month, owner_id), credited=cents)
    facts.add(acct_key(*credits.clearing_shard(month, int(part))), expected=-sum(paid.values()))


def check_credit(month: str, owner_id: str, c: dict[str, int], closed: bool):
    """Each creator is credited, once, what the records paid them: entries and chunks agree."""
    rec, entries, credited = c.get("rec", 0), c.get("entries", 0), c.get("credited", 0)
    if entries > rec or credited > rec:
        yield 4, f"{owner_id} {month}: paid {rec}, entries say {entries}, credited {credited}"
    elif closed and not rec == entries == credited:
        yield 7, f"{owner_id} {month}: paid {rec}, but entries say {entries} and {credited} was credited"
