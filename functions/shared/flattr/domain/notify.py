"""Notifications: who wants which email, unsubscribe tokens, and when a webhook delivery is retried.

Pure rules; sending, storing and queueing live in flattr.notify and flattr.store.notify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .errors import ValidationFailed

# Each kind of email a user may turn off, and whether it is on until they say otherwise.
KINDS: dict[str, str] = {
    "statement": "the monthly statement",
    "paused": "your flattrs are paused (funds below your budget)",
    "buttons_off": "your buttons are off (give to get)",
    "digest": "new supporters this month",
    "payouts": "payouts paid or failed",
}
DEFAULTS = {kind: True for kind in KINDS}

WEBHOOK_EVENTS = ("flattr.received", "month.settled", "payout.paid", "payout.failed", "test")

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def parse_email(value: str) -> str:
    """An address we may put in a To: header: no spaces, no line breaks, one @, a dotted domain."""
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value):
        raise ValidationFailed("email must be an address like name@example.org.", code="invalid_email")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def verified_claim_email(claims: dict) -> str | None:
    """The token's email, only if the issuer says it is verified (claims arrive as strings on AWS)."""
    email, verified = claims.get("email"), claims.get("email_verified")
    if not email or str(verified).lower() != "true":
        return None
    try:
        return parse_email(str(email))
    except ValidationFailed:
        return None


def merge_preferences(stored: dict | None, changes: dict[str, bool] | None) -> dict[str, bool]:
    out = {**DEFAULTS, **{k: bool(v) for k, v in (stored or {}).items() if k in KINDS}}
    for kind, on in (changes or {}).items():
        if kind not in KINDS:
            raise ValidationFailed(
                f"Unknown notification '{kind}'; known: {', '.join(KINDS)}.", code="invalid_notification"
            )
        out[kind] = on
    return out


# ---------------------------------------------------------------- unsubscribe tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret: str, user_id: str, kind: str) -> str:
    """`<payload>.<mac>`: names the user and the kind of email, and only we can make one."""
    payload = _b64(f"{kind}\n{user_id}".encode())
    mac = hmac.new(secret.encode(), b"unsubscribe:" + payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str] | None:
    """(user_id, kind) if the token is ours and untouched, else None."""
    payload, sep, mac = (token or "").partition(".")
    if not sep or len(token) > 1000:
        return None
    expected = hmac.new(secret.encode(), b"unsubscribe:" + payload.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        kind, _, user_id = _unb64(payload).decode().partition("\n")
    except (ValueError, UnicodeDecodeError):
        return None
    if kind not in KINDS or not user_id:
        return None
    return user_id, kind


# ---------------------------------------------------------------- webhook retries


def next_retry(attempt: int, elapsed: float, base: float, window: float) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, doubling from `base`; None once the retries
    would run past `window` seconds after the first attempt (24 h on AWS): give up."""
    delay = base * (2 ** max(attempt - 1, 0))
    if elapsed + delay > window:
        return None
    return delay


def sqs_delay(remaining: float) -> int:
    """One hop of a longer wait: SQS delays a message at most 900 s, so long waits are chained."""
    return max(0, min(900, int(remaining + 0.999)))
