"""Months for the tests that close one on a shared local stack (`make run`'s, over HTTP).

A stack closes months only in calendar order (a close waits for the month before it), and a close
seals every user born later through that month, so a closed future month would refuse today's
clicks. Tests that close a month therefore take past months from here, in order, one stack at a
time. A month that a failed test left open is closed before the next one is handed out, so one
failure does not fail the tests after it.
"""

from __future__ import annotations

import calendar

import requests

FIRST = "2020-01"
_last: dict[str, str] = {}  # stack URL -> the month handed out last


def following(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def name(month: str) -> str:
    """'2020-03' -> 'March 2020', as the app writes a month."""
    return f"{calendar.month_name[int(month[5:])]} {month[:4]}"


def take(base_url: str) -> str:
    """The next month for a test on the stack at `base_url` to set the clock in and then close."""
    last = _last.get(base_url)
    if last is not None:
        close(base_url, last)
    month = FIRST if last is None else following(last)
    _last[base_url] = month
    return month


def close(base_url: str, month: str) -> None:
    """Close `month` on the stack unless it is closed, and drain its jobs; the clock is restored."""
    token = requests.post(f"{base_url}/_local/token", json={"sub": "months-admin", "admin": True}, timeout=30)
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    if (
        requests.get(f"{base_url}/admin/months/{month}", headers=auth, timeout=30).json().get("status")
        == "closed"
    ):
        return
    requests.post(f"{base_url}/_local/clock", json={"now": f"{following(month)}-01T00:05:00Z"}, timeout=30)
    try:
        requests.post(f"{base_url}/admin/months/{month}/close", headers=auth, timeout=30)
        requests.post(f"{base_url}/_local/drain", timeout=300)
    finally:
        requests.post(f"{base_url}/_local/clock", json={"now": None}, timeout=30)
