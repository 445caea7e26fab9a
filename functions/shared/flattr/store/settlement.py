"""The month close: enumerate users page by page, settle each user's month exactly once, fold
each page's settlements (store.fold), then credit each creator once (store.credits).

Settling one user is three requests and one write of two items:

  freeze    the month's clicks stop being accepted, and its flattrs are read ({thing: owner})
  read      one consistent BatchGetItem: the user and the owners of what they flattred
  commit    ONE TransactWriteItems: the user (funds - charged, settled_through = month, idle
            months; on condition that settled_through is as read, so it happens once and in
            calendar order) and the immutable settlement record with its shares, which holds
            the charge in transit until its page folds it into the month's clearing account

Rules that money enforces bind here, as Flattr's did: the giver pays min(budget, funds), nothing
while they owe; a share whose owner does not give goes to charity, and the record says so. A
flattr of a thing deleted since is paid: it was acknowledged while the thing was there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from .. import settings
from ..clock import now
from ..domain.money import bind_owners, payable, plan_month, split_salt
from ..domain.months import previous
from ..settings import Policy
from . import calendar, cards, credits, fold, ledger, subscriptions
from .credit_models import parts_for
from .fold import Share
from .models import MonthClose, Settlement, User, connection
from .tx import Cancelled, Tx

SEGMENTS = 8  # parallel scan segments of the users index
PAGE_SIZE = 200  # users per scan job, and per fold
ATTEMPTS = 8  # a user's settlement re-reads and retries after losing a race


class Queue(Protocol):
    def send(self, jobs: list[dict]) -> None: ...


# ---------------------------------------------------------------- the close and its fan-out


def start_close(month: str, queue: Queue) -> None:
    """Create the month's close (once, in calendar order) and hand out one scan job per segment."""
    try:
        close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    except MonthClose.DoesNotExist:
        close = MonthClose(
            *MonthClose.key(month),
            month=month,
            segments=SEGMENTS,
            credit_parts=parts_for(calendar.progress(previous(month))["users_total"]),
            started_at=now().isoformat(),
        )
        tx = Tx().put(close, condition=MonthClose.pk.does_not_exist(), label="close")
        calendar.begin(tx, month)
        try:
            tx.commit()
        except Cancelled as exc:
            if "close" not in exc.failed:  # else a twin began it: go on with theirs
                raise calendar.busy() from exc
        close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    if close.dispatched:
        return
    # Sent before being marked dispatched: a crash in between only repeats harmless scan jobs.
    segments, parts = int(close.segments), int(close.credit_parts or 1)
    queue.send([scan_job(month, seg, segments, parts=parts) for seg in range(segments)])
    Tx().update(close, [MonthClose.dispatched.set(True)]).commit_once()


def scan_job(
    month: str, segment: int, segments: int, start: dict | None = None, page: int = 0, parts: int = 1
) -> dict:
    return {
        "kind": "scan",
        "month": month,
        "segment": segment,
        "segments": segments,
        "start": start,
        "page": page,
        "parts": parts,
    }


def settle_job(month: str, user_id: str, page: str | None = None) -> dict:
    job = {"kind": "settle", "month": month, "user_id": user_id}
    return {**job, "page": page} if page else job


def fold_job(month: str, page: str, users: list[str] | None = None, parts: int | None = None) -> dict:
    """The page's users and parts ride along (as recorded), so the fold need not read the page."""
    job = {"kind": "fold", "month": month, "page": page}
    return {**job, "users": users, "parts": parts} if users is not None else job


def run_job(job: dict, queue: Queue, policy: Policy | None = None):
    """Carry out one job of the close, whatever its kind (the worker, tests and the bench)."""
    if job["kind"] == "scan":
        return scan_page(job, queue)
    if job["kind"] == "fold":
        folded = fold_page(job["month"], job["page"], policy, job.get("users"), job.get("parts"))
        credits.start(job["month"], queue)
        return folded
    if job["kind"] == "credit":
        return credits.run_part(job, queue)
    return settle_user(job["user_id"], job["month"], policy, job.get("page"))


def scan_page(job: dict, queue: Queue) -> int:
    """Enumerate one page of users: record it (once: a repeated job repeats it), queue one settle
    job per user and the page's fold, then the next page."""
    month, segment, segments, n = job["month"], job["segment"], job["segments"], job.get("page", 0)
    page_id = f"{segment}.{n}"
    raw = User._get_connection().scan(
        index_name="users",
        segment=segment,
        total_segments=segments,
        exclusive_start_key=job.get("start"),
        limit=PAGE_SIZE,
    )
    user_ids = [
        item["uid"]["S"]
        for item in raw.get("Items", [])
        # Users who joined after the month have nothing to settle for it.
        if item.get("created_month", {}).get("S", "0000-00") <= month
    ]
    parts = job.get("parts") or MonthClose.get(*MonthClose.key(month), consistent_read=True).credit_parts
    parts = max(1, int(parts or 0))
    page = fold.record_page(month, page_id, user_ids, raw.get("LastEvaluatedKey"), parts)
    users, parts = list(page.users), int(page.parts or 1)
    if users:
        queue.send([settle_job(month, u, page_id) for u in users] + [fold_job(month, page_id, users, parts)])
    if page.next_start:
        queue.send([scan_job(month, segment, segments, json.loads(page.next_start), n + 1, parts)])
    else:
        tx = Tx()
        ledger.guard(tx, MonthClose.key(month)[0], f"SEGMENT#{segment}")
        tx.update(MonthClose(*MonthClose.key(month)), [MonthClose.segments_done.add(1)])
        tx.commit_once()
        credits.start(month, queue)
    return len(users)


def fold_page(
    month: str,
    page: str,
    policy: Policy | None = None,
    users: list[str] | None = None,
    parts: int | None = None,
) -> bool:
    """Fold a page of the close, settling first any of its users whose job has not run yet."""
    settle = lambda user_id: settle_user(user_id, month, policy, page)  # noqa: E731
    return fold.fold_page(month, page, settle, users, parts)


# ---------------------------------------------------------------- one user's month


def settle_user(
    user_id: str, month: str, policy: Policy | None = None, page: str | None = None
) -> Settlement | None:
    """Settle one user's month once, in calendar order. None: no such user (or one born after it).
    `page` is the scan page whose fold credits it; without one (a job sent by hand, an earlier
    month settled late) the user's month is a page of its own, folded here. The policy is the
    deployment's (settings.policy()) unless a test hands another."""
    policy = policy or settings.policy()
    for _ in range(ATTEMPTS):
        flattrs = _freeze(user_id, month)
        people = _people({user_id, *flattrs.values()})
        user = people.get(user_id)
        if user is None or (user.created_month or "") > month:
            return None
        if (user.settled_through or "") >= month:
            return _settled(user_id, month, policy)
        if _behind(user, month):  # invariant 8: an earlier month of theirs settles first
            settle_user(user_id, previous(month), policy)
            continue
        if (user.subs_through or "") >= month:
            added = subscriptions.materialize(user_id, month, policy)
            flattrs = {**flattrs, **added}
            people.update(_people(set(added.values()) - set(people)))
        page_id = page or fold.solo(user_id)
        record = _commit(user, month, flattrs, people, policy, page_id)
        if record is not None:
            if fold.is_solo(page_id):  # no page of the scan folds it: fold it now
                fold_page(month, page_id, policy, [user_id])
            return record
    raise RuntimeError(f"{user_id} {month}: settlement kept losing races")


def _freeze(user_id: str, month: str) -> dict[str, str]:
    """Stop the month's clicks and return its flattrs, {thing id: owner id}: the seal of the
    user's month card (store.cards), one UpdateItem. A click either landed before it, and is in
    the answer, or is refused with month_closed. Idempotent: a retry returns the same flattrs."""
    return cards.seal(user_id, month)


def flattrs_of(user_id: str, month: str) -> dict[str, str]:
    """thing id -> owner id, for every flattr of the month (as it stands, without sealing it)."""
    return cards.read(user_id, month).owners()


@dataclass(frozen=True)
class Person:
    """What settlement reads of a user: for their own month, the plan's inputs, its order and its
    condition; as an owner, whether they give (give to get). A missing number reads as 0."""

    user_id: str
    budget: int = 0
    funds: int = 0
    debt: int = 0
    idle_months: int = 0
    settled_through: str | None = None
    created_month: str | None = None
    subs_through: str | None = None
    gave_month: str | None = None

    @classmethod
    def of(cls, item: dict) -> Person:
        """From a user item in DynamoDB's wire format, as `_people` reads it."""
        number = {name: int(item[name]["N"]) for name in _NUMBERS if name in item}
        text = {name: item[name]["S"] for name in _TEXTS if name in item}
        return cls(item["pk"]["S"][len("USER#") :], **number, **text)


_NUMBERS = ("budget", "funds", "debt", "idle_months")
_TEXTS = ("settled_through", "created_month", "subs_through", "gave_month")
_NAMES = {f"#{i}": name for i, name in enumerate(("pk", *_NUMBERS, *_TEXTS))}


def _people(user_ids: set[str]) -> dict[str, Person]:
    """The users, read together and strongly consistently, one BatchGetItem per 100: only what
    settlement reads of them, not the whole items (many more values to read and decode)."""
    client, table = connection().client, User.Meta.table_name
    keys = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in map(User.key, sorted(user_ids))]
    found: dict[str, Person] = {}
    for i in range(0, len(keys), 100):
        request = {
            table: {
                "Keys": keys[i : i + 100],
                "ConsistentRead": True,
                "ProjectionExpression": ", ".join(_NAMES),
                "ExpressionAttributeNames": _NAMES,
            }
        }
        while request:  # what DynamoDB left unprocessed is asked again
            got = client.batch_get_item(RequestItems=request)
            for item in got.get("Responses", {}).get(table, []):
                person = Person.of(item)
                found[person.user_id] = person
            request = got.get("UnprocessedKeys") or {}
    return found


def _behind(user: Person, month: str) -> bool:
    """Whether an earlier month of the user's is not settled yet."""
    prev = previous(month)
    if user.settled_through:
        return user.settled_through < prev
    if (user.created_month or "") >= month:
        return False  # this is their first month
    cal = calendar.read()  # months before the first close are never settled
    return bool(cal and cal.epoch and cal.epoch <= prev)


def _settled(user_id: str, month: str, policy: Policy) -> Settlement:
    record = Settlement.get(*Settlement.key(user_id, month), consistent_read=True)
    if fold.is_solo(record.page or ""):  # its own page: make sure it folded (after a crash)
        fold_page(month, record.page, policy, [user_id])
    return record


def owner_gives(owner: Person | None, month: str, policy: Policy) -> bool:
    """Give to get, at settlement: the owner has a budget, and funds, or gave them this month
    (their own settlement may come first and empty their funds: the order must not matter)."""
    if not policy.give_to_get:
        return True
    if owner is None:
        return False
    budget, funds = int(owner.budget or 0), int(owner.funds or 0)
    return budget >= policy.min_budget and (funds > 0 or (owner.gave_month or "") >= month)


def _commit(
    user: Person, month: str, flattrs: dict[str, str], people: dict[str, Person], policy: Policy, page: str
) -> Settlement | None:
    """The user's month in one transaction. None if it lost a race (read again and retry)."""
    user_id = user.user_id
    plan = plan_month(
        budget=int(user.budget or 0),
        funds=payable(int(user.funds or 0), int(user.debt or 0)),
        things=sorted(flattrs),
        fee_bps=policy.fee_bps,
        policy=policy.unspent,
        idle_months=int(user.idle_months or 0),
        salt=split_salt(user_id, month),
    )
    giving = {o for o in set(flattrs.values()) if owner_gives(people.get(o), month, policy)}
    plan = bind_owners(plan, flattrs, giving)
    record = Settlement(
        *Settlement.key(user_id, month),
        user_id=user_id,
        month=month,
        status="done",
        charged=plan.charged,
        fee=plan.fee,
        fee_bps=policy.fee_bps,
        charity=plan.charity,
        distributed=plan.distributed,
        things=len(flattrs),
        idle_after=plan.idle_months,
        policy=policy.unspent,
        page=page,
        shares=[fold.encode(t, flattrs[t], c) for t, c in sorted(plan.shares.items())],
        redirected=[fold.encode(t, flattrs[t], c) for t, c in sorted(plan.redirected.items())],
    )
    as_read = (
        User.settled_through == user.settled_through
        if user.settled_through
        else User.settled_through.does_not_exist()
    )
    actions = [User.settled_through.set(month)]
    if plan.idle_months != int(user.idle_months or 0):  # only settlement writes it: unchanged, no SET
        actions.append(User.idle_months.set(plan.idle_months))
    condition = as_read
    if plan.charged:
        actions += [User.funds.add(-plan.charged), User.gave_month.set(month)]
        condition &= (User.funds >= plan.charged) & (User.debt.does_not_exist() | (User.debt >= 0))
    elif not user.settled_through:  # a comparison above fails on a missing user; else say it
        condition = User.pk.exists() & condition
    tx = Tx().update(User(*User.key(user_id)), actions, condition=condition, label="user")
    tx.put(record, condition=Settlement.pk.does_not_exist(), label="record")
    try:
        tx.commit()
    except Cancelled:
        return None  # settled by a twin, or the user changed since the read (a refund): again
    return record


def shares_of(record: Settlement) -> list[Share]:
    """What a settled month paid each thing's owner (those paid at least a cent)."""
    return fold.decode(record.shares)
