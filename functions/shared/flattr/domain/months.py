"""Months are 'YYYY-MM' strings in UTC; they sort as they compare."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .errors import ValidationFailed

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_of(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m")


def parse(month: str) -> str:
    m = _MONTH.match(month or "")
    if not m or int(m.group(1)) < 2000:
        raise ValidationFailed("A month is written YYYY-MM, for example 2026-11.", code="invalid_month")
    return month


def previous(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def following(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"


def is_over(month: str, now: datetime) -> bool:
    return month < month_of(now)
