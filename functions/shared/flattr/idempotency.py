"""A function's events handled once each, by Powertools' idempotency utility, on the idempotency
table and through the store's own DynamoDB client (one client a container).

The utility is set up on the first call, not when the function's module is imported: its package
imports boto3, and its DynamoDB layer wants the client when it is made. Made at import, inside
`@idempotent_function(...)`, that client was most of the import time of the deposit and worker
functions (BENCHMARKS.md, *Cold start*). The first call needs the store's client anyway, so it
is made once either way. With SnapStart, Lambda's runtime calls `build` before it takes the
snapshot, so a restored container starts with the utility set up.

    @idempotency.idempotent(data_keyword_argument="job", event_key_jmespath="[month, user_id]")
    def settle(job: dict) -> dict: ...

    settle.register_lambda_context(context)  # per invocation, as with IdempotencyConfig
    settle(job=job)
"""

from __future__ import annotations

import functools
from typing import Any, Callable

try:  # in Lambda's Python runtimes; its hooks run only when SnapStart takes a snapshot
    from snapshot_restore_py import register_before_snapshot
except ImportError:
    register_before_snapshot = None

# Powertools' exceptions, named here without importing the utility (see __getattr__).
_EXCEPTIONS = ("IdempotencyValidationError", "IdempotencyAlreadyInProgressError")


class Idempotent:
    """`fn` under Powertools' `idempotent_function`, set up on the first call."""

    def __init__(self, fn: Callable[..., Any], data_keyword_argument: str, config: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._data_keyword_argument = data_keyword_argument
        self._options = config
        self._config: Any = None
        self._wrapped: Callable[..., Any] | None = None
        self._context: Any = None
        if register_before_snapshot is not None:
            register_before_snapshot(self.build)

    def build(self) -> Callable[..., Any]:
        if self._wrapped is None:
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                IdempotencyConfig,
                idempotent_function,
            )

            from . import settings
            from .store import models

            self._config = IdempotencyConfig(**self._options)
            layer = DynamoDBPersistenceLayer(
                table_name=settings.get().idempotency_table, boto3_client=models.connection().client
            )
            self._wrapped = idempotent_function(
                data_keyword_argument=self._data_keyword_argument,
                persistence_store=layer,
                config=self._config,
            )(self._fn)
        return self._wrapped

    def register_lambda_context(self, context: Any) -> None:
        """The invocation's context: a record in progress expires when the invocation would time out."""
        self._context = context

    def __call__(self, **kwargs: Any) -> Any:
        wrapped = self.build()
        if self._context is not None:
            self._config.register_lambda_context(self._context)
        return wrapped(**kwargs)


def idempotent(*, data_keyword_argument: str, **config: Any) -> Callable[[Callable[..., Any]], Idempotent]:
    """Decorator: `config` is IdempotencyConfig's keyword arguments."""
    return lambda fn: Idempotent(fn, data_keyword_argument, config)


def __getattr__(name: str) -> Any:
    # `except idempotency.IdempotencyValidationError:` is looked up only when an exception arrives.
    if name in _EXCEPTIONS:
        from aws_lambda_powertools.utilities.idempotency import exceptions

        return getattr(exceptions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
