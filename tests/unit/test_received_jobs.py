"""The stream tally's flattr.received notices: packed per owner into jobs SQS bills as one request
each (64 KB), and sent in batches SQS accepts (10 messages, 256 KB)."""

from __future__ import annotations

from flattr.notify import events
from hypothesis import given, settings
from hypothesis import strategies as st

ids = st.text("abcdef0123456789", min_size=1, max_size=40)
flattr = st.tuples(ids, st.integers(10**15, 10**16 - 1).map(str), st.just("2026-10-10T09:00:00+00:00"))
owners = st.dictionaries(ids, st.lists(flattr, min_size=1, max_size=400), max_size=30)


@settings(max_examples=40, deadline=None)
@given(owners)
def test_every_flattr_is_in_one_job_and_every_job_fits_one_billed_chunk(told):
    jobs = events.pack({o: [list(f) for f in fs] for o, fs in told.items()})
    bodies = [events._body(j) for j in jobs]
    assert all(len(b.encode()) <= 64 * 1024 for b in bodies)
    got = sorted((o, tuple(f)) for j in jobs for o, fs in j["owners"].items() for f in fs)
    assert got == sorted((o, f) for o, fs in told.items() for f in fs)
    assert all(j["kind"] == "received" and j["owners"] for j in jobs)
    batches = events._batches(bodies, 0)
    assert [e["MessageBody"] for b in batches for e in b] == bodies
    assert all(len(b) <= 10 and sum(len(e["MessageBody"].encode()) for e in b) <= 256 * 1024 for b in batches)


def test_only_clicks_with_an_owner_are_told(monkeypatch):
    from flattr.store.tally import Flattr

    sent: list[dict] = []
    monkeypatch.setattr(events, "send", lambda jobs, delay=0: sent.extend(jobs))
    events.flattrs_received(
        [
            Flattr("1", "ada", 0, "bob"),
            Flattr("2", "cy", 0, "bob", "subscription"),
            Flattr("3", "dee", 0, "eve"),
        ]
    )
    assert sent == [
        {
            "kind": "received",
            "owners": {
                "bob": [["ada", "1", "1970-01-01T00:00:00+00:00"]],
                "eve": [["dee", "3", "1970-01-01T00:00:00+00:00"]],
            },
        }
    ]
