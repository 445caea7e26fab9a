"""Settlement at the floor: the rules bound when a user's month settles, and the page fold that
credits creators once a page of users is settled."""

import pytest
from flattr.domain import accounts
from flattr.domain.accounts import Transfer
from flattr.settings import Policy
from flattr.store import calendar, fold, ledger, models, payments, settlement
from flattr.store.audit import run_audit

CFG = Policy(fee_bps=1000, unspent="charity")
MONTH = "2026-10"


class Jobs:
    def __init__(self):
        self.jobs: list[dict] = []

    def send(self, jobs):
        self.jobs.extend(jobs)

    def take(self, kind: str) -> list[dict]:
        taken = [j for j in self.jobs if j["kind"] == kind]
        self.jobs = [j for j in self.jobs if j["kind"] != kind]
        return taken


def scan(at) -> Jobs:
    """Begin the close and run its scan jobs; the settle and fold jobs are left queued."""
    at("2026-11-01T00:10:00")
    q = Jobs()
    settlement.start_close(MONTH, q)
    while scans := q.take("scan"):
        for job in scans:
            settlement.run_job(job, q, CFG)
    return q


def run(q: Jobs, kind: str) -> None:
    for job in q.take(kind):
        settlement.run_job(job, q, CFG)


@pytest.fixture
def october(api, at):
    at("2026-10-10T09:00:00")
    api.giver("ada", budget=1000, funds=5000)
    api.giver("cy", budget=200, funds=5000)
    api.put("/me", {"display_name": "Bob", "monthly_budget": 200}, user="bob")
    payments.deposit("bob-dep", "bob", 200)
    things = {"bob1": api.thing("bob"), "cy1": api.thing("cy")}
    for t in things.values():
        assert api.flattr("ada", t)[0] == 201
    return things


def record(user):
    return models.Settlement.get(*models.Settlement.key(user, MONTH))


def test_a_share_whose_owner_stopped_giving_goes_to_charity(api, october, at):
    payments.refund("bob-dep", 200)  # after ada's click: bob gives no more when October settles
    q = scan(at)
    run(q, "settle")
    run(q, "fold")
    run(q, "credit")
    ada = record("ada")
    assert (ada.charged, ada.fee, ada.distributed, ada.charity) == (1000, 100, 450, 450)
    assert [s.thing_id for s in fold.decode(ada.redirected)] == [str(october["bob1"])]
    statement = api.get(f"/me/statements/{MONTH}", user="ada")[1]
    assert [(g["thing_id"], g["amount"]) for g in statement["given"]] == [(october["cy1"], 450)]
    assert statement["charity"] == 450
    assert api.me("bob")["balances"]["revenue"] == 0
    assert api.me("cy")["balances"]["revenue"] == 450
    assert ledger.balance(accounts.CHARITY) == 450 + 200  # and cy's unspent budget
    assert run_audit() == []


@pytest.mark.parametrize("first", ["bob", "ada"])
def test_an_owner_who_gave_their_funds_this_month_still_receives(api, october, at, first):
    """bob's own settlement empties his funds; whichever settles first, he gave, so he receives."""
    at("2026-11-01T00:10:00")
    api.post(f"/admin/months/{MONTH}/close", user="admin", admin=True)
    for user in (first, "bob" if first == "ada" else "ada"):
        settlement.settle_user(user, MONTH, CFG)
    assert api.me("bob")["balances"] == {"funds": 0, "revenue": 450}
    assert record("ada").redirected == []
    assert run_audit() == []


def test_a_giver_who_owes_pays_nothing(api, october, at):
    # Money that went back leaves ada owing (as a refund beyond her funds would).
    ledger.post(
        [Transfer("refund:test:owed", accounts.debt("ada"), accounts.WORLD_PAYMENTS, 100, "refund_owed")]
    )
    q = scan(at)
    run(q, "settle")
    run(q, "fold")
    run(q, "credit")
    ada = record("ada")
    assert (ada.charged, ada.things, ada.shares) == (0, 2, [])
    assert api.me("ada")["balances"]["funds"] == 5000
    assert api.me("cy")["balances"]["revenue"] == 0
    assert run_audit() == []


def test_a_giver_without_funds_pays_nothing(api, october, at):
    payments.refund(_ada_deposit(), 5000)  # after her clicks: her funds are gone by the close
    q = scan(at)
    run(q, "settle")
    run(q, "fold")
    run(q, "credit")
    assert (record("ada").charged, record("ada").shares) == (0, [])
    assert api.me("bob")["balances"]["revenue"] == 0
    assert run_audit() == []


def _ada_deposit() -> str:
    refs = [
        t.transfer_id[len("payment:") :]
        for t in models.TransferItem.scan(models.TransferItem.kind == "deposit")
        if t.user_id == "ada"
    ]
    return refs[0]


def test_a_flattr_of_a_thing_deleted_since_is_paid(api, october, close, audit):
    assert api.call("DELETE", f"/things/{october['cy1']}", user="cy")[0] == 204
    assert close(MONTH, now="2026-11-01T00:10:00")["status"] == "closed"
    assert api.me("cy")["balances"]["revenue"] == 450
    audit()


def test_the_books_balance_at_every_step_and_the_month_closes_after_the_creators_fold(api, october, at):
    q = scan(at)
    run(q, "settle")
    status = calendar.month_status(MONTH)
    assert status["status"] == "closing" and status["pages_folded"] == 0
    # The charges are in transit, held by the records: funds are taken, nobody is credited yet.
    assert api.me("ada")["balances"]["funds"] == 5000 - 1000
    assert [record(u).charged for u in ("ada", "bob", "cy")] == [1000, 200, 200]
    assert ledger.balance(accounts.clearing(MONTH)) == 0
    assert run_audit() == []
    run(q, "fold")
    # The pages folded: the shares wait in clearing for the creators' fold; fees and charity moved.
    assert ledger.balance(accounts.clearing(MONTH)) == 900
    assert ledger.balance(accounts.FEES) == 100
    assert api.me("cy")["balances"]["revenue"] == 0
    assert calendar.month_status(MONTH)["status"] == "closing"
    assert run_audit() == []
    run(q, "credit")
    status = calendar.month_status(MONTH)
    assert status["status"] == "closed" and status["users_settled"] == status["users_total"] == 3
    assert ledger.balance(accounts.clearing(MONTH)) == 0
    assert api.me("cy")["balances"]["revenue"] == 450
    assert run_audit() == []


def test_a_fold_that_comes_before_its_settle_jobs_settles_them(api, october, at):
    q = scan(at)
    run(q, "fold")  # SQS gives no order: the page's fold may run first
    run(q, "credit")
    assert calendar.month_status(MONTH)["status"] == "closed"
    balances = {u: api.me(u)["balances"] for u in ("ada", "bob", "cy")}
    run(q, "settle")  # the settle jobs, late, change nothing
    for job in [settlement.fold_job(MONTH, p) for p in _pages()]:
        settlement.run_job(job, q, CFG)  # nor does the fold again
    assert {u: api.me(u)["balances"] for u in ("ada", "bob", "cy")} == balances
    assert run_audit() == []


def _pages() -> list[str]:
    found = models.Page.query(f"MONTH#{MONTH}", models.Page.sk.startswith("PAGE#"))
    return [p.sk[len("PAGE#") :] for p in found if p.users]  # pages with users to fold


def test_the_audit_sees_a_fold_that_does_not_match_its_records(api, october, close):
    close(MONTH, now="2026-11-01T00:10:00")
    assert run_audit() == []
    row = next(iter(models.Received.scan(models.Received.pk.startswith("RECEIVED#"))))
    row.update(actions=[models.Received.amount.add(1)])
    assert 6 in {v.invariant for v in run_audit()}
    row.update(actions=[models.Received.amount.add(-1)])
    page = _pages()[0]
    models.Marker.get(*models.Page.fold_key(MONTH, page, fold.DONE)).delete()  # as if never folded
    found = {v.invariant for v in run_audit()}
    assert 2 in found and 4 in found


def test_a_fold_reads_of_each_record_what_the_record_holds(api, october, at):
    q = scan(at)
    run(q, "settle")
    users = ["ada", "bob", "cy", "nobody"]
    read = fold.records(MONTH, users)
    assert sorted(read) == ["ada", "bob", "cy"]
    for user_id, r in read.items():
        full = record(user_id)
        assert (r.user_id, r.page, r.shares) == (full.user_id, full.page, list(full.shares))
        assert (r.charged, r.fee, r.distributed, r.charity) == (
            int(full.charged),
            int(full.fee),
            int(full.distributed),
            int(full.charity),
        )
    assert sum(len(r.shares) for r in read.values()) == 2  # ada's flattrs, both paid
