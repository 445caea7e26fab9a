"""Deployment parameters from the template's environment, read once into one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Policy:
    """The money rules' knobs: the platform's fee, where unspent money goes, the least budget that
    gives, and whether only those who give may receive. The store reads it (settings.policy());
    a test may hand the month close another."""

    fee_bps: int
    unspent: str
    min_budget: int = 200
    give_to_get: bool = True

    def gives(self, budget: int, funds: int) -> bool:
        """Whether a user gives: a budget of at least the minimum, and funds to give from. The store's
        DynamoDB condition for the same rule is store.clicks.gives_condition."""
        return budget >= self.min_budget and funds > 0


@dataclass(frozen=True)
class Settings:
    table: str
    idempotency_table: str
    settle_queue_url: str
    fee_bps: int
    unspent_policy: str
    give_to_get: bool
    min_budget: int
    min_payout: int
    currency: str
    webhook_secret_parameter: str
    v2_rate_limit: int = 5000  # requests per caller per hour, as Flattr's API v2 allowed
    pages_url: str = ""  # where flattr.html is served; empty: on the API's own origin
    api_url: str = ""  # the API's base URL, for links and Location; empty: its execute-api URL
    jwt_issuer: str = ""  # the authorizer's, for tokens checked in a handler (flattr.tokens)
    jwt_audience: str = ""

    max_budget: int = 100_000
    # Stripe: the names of the SSM parameters that hold its secrets (never the secrets themselves),
    # the publishable key browsers use, and where its API is (empty: Stripe's own; locally localstripe).
    stripe_secret_key_parameter: str = "/flattr/stripe-secret-key"
    stripe_webhook_secret_parameter: str = "/flattr/stripe-webhook-secret"
    stripe_publishable_key: str = ""
    stripe_api_base: str = ""
    payout_provider: str = (
        "stripe"  # "stripe": a payout request is sent to Stripe; "webhook": another provider
    )
    stripe_connect: bool = True  # payouts go to creators' connected accounts (localstripe has no Connect)
    # Notifications (emails through SES, creators' webhooks)
    notify_queue_url: str = ""
    mail_from: str = "Flattr <notify@flattr.example>"
    notify_secret_parameter: str = "/flattr/notify-secret"
    webhook_allow_loopback: bool = False  # the local stack only: tests receive on 127.0.0.1
    webhook_retry_base: float = 30.0  # seconds before the first retry; doubles each time
    webhook_retry_window: float = 86_400.0  # retries stop this long after the first attempt
    webhook_batch_seconds: int = 60  # flattr.received: at most one delivery per endpoint per this
    # The audit's scratch table and job queue (store.audit): only the audit's function has them.
    audit_table: str = "flattr-audit"
    audit_queue_url: str = ""


def policy() -> Policy:
    cfg = get()
    return Policy(
        fee_bps=cfg.fee_bps,
        unspent=cfg.unspent_policy,
        min_budget=cfg.min_budget,
        give_to_get=cfg.give_to_get,
    )


@lru_cache(maxsize=1)
def get() -> Settings:
    env = os.environ
    return Settings(
        table=env.get("FLATTR_TABLE", "flattr"),
        idempotency_table=env.get("FLATTR_IDEMPOTENCY_TABLE", "flattr-idempotency"),
        settle_queue_url=env.get("FLATTR_SETTLE_QUEUE_URL", ""),
        fee_bps=int(env.get("FLATTR_FEE_BPS", "1000")),
        unspent_policy=env.get("FLATTR_UNSPENT_POLICY", "charity"),
        give_to_get=env.get("FLATTR_GIVE_TO_GET", "true").lower() == "true",
        min_budget=int(env.get("FLATTR_MIN_BUDGET", "200")),
        min_payout=int(env.get("FLATTR_MIN_PAYOUT", "1000")),
        currency=env.get("FLATTR_CURRENCY", "EUR"),
        webhook_secret_parameter=env.get("FLATTR_WEBHOOK_SECRET_PARAMETER", "/flattr/webhook-secret"),
        v2_rate_limit=int(env.get("FLATTR_V2_RATE_LIMIT", "5000")),
        pages_url=env.get("FLATTR_PAGES_URL", "").rstrip("/"),
        # ApiBaseUrl, else (in a function that is no route's target) the execute-api URL.
        api_url=(env.get("FLATTR_API_URL") or env.get("FLATTR_EXECUTE_API_URL", "")).rstrip("/"),
        jwt_issuer=env.get("FLATTR_JWT_ISSUER", ""),
        jwt_audience=env.get("FLATTR_JWT_AUDIENCE", ""),
        stripe_secret_key_parameter=env.get(
            "FLATTR_STRIPE_SECRET_KEY_PARAMETER", "/flattr/stripe-secret-key"
        ),
        stripe_webhook_secret_parameter=env.get(
            "FLATTR_STRIPE_WEBHOOK_SECRET_PARAMETER", "/flattr/stripe-webhook-secret"
        ),
        stripe_publishable_key=env.get("FLATTR_STRIPE_PUBLISHABLE_KEY", ""),
        stripe_api_base=env.get("FLATTR_STRIPE_API_BASE", "").rstrip("/"),
        payout_provider=env.get("FLATTR_PAYOUT_PROVIDER", "stripe"),
        stripe_connect=env.get("FLATTR_STRIPE_CONNECT", "true").lower() == "true",
        audit_table=env.get("FLATTR_AUDIT_TABLE", "flattr-audit"),
        audit_queue_url=env.get("FLATTR_AUDIT_QUEUE_URL", ""),
        **_notify(env),
    )


def _notify(env) -> dict:
    return dict(
        notify_queue_url=env.get("FLATTR_NOTIFY_QUEUE_URL", ""),
        mail_from=env.get("FLATTR_MAIL_FROM") or "Flattr <notify@flattr.example>",
        notify_secret_parameter=env.get("FLATTR_NOTIFY_SECRET_PARAMETER", "/flattr/notify-secret"),
        webhook_allow_loopback=env.get("FLATTR_WEBHOOK_ALLOW_LOOPBACK", "false").lower() == "true",
        webhook_retry_base=float(env.get("FLATTR_WEBHOOK_RETRY_BASE", "30")),
        webhook_retry_window=float(env.get("FLATTR_WEBHOOK_RETRY_WINDOW", "86400")),
        webhook_batch_seconds=int(env.get("FLATTR_WEBHOOK_BATCH_SECONDS", "60")),
    )
