"""The audit: the daily schedule starts a run; its map and reduce jobs come back here through
the audit queue. The job that finishes a run publishes its violations, once per run."""

from __future__ import annotations

import json

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from flattr import settings
from flattr.observability import logger, metrics
from flattr.store import audit
from flattr.store.queue import SettleQueue

processor = BatchProcessor(event_type=EventType.SQS)
_queue = SettleQueue(url=settings.get().audit_queue_url or "FLATTR_AUDIT_QUEUE_URL is not set")


def record_handler(record: SQSRecord) -> None:
    report = audit.handle(json.loads(record.body), _queue)
    if report is None:
        return
    metrics.add_metric(name="AuditViolations", unit=MetricUnit.Count, value=report.count)
    for v in report.violations:
        logger.error(
            "audit violation", extra={"invariant": v.invariant, "detail": v.detail, "run": report.run}
        )
    logger.info("audit finished", extra={"run": report.run, "violations": report.count})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    run = audit.start(_queue)
    logger.info("audit started", extra={"run": run})
    return {"run": run}
