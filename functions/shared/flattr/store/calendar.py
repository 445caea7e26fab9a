"""The calendar of closes: which month began closing last, and so who may click in which month.

Two rules meet on one item, so that neither needs anything on the click's path:

- Closes begin in calendar order (invariant 8). The first close may be any month no user was
  born before; each later one is the month after the last, once that month's close is done.
- A user is born sealed through the last month whose close has begun (invariant 7). Their
  `closed_through` is that month and their `created_month` the month after, so the click's
  own condition (`closed_through < month`) refuses a click in a month that is already closing,
  and that close's scan rightly leaves them out.

A birth and a close's beginning each carry a condition that the calendar is as they read it, so
one of them is first: a user born before the close began is in the table when it scans, and
one born after it is sealed. The scan reads an eventually consistent index; a user it misses by
a hair is settled late, in order, by the worker before their next month (settlement.py), and
until then the audit reports their unpaid flattrs.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import Conflict, PreviousMonthOpen
from ..domain.months import following
from .models import Calendar, MonthClose, MonthProgress, User
from .tx import Tx


def read() -> Calendar | None:
    try:
        return Calendar.get(*Calendar.key(), consistent_read=True)
    except Calendar.DoesNotExist:
        return None


def _unchanged(cal: Calendar | None):
    if cal is None:
        return Calendar.pk.does_not_exist()
    begun = (
        Calendar.last_begun.does_not_exist()
        if cal.last_begun is None
        else Calendar.last_begun == cal.last_begun
    )
    first = Calendar.first.does_not_exist() if cal.first is None else Calendar.first == cal.first
    return begun & first


def born_month(now_month: str, cal: Calendar | None) -> str:
    """The first month a user born now can flattr in: not one whose close has begun."""
    begun = cal.last_begun if cal else None
    return following(begun) if begun and now_month <= begun else now_month


def birth(tx: Tx, user_id: str, at: str) -> list:
    """The actions that create `user_id` if it is new (each is if-not-exists), with the
    calendar condition added to `tx` (once per transaction)."""
    cal = read()
    born = born_month(at[:7], cal)
    if not tx.has("calendar"):
        if cal is None or not cal.first or born < cal.first:
            tx.update(
                Calendar(*Calendar.key()),
                [Calendar.first.set(born)],
                condition=_unchanged(cal),
                label="calendar",
            )
        else:
            tx.check(Calendar, *Calendar.key(), condition=_unchanged(cal), label="calendar")
    actions = [
        User.uid.set(User.uid | user_id),
        User.created_at.set(User.created_at | at),
        User.created_month.set(User.created_month | born),
    ]
    if cal is not None and cal.last_begun:
        actions.append(User.closed_through.set(User.closed_through | cal.last_begun))
    return actions


def busy() -> Conflict:
    return Conflict("A month close began at this very moment; please try again.", code="try_again")


def begin(tx: Tx, month: str) -> None:
    """Add the beginning of `month`'s close to `tx`, or refuse it if an earlier month comes first."""
    cal = read()
    last = cal.last_begun if cal else None
    if last is None:
        if cal is not None and cal.first and cal.first < month:
            raise PreviousMonthOpen(f"Users joined in {cal.first}: close {cal.first} before {month}.")
    elif month <= last:
        raise Conflict(
            f"Settlement began with {cal.epoch}; {month} can no longer be closed.", code="before_first_close"
        )
    elif month != following(last):
        raise PreviousMonthOpen(f"{following(last)} must close before {month}.")
    elif month_status(last)["status"] != "closed":
        raise PreviousMonthOpen(f"{last} is still closing; {month} can close once all its users are settled.")
    tx.update(
        Calendar(*Calendar.key()),
        [Calendar.last_begun.set(month), Calendar.epoch.set(Calendar.epoch | month)],
        condition=_unchanged(cal),
        label="calendar",
    )


def month_status(month: str) -> dict[str, Any]:
    try:
        close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    except MonthClose.DoesNotExist:
        close = None
    totals = progress(month, consistent=False) if close is not None else progress_of([])
    if close is None:
        status = "open"
    elif is_closed(close, totals):
        status = "closed"
    else:
        status = "closing"
    started = close.started_at if close is not None else None
    return {"month": month, "status": status, "started_at": started, **totals}


PROGRESS = ("users_total", "users_settled", "charged", "fees", "distributed", "charity")


def progress_of(shards) -> dict[str, int]:
    totals = dict.fromkeys(PROGRESS, 0) | {"pages_total": 0, "pages_folded": 0}
    for shard in shards:
        for name in totals:
            totals[name] += int(getattr(shard, name) or 0)
    return totals


def progress(month: str, consistent: bool = True) -> dict[str, int]:
    """A month close's counters, summed over their shards."""
    keys = [MonthProgress.key(month, s) for s in range(MonthProgress.SHARDS)]
    return progress_of(MonthProgress.batch_get(keys, consistent_read=consistent))


def is_closed(close: MonthClose, totals: dict[str, int]) -> bool:
    """Every segment scanned, every page of users settled and folded, and every creator credited
    (every part of the creators' fold done)."""
    return (
        int(close.segments_done or 0) >= int(close.segments)
        and totals["pages_folded"] >= totals["pages_total"]
        and int(close.credits_done or 0) >= int(close.credit_parts or 0)
    )
