"""A smaller `make load`: a concurrent burst over HTTP against `python -m local.run`, a month close,
and the books checked against what the client was told. bench/load.py has the burst and the checks."""

from __future__ import annotations

import json

import pytest

from bench import load

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack_url():
    with load.local_stack() as url:
        yield url


def test_every_acknowledged_click_is_counted_once(stack_url):
    report = load.run(stack_url, users=40, threads=10, clicks=6, repeats=2, time_limit=120)
    details = json.dumps(
        {
            **{k: report[k] for k in ("failures", "problems", "statuses", "close")},
            "stack_errors": load.stack_errors(),
        },
        indent=1,
    )
    assert report["server_errors"] == 0, details
    assert report["audit_violations"] == 0, details
    assert report["clicks_acknowledged"] > 100, details
    assert report["ok"], details
