"""The payment provider's webhook: its signature, and the events it may send."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from .errors import InvalidSignature

TOLERANCE_SECONDS = 300
MAX_DEPOSIT = 10_000_000  # cents; a larger single deposit is refused rather than trusted


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(header: str | None, body: bytes, secret: str, now_seconds: int) -> None:
    """Raise InvalidSignature unless `header` signs exactly these bytes, recently."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("The Flattr-Signature header is missing or malformed.") from None
    if abs(now_seconds - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("The webhook's timestamp is too far from now.")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    # Constant time, and any of several v1 signatures may match (secret rotation).
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise InvalidSignature("The webhook's signature does not match.")


class _Strict(BaseModel):
    # Validators built on the first webhook, not by a cold start of the function's other routes.
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)


class DepositData(_Strict):
    user_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\s#]+$")
    amount: StrictInt = Field(gt=0, le=MAX_DEPOSIT)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class PayoutData(_Strict):
    payout_id: str = Field(min_length=1, max_length=128)


class DepositSucceeded(_Strict):
    id: str = Field(min_length=1, max_length=200)
    type: Literal["deposit.succeeded"]
    data: DepositData


class PayoutPaid(_Strict):
    id: str = Field(min_length=1, max_length=200)
    type: Literal["payout.paid"]
    data: PayoutData


class PayoutFailed(_Strict):
    id: str = Field(min_length=1, max_length=200)
    type: Literal["payout.failed"]
    data: PayoutData


PaymentEvent = Annotated[Union[DepositSucceeded, PayoutPaid, PayoutFailed], Field(discriminator="type")]
