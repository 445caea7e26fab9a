"""Calls to Stripe's API, through Stripe's own library. Secrets come from SSM, never from the environment.

The secret key and the webhook endpoint secret are SSM SecureString parameters whose *names* the
template passes in, read through flattr.secrets.

Stripe's library is imported on the first call, not with the module: it loads an HTTP client
(and, where installed, aiohttp), which would more than double the import of a function that
reaches Stripe only on a few of its routes (accounts: payouts; deposits: the PaymentIntent).
"""

from __future__ import annotations

from . import secrets, settings
from .domain.errors import ProviderUnavailable


def webhook_secret() -> str:
    return secrets.get(settings.get().stripe_webhook_secret_parameter)


def _configure():
    """Stripe's library, set up for this deployment, and the secret key."""
    import stripe

    cfg = settings.get()
    if cfg.stripe_api_base:  # locally: localstripe
        stripe.api_base = cfg.stripe_api_base
    stripe.max_network_retries = 2  # with idempotency keys, Stripe's retries are safe
    return stripe, secrets.get(cfg.stripe_secret_key_parameter)


def create_payment_intent(user_id: str, amount: int, currency: str, idempotency_key: str | None) -> dict:
    """A PaymentIntent for a deposit to `user_id`: the browser confirms it with Stripe.js."""
    stripe, key = _configure()
    options = {"idempotency_key": f"deposit:{user_id}:{idempotency_key}"} if idempotency_key else {}
    try:
        intent = stripe.PaymentIntent.create(
            api_key=key,
            amount=amount,
            currency=currency.lower(),
            metadata={"user_id": user_id},
            **options,
        )
    except stripe.StripeError as exc:
        # Stripe's message may name the request, never our key; still, say only what failed.
        raise ProviderUnavailable(
            f"Stripe refused or did not answer ({type(exc).__name__}); try again."
        ) from None
    return {
        "id": intent.id,
        "client_secret": intent.client_secret,
        "amount": intent.amount,
        "currency": intent.currency.upper(),
        "publishable_key": settings.get().stripe_publishable_key,
    }


def create_payout(payout_id: str, amount: int, currency: str, connected_account: str | None) -> str:
    """Send a held payout through Stripe; its outcome comes back as payout.paid / payout.failed.

    With a connected account (Stripe Connect, the creator's own): a Transfer of the amount to that
    account, then a Payout on it to the creator's bank, both keyed by our payout id so a retry
    makes neither twice. Without one (a platform that pays out itself, and localstripe, which has
    no Connect): a Payout on the platform's account.
    """
    stripe, key = _configure()
    metadata = {"payout_id": payout_id}
    try:
        if connected_account:
            stripe.Transfer.create(
                api_key=key,
                amount=amount,
                currency=currency.lower(),
                destination=connected_account,
                metadata=metadata,
                idempotency_key=f"payout:{payout_id}:transfer",
            )
        payout = stripe.Payout.create(
            api_key=key,
            amount=amount,
            currency=currency.lower(),
            metadata=metadata,
            idempotency_key=f"payout:{payout_id}",
            **({"stripe_account": connected_account} if connected_account else {}),
        )
    except stripe.StripeError as exc:
        raise ProviderUnavailable(
            f"Stripe refused or did not answer ({type(exc).__name__}); the payout stays pending."
        ) from None
    return payout.id


def onboard(user_id: str, account_id: str | None, return_url: str) -> tuple[str, str]:
    """Stripe Connect onboarding for a creator: their Express account (made once, keyed by the
    user), and a one-time link to Stripe's hosted onboarding. Returns (account id, link URL).

    The account's payouts are manual, so each of our payouts is one Stripe payout that carries our
    payout id back in payout.paid / payout.failed (see create_payout).
    """
    stripe, key = _configure()
    try:
        if not account_id:
            account_id = stripe.Account.create(
                api_key=key,
                type="express",
                capabilities={"transfers": {"requested": True}},
                settings={"payouts": {"schedule": {"interval": "manual"}}},
                metadata={"user_id": user_id},
                idempotency_key=f"connect:{user_id}",
            ).id
        link = stripe.AccountLink.create(
            api_key=key,
            account=account_id,
            type="account_onboarding",
            refresh_url=return_url,
            return_url=return_url,
        )
    except stripe.StripeError as exc:
        raise ProviderUnavailable(
            f"Stripe Connect refused or did not answer ({type(exc).__name__})."
        ) from None
    return account_id, link.url
