"""The settlement worker: SQS jobs that enumerate users (scan), settle one user's month (settle),
or fold a page of settled users into creators' revenue (fold)."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from flattr import settings
from flattr.notify import events as notify
from flattr.observability import CORRELATION_ATTRIBUTE, logger
from flattr.store import models, settlement
from flattr.store.queue import SettleQueue

processor = BatchProcessor(event_type=EventType.SQS)
_queue = SettleQueue()
_idempotency = IdempotencyConfig(event_key_jmespath="[month, user_id]", expires_after_seconds=24 * 3600)


# Duplicate deliveries stop here cheaply; the ledger's own guards make any that slip by harmless.
@idempotent_function(
    data_keyword_argument="job",
    persistence_store=DynamoDBPersistenceLayer(
        table_name=settings.get().idempotency_table, boto3_client=models.connection().client
    ),
    config=_idempotency,
)
def settle(job: dict) -> dict:
    record = settlement.settle_user(job["user_id"], job["month"], page=job.get("page"))
    return {"status": record.status if record else "no_user"}


def decode_job(body: str) -> dict:
    job = json.loads(body)
    if job.get("kind") not in ("scan", "settle", "fold"):
        raise ValueError(f"unknown job kind {job.get('kind')!r}")
    return job


def record_handler(record: SQSRecord) -> None:
    attributes = record.message_attributes
    cid = attributes[CORRELATION_ATTRIBUTE].string_value if CORRELATION_ATTRIBUTE in attributes else None
    logger.set_correlation_id(cid or record.message_id)
    job = decode_job(record.body)
    if job["kind"] == "settle":
        settle(job=job)
    else:
        settlement.run_job(job, _queue)
    notify.after_close_job(job)  # statements, webhooks and the like: queued, sent by the notify worker


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    _idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
