"""What other parts of the system call to say something happened. Each call only queues a job:
nothing is sent inside a request or a settlement, and every job may arrive more than once."""

from __future__ import annotations

import json
import logging

from .. import settings

log = logging.getLogger(__name__)
_client = None


def _sqs():
    global _client
    if _client is None:
        import boto3  # on first use: functions that never notify need not load it

        _client = boto3.client("sqs")
    return _client


def send(jobs: list[dict], delay: int = 0) -> None:
    url = settings.get().notify_queue_url
    if not url:
        return  # a deployment without notifications (or a unit test): nothing to tell
    for i in range(0, len(jobs), 10):
        entries = [
            {
                "Id": str(n),
                "MessageBody": json.dumps(job, sort_keys=True, separators=(",", ":")),
                "DelaySeconds": max(0, min(900, int(delay))),
            }
            for n, job in enumerate(jobs[i : i + 10])
        ]
        failed = _sqs().send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS refused notification jobs: {failed}")


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


def flattr_received(owner_id: str, giver: str, thing_id: str, at: str) -> None:
    """A click counted: for the owner's flattr.received webhook (batched by the worker)."""
    try:
        send([{"kind": "flattr", "owner_id": owner_id, "giver": giver, "thing_id": thing_id, "at": at}])
    except Exception:  # the click is written; a lost notice must not turn it into a 5xx
        log.exception("could not queue flattr.received for %s", owner_id)


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
