"""The fold: keep things' aggregate counts (what lists show and search sorts by) in step with their
counters (kept by the stream tally), a bounded slice of things per run."""

from __future__ import annotations

from flattr.observability import logger
from flattr.store import aggregates


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    step = aggregates.fold_some()
    # Every minute on AWS, every few seconds locally: say so only when counts moved.
    log = logger.info if step.changed else logger.debug
    log("folded", extra={"folded": step.folded, "changed": step.changed, "done": step.done})
    return {"folded": step.folded, "changed": step.changed, "done": step.done}
