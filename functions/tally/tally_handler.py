"""The stream tally: the table's stream of month cards -> things' counters (flattr.store.tally),
and the owners' flattr.received notices (flattr.notify.events), queued once a chunk is counted.

Lambda's DynamoDB event source hands a batch of card records (the mapping's filter keeps only
cards); a failure is reported from the first record of the chunk that failed, so the retry starts
there and the chunks before it, already applied, are not applied again. A chunk whose notices
could not be queued is reported too: its retry finds the counts applied (its markers) and queues
the notices again; the worker's windows take a flattr once.
"""

from __future__ import annotations

from flattr.notify import events
from flattr.observability import logger
from flattr.store import tally


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    records = event.get("Records") or []
    failed = tally.apply(records, events.flattrs_received)
    if failed is not None:
        logger.warning("tally stopped at a failed chunk", extra={"sequence_number": failed})
        return {"batchItemFailures": [{"itemIdentifier": failed}]}
    return {"batchItemFailures": []}
