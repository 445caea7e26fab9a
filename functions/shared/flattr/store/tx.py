"""A labelled TransactWriteItems: commit once, and say which labelled conditions failed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .models import connection

MAX_ITEMS = 100  # DynamoDB's limit per transaction


class Cancelled(Exception):
    def __init__(self, failed: set[str], codes: list[str | None]):
        super().__init__(f"transaction cancelled: {sorted(failed) or codes}")
        self.failed = failed
        self.codes = codes


# pynamodb sends condition checks first, then deletes, puts and updates; reasons come back so.
_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}


@dataclass
class Tx:
    _ops: list[tuple[str, str, Callable[[TransactWrite], Any]]] = field(default_factory=list)

    def put(self, item, condition=None, label: str = "put") -> "Tx":
        self._ops.append(("put", label, lambda tw: tw.save(item, condition=condition)))
        return self

    def update(self, item, actions, condition=None, label: str = "update") -> "Tx":
        self._ops.append(
            (
                "update",
                label,
                lambda tw: tw.update(item, actions=actions, condition=condition, add_version_condition=False),
            )
        )
        return self

    def delete(self, item, condition=None, label: str = "delete") -> "Tx":
        self._ops.append(("delete", label, lambda tw: tw.delete(item, condition=condition)))
        return self

    def check(self, model_cls, hash_key, range_key, condition, label: str = "check") -> "Tx":
        self._ops.append(
            (
                "check",
                label,
                lambda tw: tw.condition_check(model_cls, hash_key, range_key, condition=condition),
            )
        )
        return self

    def commit_once(self) -> bool:
        """Commit a step that may already have happened. False if a condition said it had."""
        try:
            self.commit()
        except Cancelled:
            return False
        return True

    def has(self, label: str) -> bool:
        return any(op_label == label for _, op_label, _ in self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def commit(self, attempts: int = 6) -> None:
        if not self._ops:
            return
        if len(self._ops) > MAX_ITEMS:
            raise ValueError(f"{len(self._ops)} items exceed one transaction's {MAX_ITEMS}")
        for attempt in range(attempts):
            try:
                with TransactWrite(connection=connection()) as tw:
                    for _, _, op in self._ops:
                        op(tw)
                return
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons or []
                codes = [r.code if r else None for r in reasons]
                labels = [label for _, label, _ in sorted(self._ops, key=lambda o: _ORDER[o[0]])]
                failed = {labels[i] for i, c in enumerate(codes) if c == "ConditionalCheckFailed"}
                if failed:
                    raise Cancelled(failed, codes) from exc
                retriable = any(c in ("TransactionConflict", "ThrottlingError") for c in codes) or (
                    exc.cause_response_code in ("TransactionInProgressException", "ThrottlingException")
                )
                if not retriable or attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
