"""The notification worker's jobs. Every job may arrive twice: emails are sent once per message id,
webhook deliveries once per (event, endpoint), and the month's fan-out is handed out once.

    settled         a user's month is settled: check their funds, and see whether the whole
                    month is now closed
    close_progress  a page of the close's scan is done: is the month closed?
    fanout          hand out one `member` job per user of the close's pages, segment by segment
    member          the statement email, the new-supporters digest and the month.settled webhook
    payout          a payout was paid or failed: email and webhook
    buttons_off     a click was refused because the owner does not give
    received        counted clicks per owner, from the stream tally: into the owners' windows
    flattr / flush  flattr.received, batched per owner into windows of webhook_batch_seconds
    deliver         one webhook delivery (see deliveries.py)
"""

from __future__ import annotations

import time

from .. import settings
from ..domain import months
from ..store import notify as store
from ..store import pages, statements, things, users
from . import deliveries, events, mailer


def settled(job: dict) -> None:
    user_id, month = job["user_id"], job["month"]
    _check_funds(user_id, months.following(month), at_settlement=True)
    _maybe_closed(month)


def close_progress(job: dict) -> None:
    _maybe_closed(job["month"])


def buttons_off(job: dict) -> None:
    thing = things.get(job["thing_id"])
    if thing is not None:
        _check_funds(thing.owner_id, job["month"], at_settlement=False)


def _check_funds(user_id: str, month: str, at_settlement: bool) -> None:
    """The conditions that start when funds run low; each email at most once per user and month."""
    policy = settings.policy()
    user = users.get(user_id)
    if user is None:
        return
    budget, funds = int(user.budget or 0), int(user.funds or 0)
    gives = policy.gives(budget, funds)
    if at_settlement and budget >= policy.min_budget and funds < budget:
        mailer.send_once(
            f"paused:{user_id}:{month}", user_id, "paused", {"funds": funds, "budget": budget, "month": month}
        )
    if policy.give_to_get and not gives and pages.owned(user_id, count=1).rows:
        mailer.send_once(f"buttons_off:{user_id}:{month}", user_id, "buttons_off", {"month": month})


def _maybe_closed(month: str) -> None:
    if not store.month_closed(month):
        return
    if store.fanout_state(month) == "dispatched":
        return
    # Sent before being marked: a crash in between only repeats jobs that do nothing twice.
    segments = range(store.segments(month))
    events.send([{"kind": "fanout", "month": month, "segment": s, "start": None} for s in segments])
    store.fanout_dispatched(month)


def fanout(job: dict) -> None:
    month = job["month"]
    user_ids, next_start = store.members(month, int(job["segment"]), job.get("start"))
    events.send([{"kind": "member", "month": month, "user_id": u} for u in user_ids])
    if next_start:
        events.send([{**job, "start": next_start}])


def member(job: dict) -> None:
    user_id, month = job["user_id"], job["month"]
    statement = statements.statement(user_id, month, _owned(user_id))
    if statement["settled"] or statement["received"]:
        mailer.send_once(f"statement:{user_id}:{month}", user_id, "statement", statement)
    supporters = store.supporters(user_id, month)
    if supporters:
        new = supporters - store.supporters(user_id, months.previous(month))
        if new:
            mailer.send_once(
                f"digest:{user_id}:{month}",
                user_id,
                "digest",
                {"month": month, "supporters": len(supporters), "new_supporters": len(new)},
            )
    received = [
        {"thing_id": r["thing_id"], "flattrs": r["flattrs"], "amount": r["amount"]}
        for r in statement["received"]
    ]
    deliveries.announce(
        user_id,
        f"month.settled:{user_id}:{month}",
        "month.settled",
        {
            "month": month,
            "currency": settings.get().currency,
            "received": received,
            "total": sum(r["amount"] for r in received),
        },
    )


def _owned(user_id: str) -> list[str]:
    """All of a creator's things, page by page (a job, not a request: its statement names them all)."""
    ids: list[str] = []
    cursor = None
    while True:
        page = pages.owned(user_id, count=pages.MAX_COUNT, cursor=cursor)
        ids += page.rows
        cursor = page.next
        if not cursor:
            return ids


def payout(job: dict) -> None:
    user_id, payout_id, outcome = job["user_id"], job["payout_id"], job["outcome"]
    data = {"payout_id": payout_id, "amount": int(job["amount"]), "outcome": outcome}
    mailer.send_once(f"payout:{payout_id}:{outcome}", user_id, "payouts", data)
    deliveries.announce(
        user_id,
        f"payout.{outcome}:{payout_id}",
        f"payout.{outcome}",
        {"payout_id": payout_id, "amount": int(job["amount"]), "currency": settings.get().currency},
    )


def received(job: dict) -> None:
    """A chunk of the stream's counted clicks, per owner (events.flattrs_received): each owner with
    an endpoint gets them into their windows; a flattr told twice lands in its first window."""
    for owner, flattrs in job["owners"].items():
        _receive(owner, [(giver, thing_id, at) for giver, thing_id, at in flattrs])


def flattr(job: dict) -> None:
    """One click's notice, as the click queued it before the stream tally did (still in the queue
    at a deploy)."""
    _receive(job["owner_id"], [(job["giver"], job["thing_id"], job["at"])])


def _receive(owner: str, flattrs: list[tuple[str, str, str]]) -> None:
    # Every owner of a counted click comes here: most have no endpoint, so the read is the cheap
    # one (an endpoint made a second ago may miss a flattr or two; the flush reads them afresh).
    if not store.endpoints(owner, consistent=False):
        return
    width = max(1, settings.get().webhook_batch_seconds)
    now = time.time()
    for bucket in store.add_to_window(owner, int(now // width), flattrs):
        events.send(
            [{"kind": "flush", "owner_id": owner, "bucket": bucket}],
            delay=int((bucket + 1) * width - now) + 1,
        )
        store.opened(owner, bucket)  # after the flush is queued: a crash between sends it again


def flush(job: dict) -> None:
    owner, bucket = job["owner_id"], int(job["bucket"])
    flattrs = sorted(
        ({"thing_id": int(f.thing_id), "at": f.at} for f in store.window(owner, bucket)),
        key=lambda f: (f["at"], f["thing_id"]),
    )
    if flattrs:
        deliveries.announce(
            owner,
            f"flattr.received:{owner}:{bucket}",
            "flattr.received",
            {"flattrs": flattrs, "count": len(flattrs)},
        )


HANDLERS = {
    "settled": settled,
    "close_progress": close_progress,
    "buttons_off": buttons_off,
    "fanout": fanout,
    "member": member,
    "payout": payout,
    "received": received,
    "flattr": flattr,
    "flush": flush,
    "deliver": deliveries.deliver,
}


def run(job: dict) -> None:
    kind = job.get("kind")
    if kind not in HANDLERS:
        raise ValueError(f"unknown notification job {kind!r}")
    HANDLERS[kind](job)
