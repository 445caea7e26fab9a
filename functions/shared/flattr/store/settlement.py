"""The month close: enumerate users page by page, then settle each user's month exactly once.

Settling one user is a chain of steps, each one transaction that happens at most once:

  seal      the user's clicks for the month stop being accepted (closed_through = month)
  charge    the plan is fixed in the settlement record, and min(budget, funds) moves from the
            user's funds to the month's clearing account
  step k    the fee, charity and up to CHUNK shares move out of clearing (guarded by a marker)
  finish    the record is marked done and the month's counters are added to

Every step can be retried, run twice, or run by two workers at once: a step that already
happened fails its condition and the chain moves on, so the ledger ends as one clean run.
"""

from __future__ import annotations

from typing import Protocol

from pynamodb.exceptions import UpdateError

from .. import settings
from ..clock import now
from ..domain import accounts
from ..domain.accounts import Transfer
from ..domain.money import Plan, plan_month, split, split_salt
from ..domain.months import previous
from ..settings import Policy
from . import calendar, cards, ledger, subscriptions
from .models import MonthClose, MonthProgress, Received, Settlement, User
from .tx import Cancelled, Tx

SEGMENTS = 8  # parallel scan segments of the users index
PAGE_SIZE = 200  # users per scan job
CHUNK = 25  # things per distribution step: 25 transfers + 25 revenue + 25 received + 2 < 100


class Queue(Protocol):
    def send(self, jobs: list[dict]) -> None: ...


# ---------------------------------------------------------------- the close and its fan-out


def start_close(month: str, queue: Queue) -> None:
    """Create the month's close (once, in calendar order) and hand out one scan job per segment."""
    try:
        close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    except MonthClose.DoesNotExist:
        close = MonthClose(
            *MonthClose.key(month), month=month, segments=SEGMENTS, started_at=now().isoformat()
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
    queue.send([scan_job(month, seg, int(close.segments)) for seg in range(int(close.segments))])
    Tx().update(close, [MonthClose.dispatched.set(True)]).commit_once()


def scan_job(month: str, segment: int, segments: int, start: dict | None = None, page: int = 0) -> dict:
    return {
        "kind": "scan",
        "month": month,
        "segment": segment,
        "segments": segments,
        "start": start,
        "page": page,
    }


def settle_job(month: str, user_id: str) -> dict:
    return {"kind": "settle", "month": month, "user_id": user_id}


def scan_page(job: dict, queue: Queue) -> int:
    """Enumerate one page of users: register their pending settlements and queue them."""
    month, segment, segments = job["month"], job["segment"], job["segments"]
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
    for i in range(0, len(user_ids), CHUNK):
        _register_pending(month, user_ids[i : i + CHUNK])
    queue.send([settle_job(month, u) for u in user_ids])
    next_start = raw.get("LastEvaluatedKey")
    if next_start:
        queue.send([scan_job(month, segment, segments, next_start, job.get("page", 0) + 1)])
    else:
        tx = Tx()
        ledger.guard(tx, MonthClose.key(month)[0], f"SEGMENT#{segment}")
        tx.update(MonthClose(*MonthClose.key(month)), [MonthClose.segments_done.add(1)])
        tx.commit_once()
    return len(user_ids)


def _register_pending(month: str, user_ids: list[str]) -> None:
    """Count each user into the month exactly once: the pending record and the count go together."""
    if not user_ids:
        return
    tx = Tx()
    for u in user_ids:
        tx.put(_pending(u, month), condition=Settlement.pk.does_not_exist(), label="pending")
    tx.update(_progress(month, ",".join(user_ids)), [MonthProgress.users_total.add(len(user_ids))])
    try:
        tx.commit()
    except Cancelled:
        if len(user_ids) > 1:  # some were registered already (a repeated page): one at a time
            for u in user_ids:
                _register_pending(month, [u])


def _pending(user_id: str, month: str) -> Settlement:
    return Settlement(*Settlement.key(user_id, month), user_id=user_id, month=month, status="pending")


def _progress(month: str, key: str) -> MonthProgress:
    return MonthProgress(*MonthProgress.key(month, accounts.spread(key, MonthProgress.SHARDS)))


# ---------------------------------------------------------------- one user's month


def settle_user(user_id: str, month: str, policy: Policy | None = None) -> Settlement | None:
    """Settle one user's month, or finish a settlement that stopped halfway. None: no such user.
    The policy is the deployment's (settings.policy()) unless a test hands another."""
    policy = policy or settings.policy()
    user = _seal(user_id, month)
    if user is None or (user.created_month or "") > month:
        return None  # no such user, or one born after this month began closing
    record = _record(user_id, month)
    if record.status == "done":
        return record
    if record.status == "pending":
        _settle_earlier(user, month, policy)
        subscriptions.materialize(user_id, month, policy)
    flattrs = _freeze(user_id, month)
    if record.status == "pending":
        record = _charge(user, month, flattrs, policy)
    for k, (transfers, received) in enumerate(_steps(record, flattrs)):
        _step(user_id, month, k, transfers, received)
    _finish(record)
    record.status = "done"
    return record


def _settle_earlier(user: User, month: str, policy: Policy) -> None:
    """Invariant 8: the user's previous month settles first if it is theirs and not done (its job is
    in the dead-letter queue, or its scan missed the user). Months before the first close never do."""
    prev = previous(month)
    if (user.created_month or "") > prev:
        return
    try:
        if Settlement.get(*Settlement.key(user.uid, prev), consistent_read=True).status == "done":
            return
    except Settlement.DoesNotExist:
        if calendar.month_status(prev)["status"] == "open":
            return
    settle_user(user.uid, prev, policy)


def _seal(user_id: str, month: str) -> User | None:
    """Stop the month's clicks before reading them; the user as sealed, or None if there is none."""
    user = User(*User.key(user_id))
    try:
        user.update(
            actions=[User.closed_through.set(month)],
            condition=User.pk.exists()
            & (User.closed_through.does_not_exist() | (User.closed_through < month)),
        )
        return user
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    try:  # already sealed by an earlier attempt, or no such user
        return User.get(*User.key(user_id), consistent_read=True)
    except User.DoesNotExist:
        return None


def _record(user_id: str, month: str) -> Settlement:
    try:
        return Settlement.get(*Settlement.key(user_id, month), consistent_read=True)
    except Settlement.DoesNotExist:
        # Not enumerated by a scan (a job sent by hand): count the user in now.
        _register_pending(month, [user_id])
        return Settlement.get(*Settlement.key(user_id, month), consistent_read=True)


def _freeze(user_id: str, month: str) -> dict[str, str]:
    """Stop the month's clicks and return its flattrs, {thing id: owner id}: the seal of the
    user's month card (store.cards), one UpdateItem. A click either landed before it, and is in
    the answer, or is refused with month_closed. Idempotent: a retry returns the same flattrs."""
    return cards.seal(user_id, month)


def flattrs_of(user_id: str, month: str) -> dict[str, str]:
    """thing id -> owner id, for every flattr of the month (as it stands, without sealing it)."""
    return cards.read(user_id, month).owners()


def _charge(user: User, month: str, flattrs: dict[str, str], policy: Policy) -> Settlement:
    """Fix the plan and take the charge, together. Funds only shrink by settlement, so the sealed
    user's funds are still there (or more, after a deposit)."""
    user_id = user.uid
    plan: Plan = plan_month(
        budget=int(user.budget or 0),
        funds=int(user.funds or 0),
        things=sorted(flattrs),
        fee_bps=policy.fee_bps,
        policy=policy.unspent,
        idle_months=int(user.idle_months or 0),
        salt=split_salt(user_id, month),
    )
    record = Settlement(
        *Settlement.key(user_id, month),
        user_id=user_id,
        month=month,
        status="charged",
        charged=plan.charged,
        fee=plan.fee,
        fee_bps=policy.fee_bps,
        charity=plan.charity,
        distributed=plan.distributed,
        things=len(flattrs),
        idle_after=plan.idle_months,
        policy=policy.unspent,
    )
    tx = Tx().put(record, condition=Settlement.status == "pending", label="record")
    charge = []
    if plan.charged:
        charge.append(
            Transfer(
                f"settle:{month}:{user_id}:charge",
                accounts.funds(user_id),
                accounts.clearing(month),
                plan.charged,
                "charge",
                month=month,
                user_id=user_id,
            )
        )
    try:
        ledger.post(charge, tx)
        return record
    except Cancelled as exc:
        if "record" not in exc.failed:
            raise
    return _record(user_id, month)  # another attempt charged first: go on with its plan


def _steps(
    record: Settlement, flattrs: dict[str, str]
) -> list[tuple[list[Transfer], list[tuple[str, str, int]]]]:
    """The distribution, cut into steps that each fit one transaction. Deterministic."""
    user_id, month = record.user_id, record.month
    if int(record.things) != len(flattrs):
        raise RuntimeError(
            f"{user_id} {month}: {len(flattrs)} flattrs, but the plan was made for {record.things}"
        )
    clearing = accounts.clearing(month)

    def move(name: str, to: str, amount: int, kind: str, thing_id: str = "") -> Transfer:
        return Transfer(
            f"settle:{month}:{user_id}:{name}", clearing, to, amount, kind, month, user_id, thing_id
        )

    first: list[Transfer] = []
    if record.fee:
        first.append(move("fee", accounts.FEES, int(record.fee), "fee"))
    if record.charity:
        first.append(move("charity", accounts.CHARITY, int(record.charity), "charity"))
    # Only things paid a cent or more are written (invariant 9): work follows money, not clicks.
    shares = shares_of(record, list(flattrs))
    ordered = sorted(shares)
    steps = []
    for i in range(0, max(len(ordered), 1), CHUNK):
        transfers = list(first) if i == 0 else []
        received = []
        for thing_id in ordered[i : i + CHUNK]:
            share = move(
                f"share:{thing_id}", accounts.revenue(flattrs[thing_id]), shares[thing_id], "share", thing_id
            )
            transfers.append(share)
            received.append((thing_id, share.id, shares[thing_id]))
        if transfers:
            steps.append((transfers, received))
    return steps


def shares_of(record: Settlement, thing_ids: list[str]) -> dict[str, int]:
    """What a settled month paid each of its flattred things (those paid at least a cent)."""
    return split(int(record.distributed), sorted(thing_ids), salt=split_salt(record.user_id, record.month))


def _step(
    user_id: str, month: str, k: int, transfers: list[Transfer], received: list[tuple[str, str, int]]
) -> None:
    tx = Tx()
    pk, sk = Settlement.key(user_id, month)
    ledger.guard(tx, pk, f"{sk}#STEP#{k}")
    for thing_id, transfer_id, amount in received:
        shard = accounts.spread(transfer_id, Received.SHARDS)
        tx.update(
            Received(*Received.key(thing_id, shard, month)),
            [Received.flattrs.add(1), Received.amount.add(amount)],
            label="received",
        )
    ledger.post(transfers, tx)


def _finish(record: Settlement) -> None:
    user_id, month = record.user_id, record.month
    tx = Tx()
    tx.update(
        Settlement(*Settlement.key(user_id, month)),
        [Settlement.status.set("done")],
        condition=Settlement.status == "charged",
        label="record",
    )
    tx.update(
        _progress(month, user_id),
        [
            MonthProgress.users_settled.add(1),
            MonthProgress.charged.add(int(record.charged)),
            MonthProgress.fees.add(int(record.fee)),
            MonthProgress.distributed.add(int(record.distributed)),
            MonthProgress.charity.add(int(record.charity)),
        ],
    )
    tx.update(User(*User.key(user_id)), [User.idle_months.set(int(record.idle_after))])
    tx.commit_once()
