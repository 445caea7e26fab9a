"""GET/PUT /me and monthly statements."""

from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field

from flattr import settings
from flattr.domain import months
from flattr.domain.errors import NotFound, ValidationFailed
from flattr.http import current_user, entry, make_app
from flattr.store import settlement, things, users

app = make_app()


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    display_name: Optional[str] = Field(default=None, min_length=1, max_length=100)
    monthly_budget: Optional[int] = Field(default=None, description="cents")


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
    users.save_profile(user_id, display_name=profile.display_name, monthly_budget=budget)
    return _me(user_id)


@app.get("/me/statements/<month>")
def get_statement(month: Annotated[str, Path()]):
    user_id = current_user(app)
    return settlement.statement(user_id, months.parse(month), things.owned_by(user_id))


handler = entry(app)
