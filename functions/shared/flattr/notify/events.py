"""What other parts of the system call to say something happened. Each call only queues a job:
nothing is sent inside a request or a settlement, and every job may arrive more than once."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from .. import settings

log = logging.getLogger(__name__)
_client = None
BATCH_BYTES = 256 * 1024  # a SendMessageBatch's payload, all its messages together
JOB_BYTES = 60_000  # a job of flattrs: within one 64 KB chunk, the unit SQS bills a request by


def _sqs():
    global _client
    if _client is None:
        import boto3  # on first use: functions that never notify need not load it

        _client = boto3.client("sqs")
    return _client


def send(jobs: list[dict], delay: int = 0) -> None:
    """Queue `jobs`, in SendMessageBatch requests of at most 10 messages and 256 KB."""
    url = settings.get().notify_queue_url
    if not url:
        return  # a deployment without notifications (or a unit test): nothing to tell
    for entries in _batches([_body(job) for job in jobs], max(0, min(900, int(delay)))):
        failed = _sqs().send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS refused notification jobs: {failed}")


def _body(job: dict) -> str:
    return json.dumps(job, sort_keys=True, separators=(",", ":"))


def _batches(bodies: list[str], delay: int) -> list[list[dict]]:
    out: list[list[dict]] = []
    size = BATCH_BYTES
    for body in bodies:
        n = len(body.encode())
        if size + n > BATCH_BYTES or len(out[-1]) == 10:
            out.append([])
            size = 0
        out[-1].append({"Id": str(len(out[-1])), "MessageBody": body, "DelaySeconds": delay})
        size += n
    return out


def after_close_job(job: dict) -> None:
    """The close worker finished a job: a user's month is settled, or a page of users was listed
    or folded, or creators were credited (the month may be closed now)."""
    if job.get("kind") == "settle":
        send([{"kind": "settled", "user_id": job["user_id"], "month": job["month"]}])
    elif job.get("kind") in ("scan", "fold", "credit"):
        send([{"kind": "close_progress", "month": job["month"]}])


def payout_settled(payout_id: str, user_id: str, amount: int, paid: bool) -> None:
    send(
        [
            {
                "kind": "payout",
                "payout_id": payout_id,
                "user_id": user_id,
                "amount": int(amount),
                "outcome": "paid" if paid else "failed",
            }
        ]
    )


def flattrs_received(flattrs: Iterable) -> None:
    """Counted flattrs (the stream tally hands over each chunk it counted; each has thing_id,
    user_id, at in epoch seconds, owner_id and via): the owners' flattr.received notices, grouped per
    owner and packed into as few `received` jobs as fit (the worker puts them into the owners'
    windows, once each). Only clicks are told; a subscription's flattrs come with its month.
    Raises if SQS refuses: the tally reports its chunk, so the notices are queued again."""
    owners: dict[str, list[list[str]]] = defaultdict(list)
    for f in flattrs:
        if f.via == "click" and f.owner_id:
            owners[f.owner_id].append([f.user_id, f.thing_id, _iso(f.at)])
    send(pack(owners))


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def pack(owners: dict[str, list[list[str]]]) -> list[dict]:
    """`received` jobs of about JOB_BYTES at most: {"kind": "received", "owners": {owner: [[giver,
    thing id, at], ...]}}. An owner with more flattrs than fit is split over jobs."""
    jobs: list[dict] = []
    size = JOB_BYTES
    for owner in sorted(owners):
        for flattr in owners[owner]:
            n = len(_body(flattr)) + 1
            if size + n > JOB_BYTES:
                jobs.append({"kind": "received", "owners": {}})
                size = 64
            if owner not in jobs[-1]["owners"]:
                jobs[-1]["owners"][owner] = []
                size += len(_body(owner)) + 4
            jobs[-1]["owners"][owner].append(flattr)
            size += n
    return jobs


_refused_seen: set[tuple[str, str]] = set()


def owner_refused(thing_id: str, month: str) -> None:
    """A click was refused because the thing's owner does not give: their buttons are off. Told once
    per container, thing and month here; the email goes out once per owner and month anyway."""
    if (thing_id, month) in _refused_seen:
        return
    _refused_seen.add((thing_id, month))
    try:
        send([{"kind": "buttons_off", "thing_id": thing_id, "month": month}])
    except Exception:  # the refusal is the answer; a lost notice must not turn it into a 5xx
        log.exception("could not queue buttons_off for thing %s", thing_id)
