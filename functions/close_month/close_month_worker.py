"""The settlement worker: SQS jobs that enumerate users (scan), settle one user's month (settle),
or fold a page of settled users (fold), or credit a part of the creators (credit)."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from flattr.notify import events as notify
from flattr.observability import CORRELATION_ATTRIBUTE, logger
from flattr.store import settlement
from flattr.store.people import Ahead
from flattr.store.queue import SettleQueue

processor = BatchProcessor(event_type=EventType.SQS)
_queue = SettleQueue()


def decode_job(body: str) -> dict:
    job = json.loads(body)
    if job.get("kind") not in ("scan", "settle", "fold", "credit"):
        raise ValueError(f"unknown job kind {job.get('kind')!r}")
    return job


_ahead: Ahead | None = None  # this batch's settle jobs, sealed, read and settled together


def _read_ahead(records: list[dict]) -> Ahead | None:
    """Settle the batch's users together; a failure here only leaves each job to settle alone."""
    try:
        return settlement.prepare([json.loads(r["body"]) for r in records])
    except Exception:
        logger.warning("the batch's users could not be read together", exc_info=True)
        return None


def record_handler(record: SQSRecord) -> None:
    attributes = record.message_attributes
    cid = attributes[CORRELATION_ATTRIBUTE].string_value if CORRELATION_ATTRIBUTE in attributes else None
    logger.set_correlation_id(cid or record.message_id)
    # Every job is safe to run twice, or at once with itself: a duplicate settle job finds the user
    # settled (settled_through) after one read, and a duplicate fold finds its page's marker.
    job = decode_job(record.body)
    settlement.run_job(job, _queue, ahead=_ahead)
    notify.after_close_job(job)  # statements, webhooks and the like: queued, sent by the notify worker


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    global _ahead
    _ahead = _read_ahead(event.get("Records") or [])
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        _ahead = None
