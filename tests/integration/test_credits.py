"""The creators' fold: a creator whose fans sit on many pages of the close is credited exactly once,
whatever the chunking, however often its jobs run, and the audit sees entries and credits that do
not match what the records paid."""

import pytest
from flattr.domain import accounts
from flattr.settings import Policy
from flattr.store import calendar, credits, ledger, settlement
from flattr.store.audit import run_audit
from flattr.store.credit_models import CreditEntry, CreditMark
from flattr.store.tx import Cancelled

CFG = Policy(fee_bps=1000, unspent="charity")
MONTH = "2026-10"
FANS = 9


class Jobs:
    def __init__(self):
        self.jobs: list[dict] = []

    def send(self, jobs):
        self.jobs.extend(jobs)


@pytest.fixture
def fans(api, at, monkeypatch):
    """Nine fans of star's thing and of one thing each of two other creators, over pages of two."""
    monkeypatch.setattr(settlement, "PAGE_SIZE", 2)
    at("2026-10-10T09:00:00")
    for creator in ("star", "ann", "ben"):
        api.giver(creator, budget=200, funds=200)
    made = {c: api.thing(c) for c in ("star", "ann", "ben")}
    for i in range(FANS):
        api.giver(f"fan{i}", budget=300, funds=300)
        assert api.flattr(f"fan{i}", made["star"])[0] == 201
        assert api.flattr(f"fan{i}", made["ann" if i % 2 else "ben"])[0] == 201
    return made


def close_all(q: Jobs, again: bool = False) -> int:
    """Run every job (each twice when `again`: SQS delivers at least once). Returns credit jobs run."""
    at_least = 0
    settlement.start_close(MONTH, q)
    while q.jobs:
        job = q.jobs.pop(0)
        settlement.run_job(job, q, CFG)
        at_least += job["kind"] == "credit"
        if again:
            settlement.run_job(job, q, CFG)
    return at_least


def test_a_creator_with_fans_on_many_pages_is_credited_once(api, fans, at):
    at("2026-11-01T00:10:00")
    close_all(Jobs())
    assert calendar.month_status(MONTH)["status"] == "closed"
    # Each fan pays 300: 30 fee, 270 over two things, 135 each.
    assert api.me("star")["balances"]["revenue"] == FANS * 135
    assert api.me("ann")["balances"]["revenue"] == 4 * 135
    assert api.me("ben")["balances"]["revenue"] == 5 * 135
    entries = list(CreditEntry.scan(CreditEntry.pk.startswith(f"CREDIT#{MONTH}#")))
    assert len({e.page for e in entries if e.owner == "star"}) > 1  # fans on several pages...
    credited = [
        credits.decode_mark(m.credits).get("star")
        for m in CreditMark.scan(CreditMark.pk.startswith(f"CREDITS#{MONTH}#"))
    ]
    assert [c for c in credited if c] == [FANS * 135]  # ...one credit
    assert ledger.balance(accounts.clearing(MONTH)) == 0
    assert credits.givers("star", MONTH) == {f"fan{i}" for i in range(FANS)}
    assert run_audit() == []


def test_small_chunks_continued_over_jobs_and_every_job_twice_credit_the_same(api, fans, at, monkeypatch):
    monkeypatch.setattr(credits, "CHUNK_OWNERS", 1)
    monkeypatch.setattr(credits, "CHUNKS_PER_JOB", 1)
    monkeypatch.setattr(settlement, "parts_for", lambda users: 4)  # a big close's several parts
    at("2026-11-01T00:10:00")
    jobs_run = close_all(Jobs(), again=True)
    assert jobs_run > 4  # a part went on in further jobs
    assert calendar.month_status(MONTH)["status"] == "closed"
    assert [api.me(c)["balances"]["revenue"] for c in ("star", "ann", "ben")] == [
        FANS * 135,
        4 * 135,
        5 * 135,
    ]
    statement = api.get(f"/me/statements/{MONTH}", user="star")[1]
    assert [(r["flattrs"], r["amount"]) for r in statement["received"]] == [(FANS, FANS * 135)]
    assert run_audit() == []


def test_the_audit_sees_an_entry_or_a_credit_that_the_records_do_not_explain(api, fans, at):
    at("2026-11-01T00:10:00")
    close_all(Jobs())
    assert run_audit() == []
    entry = next(
        e for e in CreditEntry.scan(CreditEntry.pk.startswith(f"CREDIT#{MONTH}#")) if e.owner == "star"
    )
    entry.update(actions=[CreditEntry.cents.add(5)])
    assert 4 in {v.invariant for v in run_audit()}
    entry.update(actions=[CreditEntry.cents.add(-5)])
    assert run_audit() == []
    # An entry lost: the closed month's creator was paid less than the records say.
    entry.delete()
    assert 7 in {v.invariant for v in run_audit()}
    entry.save()
    assert run_audit() == []
    # A chunk's marker lost: applied again, it would take from clearing what is not there.
    mark = next(
        m
        for m in CreditMark.scan(CreditMark.pk.startswith(f"CREDITS#{MONTH}#"))
        if "star" in credits.decode_mark(m.credits)
    )
    part = int(mark.pk.split("#")[2])
    mark.delete()
    chunk = next(c for c in credits.chunks(MONTH, part) if "star" in c.owners)
    with pytest.raises(Cancelled):
        credits.apply(MONTH, part, chunk)
    assert api.me("star")["balances"]["revenue"] == FANS * 135
