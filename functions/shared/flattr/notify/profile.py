"""A user's email address and notification preferences, as PUT /me takes them and GET /me shows them."""

from __future__ import annotations

from ..domain import notify as rules
from ..store import notify as store


def check(email: str | None, notifications: dict[str, bool] | None) -> None:
    """Refuse bad input before anything is written (ValidationFailed)."""
    if email:
        rules.parse_email(email)
    rules.merge_preferences(None, notifications)


def save(user_id: str, email: str | None, notifications: dict[str, bool] | None, claims: dict) -> None:
    """An address given wins; "" removes it; otherwise the token's verified email is taken once."""
    if email == "":
        store.save(user_id, remove_email=True, changes=notifications)
    elif email is not None:
        store.save(user_id, email=rules.parse_email(email), email_source="user", changes=notifications)
    else:
        from_token = rules.verified_claim_email(claims)
        if from_token is None and not notifications:
            return  # nothing to change: no write
        store.save(
            user_id, email=from_token, email_source="token", changes=notifications, only_if_no_email=True
        )


def view(user_id: str) -> dict:
    return store.view(user_id)
