"""A function's events handled once each, by Powertools' idempotency utility, on the idempotency
table and through the store's own DynamoDB client (one client a container).

The utility is set up on the first call, not when the function's module is imported: its package
imports boto3, and its DynamoDB layer wants the client when it is made. Made at import, inside
`@idempotent_function(...)`, that client was a large part of the import time of the deposit and worker
functions (BENCHMARKS.md, *Cold start*). The first call needs the store's client anyway, so it
is made once either way. With SnapStart, Lambda's runtime calls `build` before it takes the
snapshot (flattr.snapstart), so a restored container starts with the utility set up.

    _idempotency = idempotency.Config(event_key_jmespath="[month, user_id]")

    @idempotency.idempotent(data_keyword_argument="job", config=_idempotency)
    def settle(job: dict) -> dict: ...

    _idempotency.register_lambda_context(context)  # per invocation, as with IdempotencyConfig
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from .snapstart import register_before_snapshot

# Powertools' exceptions, named here without importing the utility (see __getattr__).
_EXCEPTIONS = ("IdempotencyValidationError", "IdempotencyAlreadyInProgressError")


class Config:
    """IdempotencyConfig's keyword arguments; the IdempotencyConfig is made on first use."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._config: Any = None
        self._context: Any = None

    def register_lambda_context(self, context: Any) -> None:
        """Per invocation, as with IdempotencyConfig: a record in progress expires with the invocation."""
        self._context = context
        if self._config is not None:
            self._config.register_lambda_context(context)

    def get(self) -> Any:
        if self._config is None:
            from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

            self._config = IdempotencyConfig(**self._options)
            if self._context is not None:
                self._config.register_lambda_context(self._context)
        return self._config


class Idempotent:
    """`fn` under Powertools' `idempotent_function`, set up on the first call."""

    def __init__(self, fn: Callable[..., Any], data_keyword_argument: str, config: Config) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._data_keyword_argument = data_keyword_argument
        self._config = config
        self._wrapped: Callable[..., Any] | None = None
        register_before_snapshot(self.build)

    def build(self) -> Callable[..., Any]:
        if self._wrapped is None:
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                idempotent_function,
            )

            from . import settings
            from .store import models

            layer = DynamoDBPersistenceLayer(
                table_name=settings.get().idempotency_table, boto3_client=models.connection().client
            )
            self._wrapped = idempotent_function(
                data_keyword_argument=self._data_keyword_argument,
                persistence_store=layer,
                config=self._config.get(),
            )(self._fn)
        return self._wrapped

    def __call__(self, **kwargs: Any) -> Any:
        return self.build()(**kwargs)


def idempotent(*, data_keyword_argument: str, config: Config) -> Callable[[Callable[..., Any]], Idempotent]:
    """Decorator, as Powertools' `idempotent_function` without its persistence store."""
    return lambda fn: Idempotent(fn, data_keyword_argument, config)


def __getattr__(name: str) -> Any:
    # `except idempotency.IdempotencyValidationError:` is looked up only when an exception arrives.
    if name in _EXCEPTIONS:
        from aws_lambda_powertools.utilities.idempotency import exceptions

        return getattr(exceptions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
