"""The local Stripe: localstripe as a real server beside moto, and the sandbox deposit through it.

`make run` starts localstripe on 127.0.0.1:${STRIPE_PORT:-8420}, puts the local secrets where the
deployed functions read theirs (SSM: API key `sk_test_local`, endpoint secret `whsec_local`),
and registers the gateway's POST /webhooks/stripe with it. A deposit then goes the way a browser's
does: a PaymentIntent (POST /me/deposits makes the same one), a test card, confirm; localstripe
sends a signed `payment_intent.succeeded` about a second later.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

API_KEY = "sk_test_local"
PUBLISHABLE_KEY = "pk_test_local"
WEBHOOK_SECRET = "whsec_local"
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
ROOT = Path(__file__).resolve().parents[1]


def port() -> int:
    return int(os.environ.get("STRIPE_PORT", "8420"))


def start(
    listen_port: int, log_path: Path | None = None, timeout: float = 30.0
) -> tuple[subprocess.Popen, str]:
    """localstripe in its own process on 127.0.0.1:listen_port; returns it and its URL once it answers."""
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.localstripe_server", "--port", str(listen_port)],
        cwd=ROOT,
        stdout=out,
        stderr=out,
    )
    url = f"http://127.0.0.1:{listen_port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"localstripe exited with {proc.returncode} (is port {listen_port} taken? set STRIPE_PORT)"
            )
        try:
            requests.get(f"{url}/js.stripe.com/v3/", timeout=2)
            return proc, url
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"localstripe did not answer on {url} within {timeout:.0f} s") from None
            time.sleep(0.2)


def configure(stripe_url: str, gateway_url: str, environment: dict) -> None:
    """Secrets into (moto's) SSM, the handlers pointed at localstripe, our webhook registered with it."""
    import boto3

    ssm = boto3.client("ssm")
    for name, value in (
        (environment["FLATTR_STRIPE_SECRET_KEY_PARAMETER"], API_KEY),
        (environment["FLATTR_STRIPE_WEBHOOK_SECRET_PARAMETER"], WEBHOOK_SECRET),
    ):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    os.environ["FLATTR_STRIPE_API_BASE"] = stripe_url
    os.environ["FLATTR_STRIPE_PUBLISHABLE_KEY"] = PUBLISHABLE_KEY
    os.environ["FLATTR_STRIPE_CONNECT"] = "false"  # localstripe has no Connect: payouts from the platform
    from local import runtime

    runtime.ensure_paths()
    from flattr import settings

    settings.get.cache_clear()
    response = requests.post(
        f"{stripe_url}/_config/webhooks/flattr",
        data={"url": f"{gateway_url}/webhooks/stripe", "secret": WEBHOOK_SECRET},
        timeout=10,
    )
    response.raise_for_status()


def enabled() -> bool:
    return bool(os.environ.get("FLATTR_STRIPE_API_BASE"))


def client_config() -> dict:
    """POST /_local/stripe: what a local page needs to pay through localstripe (its Stripe.js
    stand-in and the publishable key). A deployed page reads Stripe's own from its config file."""
    base = os.environ.get("FLATTR_STRIPE_API_BASE", "")
    return {
        "enabled": bool(base),
        "api_base": base,
        "js": f"{base}/js.stripe.com/v3/" if base else "",
        "publishable_key": os.environ.get("FLATTR_STRIPE_PUBLISHABLE_KEY", ""),
        "confirm_url": "/_local/stripe-pay" if base else "",
    }


def page_headers(headers: dict) -> dict:
    """A local page may load localstripe's Stripe.js stand-in and let it talk to localstripe."""
    base = os.environ.get("FLATTR_STRIPE_API_BASE", "")
    csp = headers.get("Content-Security-Policy", "")
    if not base or not csp:
        return headers
    for directive in ("script-src", "connect-src"):
        csp = csp.replace(f"{directive} 'self'", f"{directive} 'self' {base}")
    return {**headers, "Content-Security-Policy": csp}


def confirm_card(body: dict) -> dict:
    """POST /_local/stripe-pay {"client_secret", "card"}: what Stripe.js's confirmCardPayment does
    with a card on real Stripe. localstripe's stand-in cannot (its confirmCardPayment only plays
    3-D Secure), so the local stack does it with the card typed into the stand-in's fields."""
    import stripe

    secret, card = body.get("client_secret"), body.get("card")
    if not enabled() or not isinstance(secret, str) or "_secret_" not in secret or not isinstance(card, dict):
        return {
            "status": "failed",
            "error": "Give 'client_secret' and 'card' (number, exp_month, exp_year, cvc).",
        }
    fields = {k: str(card.get(k, "")).replace(" ", "") for k in ("number", "exp_month", "exp_year", "cvc")}
    try:
        return {"status": pay(secret, os.environ["FLATTR_STRIPE_API_BASE"], fields)}
    except stripe.StripeError as exc:
        return {"status": "failed", "error": exc.user_message or "The card was declined."}


def pay(client_secret: str, stripe_url: str, card: dict | None = None) -> str:
    """What Stripe.js does with a card (test card 4242 4242 4242 4242 by default): attach it, confirm."""
    import stripe

    stripe.api_base = stripe_url
    intent_id = client_secret.split("_secret_", 1)[0]
    method = stripe.PaymentMethod.create(api_key=API_KEY, type="card", card=card or TEST_CARD)
    stripe.PaymentIntent.modify(intent_id, api_key=API_KEY, payment_method=method.id)
    return stripe.PaymentIntent.confirm(intent_id, api_key=API_KEY).status


def wait_for_credit(payment_intent_id: str, timeout: float = 15.0) -> bool:
    """Until the webhook has credited this PaymentIntent (the transfer exists), or False."""
    from flattr.store.models import TransferItem
    from flattr.stripe_events import payment_ref

    key = TransferItem.key(f"payment:{payment_ref(payment_intent_id)}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            TransferItem.get(*key, consistent_read=True)
            return True
        except TransferItem.DoesNotExist:
            time.sleep(0.1)
    return False


_BY_KEY: dict[str, str] = {}  # sandbox event id -> PaymentIntent: localstripe keeps no idempotency keys


def sandbox_deposit(user_id: str, amount: int, key: str | None) -> dict:
    """POST /_local/deposit through localstripe: PaymentIntent, card, confirm, webhook, credited.
    The same `key` again pays nothing twice; it reports "duplicate"."""
    from flattr import stripe_api

    if key and key in _BY_KEY:
        return {"payment_intent": _BY_KEY[key], "status": "duplicate"}
    intent = stripe_api.create_payment_intent(user_id, amount, os.environ.get("FLATTR_CURRENCY", "EUR"), key)
    if key:
        _BY_KEY[key] = intent["id"]
    status = pay(intent["client_secret"], os.environ["FLATTR_STRIPE_API_BASE"])
    credited = status == "succeeded" and wait_for_credit(intent["id"])
    return {"payment_intent": intent["id"], "status": "processed" if credited else f"not credited ({status})"}
