"""The close watch knows from the calendar which month should be closing, and says so in the
metrics its alarms read: a close that never started, and one that has been open too long."""

from __future__ import annotations

import json

import pytest

from local import runtime, stack


@pytest.fixture
def watch(aws, capsys):
    fn = next(f for f in stack.functions() if f.logical_id == "CloseWatchFunction")

    def run() -> dict[str, float]:
        capsys.readouterr()
        runtime.invoke(fn, {})
        emitted = {}
        for line in capsys.readouterr().out.splitlines():
            if line.startswith("{") and '"_aws"' in line:
                doc = json.loads(line)
                for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                    value = doc[metric["Name"]]
                    emitted[metric["Name"]] = value[0] if isinstance(value, list) else value
        return emitted

    return run


def test_a_close_that_never_started_is_reported_once_its_retries_are_over(watch, at):
    at("2026-11-01T00:30:00")  # scheduled at 00:05, still retrying
    assert watch()["MonthCloseNotStarted"] == 0
    at("2026-11-01T01:10:00")
    assert watch()["MonthCloseNotStarted"] == 1
    at("2026-11-20T12:00:00")  # still not started weeks later: still reported
    assert watch()["MonthCloseNotStarted"] == 1


def test_a_close_in_progress_reports_its_open_hours_and_a_finished_one_nothing(watch, api, at, close):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    at("2026-11-01T00:05:00")
    status, _ = api.post("/admin/months/2026-10/close", user="admin", admin=True)  # jobs not run yet
    assert status == 202
    at("2026-11-01T07:05:00")
    assert watch() == {"MonthCloseNotStarted": 0, "MonthCloseOpenHours": 7.0}
    assert close("2026-10")["status"] == "closed"
    assert watch() == {"MonthCloseNotStarted": 0, "MonthCloseOpenHours": 0}


def test_in_january_the_watch_looks_at_december(watch, at):
    at("2027-01-01T02:00:00")
    assert watch()["MonthCloseNotStarted"] == 1
    at("2027-01-01T00:06:00")
    assert watch()["MonthCloseNotStarted"] == 0
