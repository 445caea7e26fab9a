"""The month close: enumerate users page by page, settle each user's month exactly once, fold
each page's settlements (store.fold), then credit each creator once (store.credits).

Settling one user alone is three requests and one write of two items:

  freeze    the month's clicks stop being accepted, and its flattrs are read ({thing: owner})
  read      one consistent BatchGetItem: the user and the owners of what they flattred
  commit    ONE TransactWriteItems: the user (funds - charged, settled_through = month, idle
            months; on condition that settled_through is as read, so it happens once and in
            calendar order) and the immutable settlement record with its shares, which holds
            the charge in transit until its page folds it into the month's clearing account

A worker's batch of settle jobs (SQS delivers up to ten) goes together (`prepare`): each card
sealed, then one read of the users and one of their owners, then ONE transaction of every user's
two items, each item on its own condition; if any fails, each job settles its user alone.

Rules that money enforces bind here, as Flattr's did: the giver pays min(budget, funds), nothing
while they owe; a share whose owner does not give goes to charity, and the record says so. A
flattr of a thing deleted since is paid: it was acknowledged while the thing was there.
"""

from __future__ import annotations

import json
from typing import Protocol

from .. import settings
from ..clock import now
from ..domain.months import previous
from ..settings import Policy
from . import calendar, cards, credits, fold, ledger, settle_tx, subscriptions
from . import people as people_
from .credit_models import parts_for
from .fold import Share
from .models import MonthClose, Settlement, User
from .people import Ahead, Person
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


def run_job(job: dict, queue: Queue, policy: Policy | None = None, ahead: Ahead | None = None):
    """Carry out one job of the close, whatever its kind (the worker, tests and the bench).
    `ahead`: its batch's users, sealed and read together (store.people.ahead)."""
    if job["kind"] == "scan":
        return scan_page(job, queue)
    if job["kind"] == "fold":
        folded = fold_page(job["month"], job["page"], policy, job.get("users"), job.get("parts"))
        credits.start(job["month"], queue)
        return folded
    if job["kind"] == "credit":
        return credits.run_part(job, queue)
    return settle_user(job["user_id"], job["month"], policy, job.get("page"), ahead)


def run_batch(jobs: list[dict], queue: Queue, policy: Policy | None = None) -> None:
    """Jobs as the worker gets them from SQS: the settle jobs together first (`prepare`), then
    each job."""
    ahead = prepare(jobs, policy)
    for job in jobs:
        run_job(job, queue, policy, ahead)


def prepare(jobs: list[dict], policy: Policy | None = None) -> Ahead | None:
    """A batch's settle jobs of one month, together: their cards sealed and their people read
    (store.people.ahead), then every user on the plain path (on a scan page, not settled, no
    earlier month or subscriptions due) settled in ONE transaction of each one's two items. If a
    condition fails, none is settled: each job then settles its user alone, from what was read
    (or afresh, for the users whose conditions failed)."""
    ahead = people_.ahead(jobs)
    if ahead is None:
        return None
    policy = policy or settings.policy()
    staged = []
    for user_id, flattrs in ahead.flattrs.items():
        user, page = ahead.people.get(user_id), ahead.pages.get(user_id)
        if user is None or not page or not _plain(user, ahead.month):
            continue
        staged.append(settle_tx.stage(user, ahead.month, flattrs, ahead.people, policy, page))
    staged = staged[: settle_tx.BATCH]
    if len(staged) < 2:
        return ahead
    lost = settle_tx.commit(staged)
    for s in staged:
        user_id = s.record.user_id
        if not lost:
            ahead.settled[user_id] = s.record
        if not lost or user_id in lost:  # settled; or what was read is stale: its job reads again
            del ahead.flattrs[user_id]
    return ahead


def _plain(user: Person, month: str) -> bool:
    return (
        (user.created_month or "") <= month
        and (user.settled_through or "") < month
        and (user.subs_through or "") < month
        and not _behind(user, month)
    )


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
    user_id: str,
    month: str,
    policy: Policy | None = None,
    page: str | None = None,
    ahead: Ahead | None = None,
) -> Settlement | None:
    """Settle one user's month once, in calendar order. None: no such user (or one born after it).
    `page` is the scan page whose fold credits it; without one (a job sent by hand, an earlier
    month settled late) the user's month is a page of its own, folded here. The policy is the
    deployment's (settings.policy()) unless a test hands another. `ahead`: the user's card sealed
    and the people read with their batch's, for the first attempt."""
    policy = policy or settings.policy()
    if ahead and (record := ahead.done(user_id, month)):  # settled with its batch
        return record
    for _ in range(ATTEMPTS):
        taken = ahead.take(user_id, month) if ahead else None
        flattrs, people = taken or _read(user_id, month)
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
            people.update(people_.read(set(added.values()) - set(people)))
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


def _read(user_id: str, month: str) -> tuple[dict[str, str], dict[str, Person]]:
    """The user's month sealed, then the user and the owners of what they flattred."""
    flattrs = _freeze(user_id, month)
    return flattrs, people_.read({user_id, *flattrs.values()})


def flattrs_of(user_id: str, month: str) -> dict[str, str]:
    """thing id -> owner id, for every flattr of the month (as it stands, without sealing it)."""
    return cards.read(user_id, month).owners()


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


def _commit(
    user: Person, month: str, flattrs: dict[str, str], people: dict[str, Person], policy: Policy, page: str
) -> Settlement | None:
    """The user's month in one transaction. None if it lost a race (read again and retry)."""
    staged = settle_tx.stage(user, month, flattrs, people, policy, page)
    return None if settle_tx.commit([staged]) else staged.record


def shares_of(record: Settlement) -> list[Share]:
    """What a settled month paid each thing's owner (those paid at least a cent)."""
    return fold.decode(record.shares)
