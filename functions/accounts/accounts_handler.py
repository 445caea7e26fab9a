"""GET/PUT /me and monthly statements."""

from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from flattr import settings
from flattr.clock import now  # noqa: I001
from flattr.domain import months
from flattr.domain.errors import NotFound, ValidationFailed
from flattr.http import claims, current_user, entry, json_response, make_app
from flattr.limits import limited
from flattr.notify import profile as notify_profile
from flattr.store import revenue, users
from pydantic import BaseModel, ConfigDict, Field

app = make_app()


# The bodies' validators are built on first use (defer_build), not by a cold start serving another route.
class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    display_name: Optional[str] = Field(default=None, min_length=1, max_length=100)
    monthly_budget: Optional[int] = Field(default=None, description="cents")
    hide_flattrs: Optional[bool] = Field(default=None, description="keep which things you flattr private")
    email: Optional[str] = Field(
        default=None, max_length=254, description='where notifications go; "" removes it'
    )
    notifications: Optional[dict[str, bool]] = Field(default=None, description="each kind of email on or off")


class AmountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    amount: int = Field(gt=0, le=100_000_000, description="cents")


def _me(user_id: str) -> dict:
    p = users.profile(user_id)
    if p is None:
        raise NotFound("You have no account yet: create it with PUT /me.", code="user_not_found")
    return {
        "user_id": p.user_id,
        "display_name": p.display_name,
        "monthly_budget": p.monthly_budget,
        "balances": {"funds": p.funds, "revenue": p.revenue},
        "month": p.month,
        "flattrs_this_month": p.flattrs_this_month,
        "hide_flattrs": p.hide_flattrs,
        **notify_profile.view(user_id),  # email, notifications
    }


@app.get("/me")
def get_me():
    return _me(current_user(app))


@app.put("/me")
def put_me(profile: Annotated[ProfileIn, Body()]):
    user_id = current_user(app)
    cfg = settings.get()
    budget = profile.monthly_budget
    if budget is not None and not cfg.min_budget <= budget <= cfg.max_budget:
        raise ValidationFailed(
            f"monthly_budget is in cents, from {cfg.min_budget} to {cfg.max_budget}.", code="invalid_budget"
        )
    notify_profile.check(profile.email, profile.notifications)
    users.save_profile(
        user_id, display_name=profile.display_name, monthly_budget=budget, hide_flattrs=profile.hide_flattrs
    )
    notify_profile.save(user_id, profile.email, profile.notifications, claims(app))
    return _me(user_id)


def _request_key() -> str | None:
    # A client that retries with the same Idempotency-Key gets the first outcome, not a second move.
    key = app.current_event.headers.get("idempotency-key")
    return key[:200] if key else None


@app.post("/me/revenue/to-funds")
def revenue_to_funds(move: Annotated[AmountIn, Body()]):
    user_id = current_user(app)
    revenue.to_funds(user_id, move.amount, _request_key())
    return _me(user_id)


@app.post("/me/payouts", responses={202: {"description": "The payout is pending with the provider"}})
def request_payout(payout: Annotated[AmountIn, Body()]):
    user_id = current_user(app)
    minimum = settings.get().min_payout
    if payout.amount < minimum:
        raise ValidationFailed(f"A payout is at least {minimum} cents.", code="payout_below_minimum")
    from flattr import payouts  # this route only: the payout provider's client and secrets

    view = payouts.request(user_id, payout.amount, _request_key())
    return json_response(202, {"id": view.id, "amount": view.amount, "status": view.status})


def _estimate(user_id: str, month: str) -> dict | None:
    """This open month as a close would settle it now: what each flattr is worth so far."""
    from flattr.store import statements

    plan = statements.if_closed_now(user_id, month)
    if plan is None:
        return None
    return {
        "charged": plan.charged,
        "fee": plan.fee,
        "given": [{"thing_id": int(t), "amount": plan.shares[t]} for t in sorted(plan.shares, key=int)],
        "charity": plan.charity,
    }


@app.get("/me/statements/<month>")
def get_statement(
    month: Annotated[str, Path()],
    limit: Annotated[int, Query(ge=1, le=10, description="things per page of `received`")] = 10,
    cursor: Annotated[
        Optional[str], Query(max_length=400, description="the `next` of the page before")
    ] = None,
):
    """The month's statement; `received` covers a page of the user's things (16 shards each), and
    `next` goes on to the next page of them."""
    # This route only: the settlement's modules and the things' pages (~10 modules) are loaded here.
    from flattr.store import pages, statements

    user_id = current_user(app)
    month = months.parse(month)
    owned = pages.owned(user_id, count=limit, cursor=cursor)
    body = statements.statement(user_id, month, owned.rows)
    body["next"] = owned.next
    body["payouts"] = [
        {"id": p.id, "amount": p.amount, "status": p.status} for p in revenue.of_user(user_id, month)
    ]
    if not body["settled"] and month == months.month_of(now()):
        body["estimate"] = _estimate(user_id, month)
    return body


handler = entry(app, around=limited(lambda method, path: "payouts" if path == "/me/payouts" else None))
