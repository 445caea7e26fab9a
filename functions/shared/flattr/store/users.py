"""Users: the account a person creates with PUT /me, and what GET /me shows."""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import now
from ..domain import accounts
from ..domain.months import month_of
from . import calendar, cards, ledger
from .models import User
from .tx import Cancelled, Tx


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str
    monthly_budget: int
    funds: int
    revenue: int
    month: str
    flattrs_this_month: int
    hide_flattrs: bool


def save_profile(
    user_id: str, *, display_name: str | None, monthly_budget: int | None, hide_flattrs: bool | None = None
) -> None:
    """Create or update the user. Fields left out keep their value (or their default).
    A new user is born sealed through the last month whose close has begun (calendar.py)."""
    for _ in range(3):
        at = now().isoformat()
        tx = Tx()
        actions = [
            *calendar.birth(tx, user_id, at),
            User.funds.set(User.funds | 0),
            User.display_name.set(User.display_name | "" if display_name is None else display_name),
            User.budget.set(User.budget | 0 if monthly_budget is None else monthly_budget),
            User.hide_flattrs.set(User.hide_flattrs | False if hide_flattrs is None else hide_flattrs),
        ]
        tx.update(User(*User.key(user_id)), actions, label="user")
        try:
            tx.commit()
            return
        except Cancelled as exc:
            if exc.failed != {"calendar"}:
                raise
    raise calendar.busy()


def get(user_id: str) -> User | None:
    try:
        return User.get(*User.key(user_id), consistent_read=True)
    except User.DoesNotExist:
        return None


def flattr_count(user_id: str, month: str) -> int:
    return cards.count(user_id, month)


def profile(user_id: str) -> Profile | None:
    user = get(user_id)
    if user is None:
        return None
    month = month_of(now())
    return Profile(
        user_id=user_id,
        display_name=user.display_name or "",
        monthly_budget=int(user.budget or 0),
        funds=int(user.funds or 0),
        revenue=ledger.balance(accounts.revenue(user_id)),
        month=month,
        flattrs_this_month=flattr_count(user_id, month),
        hide_flattrs=bool(user.hide_flattrs),
    )


def flattrs_hidden(user_id: str, user: User | None, viewer: str | None) -> bool:
    """Whether the user's flattrs are kept from `viewer`: the user keeps them private, and the viewer
    is someone else. The one rule of both APIs' lists of a user's flattrs."""
    return viewer != user_id and bool(user and user.hide_flattrs)


def hides_flattrs_from(user_id: str, viewer: str | None) -> bool:
    return viewer != user_id and flattrs_hidden(user_id, get(user_id), viewer)


def get_many(user_ids: set[str]) -> dict[str, User]:
    return {u.uid: u for u in User.batch_get([User.key(u) for u in user_ids])}


def set_payout_account(user_id: str, account_id: str) -> str:
    """Remember the user's payout account (Stripe Connect) once; the first one stays. Returns it."""
    item = User(*User.key(user_id))
    item.update(actions=[User.stripe_account.set(User.stripe_account | account_id)])
    return get(user_id).stripe_account
