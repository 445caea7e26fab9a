"""The audit job: check every money invariant over the whole store, and count violations."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from flattr.observability import logger, metrics
from flattr.store.audit import run_audit


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    violations = run_audit()
    metrics.add_metric(name="AuditViolations", unit=MetricUnit.Count, value=len(violations))
    for v in violations:
        logger.error("audit violation", extra={"invariant": v.invariant, "detail": v.detail})
    return {"violations": len(violations), "details": [str(v) for v in violations[:100]]}
