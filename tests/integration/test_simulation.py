"""A seeded fault-injection simulation of a month, in the spirit of TigerBeetle's VOPR.

Each seed builds a small world (deposits, some redelivered; budgets; clicks, some repeated),
then closes the month through an at-least-once queue while injecting faults: a crash before or
after any single DynamoDB write, duplicate deliveries, two workers on one job at once, and the
close started twice, and the creators' fold cut into chunks of a creator or two. Jobs also come
in a worker's batches, whose users are sealed, read and settled in one transaction. Meanwhile
functions whose clock still reads the old month click late (some at the very moment their month
card is sealed), a newcomer joins and tries to, and later months
try to close out of order. The table's stream reaches the tally at least once: batches delivered
twice, in sizes and chunks of every kind, with crashes around its writes and retries from the
failure it reports. Afterwards the audit must find nothing (the counters equal the cards), and
every balance must equal what a plain model of the rules says.

    FLATTR_SIM_SEEDS=3000 (make soak) runs more seeds; FLATTR_SIM_SEED=n replays one.
"""

from __future__ import annotations

import os
import random
import threading
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from flattr.domain import accounts
from flattr.domain.errors import FlattrError, MonthClosed, PreviousMonthOpen
from flattr.domain.money import bind_owners, plan_month
from flattr.http import status_of
from flattr.settings import Policy
from flattr.store import (
    audit,
    calendar,
    cards,
    clicks,
    credits,
    ledger,
    models,
    payments,
    revenue,
    settlement,
    subscriptions,
    things,
    users,
)
from flattr.store.tx import Cancelled

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
MONTH = "2026-10"
FEE_BPS = 1000


class Crash(Exception):
    """The worker died around a DynamoDB write."""


class Faults:
    """Raises Crash just before, or just after, the n-th DynamoDB write from now."""

    def __init__(self):
        self.client = models.connection().client
        self.writes = 0
        self.target: tuple[int, str] | None = None
        self.lock = threading.Lock()
        self.client.meta.events.register("before-call.dynamodb", self._before)
        self.client.meta.events.register("after-call.dynamodb", self._after)

    def close(self):
        self.client.meta.events.unregister("before-call.dynamodb", self._before)
        self.client.meta.events.unregister("after-call.dynamodb", self._after)

    def arm(self, in_writes: int, when: str):
        with self.lock:
            self.target = (self.writes + in_writes, when)

    def disarm(self):
        self.target = None

    def _before(self, model, **kw):
        if model.name not in WRITES:
            return
        with self.lock:
            self.writes += 1
            if self.target == (self.writes, "before"):
                self.target = None
                raise Crash(f"before write {self.writes} ({model.name})")

    def _after(self, model, **kw):
        if model.name in WRITES and self.target == (self.writes, "after"):
            self.target = None
            raise Crash(f"after write {self.writes} ({model.name})")


def seeds() -> list[int]:
    if "FLATTR_SIM_SEED" in os.environ:
        return [int(os.environ["FLATTR_SIM_SEED"])]
    return list(range(int(os.environ.get("FLATTR_SIM_SEEDS", "200"))))


@pytest.fixture(scope="module")
def faults(aws):
    f = Faults()
    yield f
    f.close()


@pytest.fixture
def tally_faults(stream, faults, monkeypatch):
    """The stream delivered at least once to a tally that crashes: returns drain(rng)."""
    from flattr.store import tally

    from local import runtime, streams

    monkeypatch.setattr(streams, "RETRIES", 10**6)  # Lambda retries until the record expires (24 h)
    m = stream.mappings[0]
    monkeypatch.setattr(m, "batch_size", m.batch_size)
    monkeypatch.setattr(stream, "invoke", stream.invoke)
    monkeypatch.setattr(tally, "MAX_THINGS", tally.MAX_THINGS)

    def drain(rng: random.Random) -> None:
        m.batch_size = rng.choice([1, 2, 5, 1000])
        tally.MAX_THINGS = rng.choice([1, 2, 3, 99])

        def invoke(fn, event):
            if rng.random() < 0.2:  # a batch delivered twice: the first answer is lost
                try:
                    runtime.invoke(fn, event)
                except Crash:
                    pass
            if rng.random() < 0.4:
                faults.arm(rng.randint(1, 3), rng.choice(["before", "after"]))
            try:
                return runtime.invoke(fn, event)  # a Crash inside a chunk is reported from it
            finally:
                faults.disarm()

        stream.invoke = invoke
        stream.drain()

    return drain


@pytest.mark.parametrize("seed", seeds())
def test_month_close_survives_faults(seed, faults, at, tally_faults, monkeypatch):
    rng = random.Random(seed)
    replay = f"replay: FLATTR_SIM_SEED={seed} python -m pytest tests/integration/test_simulation.py"
    policy = rng.choice(["charity", "carry", "dormant6"])
    faults.disarm()
    # The creators' fold in chunks of a creator or two, a chunk or two a job: cut and continued.
    monkeypatch.setattr(credits, "CHUNK_OWNERS", rng.choice([1, 2, 98]))
    monkeypatch.setattr(credits, "CHUNKS_PER_JOB", rng.choice([1, 2, 20]))

    # -- the world: users, deposits (some redelivered), budgets, things and clicks
    at("2026-10-05T10:00:00")
    names = [f"s{seed}u{i}" for i in range(rng.randint(2, 6))]
    deposited = defaultdict(int)
    budget = {}
    for u in names:
        if rng.random() < 0.85:
            budget[u] = rng.choice([200, 250, 999, 1000, 3333])
            users.save_profile(u, display_name=u, monthly_budget=budget[u])
        for d in range(rng.randint(0, 2)):
            amount = rng.choice([1, 99, 200, 1000, 2501])
            for _ in range(rng.choice([1, 1, 2])):  # a redelivered webhook
                payments.deposit(f"{u}-dep{d}", u, amount)
            deposited[u] += amount
    owned = [
        things.register(rng.choice(names), url=f"https://sim.example/{seed}/{t}", title=f"Thing {t:04d}")
        for t in range(rng.randint(1, 6))
    ]
    flattred = defaultdict(set)
    # Subscriptions made in September flattr in October, like clicks.
    at("2026-09-20T10:00:00")
    for _ in range(rng.randint(0, 3)):
        u, t = rng.choice(names), rng.choice(owned)
        try:
            subscriptions.subscribe(u, t.thing_id, rng.choice([3, 6, 12]))
            flattred[u].add(t.thing_id)
        except FlattrError:
            pass
    at("2026-10-06T10:00:00")
    for _ in range(rng.randint(0, 25)):
        u, t = rng.choice(names), rng.choice(owned)
        try:
            if clicks.flattr(u, t.thing_id).created:
                flattred[u].add(t.thing_id)
        except Exception as exc:  # refusals are part of the world (own thing, no means, ...)
            assert isinstance(exc, FlattrError) and status_of(exc) < 500, exc
    if rng.random() < 0.5:
        tally_faults(rng)  # the tally runs while clicks still come

    # -- the close, through an at-least-once queue, with faults
    at("2026-11-01T00:05:00")
    cfg = Policy(fee_bps=FEE_BPS, unspent=policy)
    queue: list[dict] = []
    sender = type("Queue", (), {"send": lambda self, jobs: queue.extend(jobs)})()

    def run(job):
        settlement.run_job(job, sender, cfg)

    def attempt(fn, *args):
        if rng.random() < 0.4:
            faults.arm(rng.randint(1, 8), rng.choice(["before", "after"]))
        try:
            fn(*args)
            return True
        except (Crash, Cancelled) as exc:  # a crash, or a race lost to a twin worker: redelivered
            del exc
            return False
        finally:
            faults.disarm()

    for _ in range(rng.choice([1, 2])):  # the close started twice
        while not attempt(settlement.start_close, MONTH, sender):
            pass
    newcomer = f"s{seed}late"
    newcomer_funds = 0

    def late_events():
        """A function whose clock still reads October, while October closes."""
        nonlocal newcomer_funds
        at("2026-10-31T23:59:00")
        try:
            if not newcomer_funds and rng.random() < 0.5:  # born sealed through October: refused
                users.save_profile(newcomer, display_name=newcomer, monthly_budget=500)
                payments.deposit(f"{newcomer}-dep", newcomer, 700)
                newcomer_funds = 700
                with pytest.raises(MonthClosed):
                    clicks.flattr(newcomer, rng.choice(owned).thing_id)
            u, t = rng.choice(names), rng.choice(owned)
            try:  # before the user's seal it counts, and is paid; after it, refused
                if clicks.flattr(u, t.thing_id).created:
                    flattred[u].add(t.thing_id)
            except FlattrError:
                pass
            if calendar.month_status(MONTH)["status"] != "closed":
                with pytest.raises(PreviousMonthOpen):
                    settlement.start_close("2026-11", sender)
            with pytest.raises(FlattrError):
                settlement.start_close(rng.choice(["2026-09", "2026-12"]), sender)
        finally:
            at("2026-11-01T00:05:00")

    october = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)
    racers: set[int] = set()
    real_now = clicks.now
    monkeypatch.setattr(clicks, "now", lambda: october if threading.get_ident() in racers else real_now())

    def racing_click(job):
        """A late click by the very user being settled, at the same moment (the card's race): its
        function's clock still reads October, the settling worker's November."""
        racers.add(threading.get_ident())
        t = rng.choice(owned)
        try:
            if clicks.flattr(job["user_id"], t.thing_id).created:
                flattred[job["user_id"]].add(t.thing_id)
        except FlattrError:
            pass  # refused: sealed before it, or the click's other rules
        except Crash:  # its function died around the card's write: the card says if it landed
            if cards.flattred(job["user_id"], t.thing_id, MONTH):
                flattred[job["user_id"]].add(t.thing_id)

    steps = 0
    while queue:
        steps += 1
        assert steps < 5000, f"the close does not converge; {replay}"
        if rng.random() < 0.08:
            late_events()
        if rng.random() < 0.05:
            tally_faults(rng)
        if rng.random() < 0.2:  # a worker's SQS batch: its settle jobs sealed, read, settled together
            batch = [queue.pop(rng.randrange(len(queue))) for _ in range(min(len(queue), rng.randint(2, 5)))]
            settles = [j for j in batch if j["kind"] == "settle"]
            late = None
            if settles and rng.random() < 0.3:  # one of its users clicks late, meanwhile
                late = threading.Thread(target=racing_click, args=(rng.choice(settles),))
                late.start()
            if rng.random() < 0.15:  # two workers got the same batch (a redelivery meanwhile)
                work = (settlement.run_batch, batch, sender, cfg)
                twins = [threading.Thread(target=attempt, args=work) for _ in range(2)]
                [t.start() for t in twins]
                [t.join() for t in twins]
                queue.extend(batch)
            elif not attempt(settlement.run_batch, batch, sender, cfg):
                queue.extend(batch)  # those that ran come again too: at least once
            if late is not None:
                late.join()
            continue
        job = queue.pop(rng.randrange(len(queue)))
        if job["kind"] == "settle" and rng.random() < 0.15:
            late = threading.Thread(target=racing_click, args=(job,))
            late.start()
            attempt(run, job)
            late.join()
            queue.append(job)
            continue
        if rng.random() < 0.15:
            queue.append(dict(job))  # a duplicate delivery
        if job["kind"] in ("settle", "fold", "credit") and rng.random() < 0.15:
            twins = [threading.Thread(target=attempt, args=(run, job)) for _ in range(2)]
            [t.start() for t in twins]
            [t.join() for t in twins]
            queue.append(job)  # whatever happened, SQS may deliver it again
            continue
        if not attempt(run, job):
            queue.append(job)  # the visibility timeout ran out: redelivered

    # -- payouts: requested (retried with the same key after a crash), then paid or failed,
    # with redelivered and out-of-order events
    at("2026-11-02T00:00:00")
    paid_out = defaultdict(int)
    for u in names:
        if ledger.balance(accounts.revenue(u)) < 1000 or rng.random() < 0.3:
            continue
        while not attempt(revenue.request_payout, u, 1000, f"sim-{u}"):
            pass
        payout_id = revenue.request_payout(u, 1000, f"sim-{u}").id  # the retry: the same payout
        outcome = rng.choice([True, False, None])  # paid, failed, or still pending
        events = (
            []
            if outcome is None
            else [outcome] * rng.randint(1, 2) + ([not outcome] if rng.random() < 0.5 else [])
        )
        for paid in events:
            try:
                while not attempt(revenue.settle_payout, payout_id, paid):
                    pass
            except FlattrError:
                pass  # the late, contradicting event is refused
        if outcome is not False:
            paid_out[u] = 1000

    # -- the books balance, and every balance is what the rules say
    tally_faults(rng)  # the rest of the stream, at least once
    violations = audit.run_audit()
    assert violations == [], "\n".join(map(str, violations)) + "\n" + replay
    status = calendar.month_status(MONTH)
    assert status["status"] == "closed", replay

    expected = defaultdict(int)
    fees = charity = 0
    # Give to get binds at settlement: an owner with a budget who had funds to give gives.
    giving = {u for u in names if budget.get(u, 0) >= 200 and deposited[u] > 0}
    owners = {t.thing_id: t.owner_id for t in owned}
    for u in names:
        things_of_u = sorted(flattred[u])
        plan = plan_month(
            budget=budget.get(u, 0),
            funds=deposited[u],
            things=things_of_u,
            fee_bps=FEE_BPS,
            policy=policy,
            idle_months=0,
            salt=f"{u}:{MONTH}",
        )
        plan = bind_owners(plan, owners, giving)
        expected[accounts.funds(u)] += deposited[u] - plan.charged
        for thing_id, amount in plan.shares.items():
            expected[accounts.revenue(owners[thing_id])] += amount
        expected[accounts.revenue(u)] -= paid_out[u]
        fees += plan.fee
        charity += plan.charity
    for u in names:
        for account in (accounts.funds(u), accounts.revenue(u)):
            assert ledger.balance(account) == expected[account], f"{account}; {replay}"
    assert ledger.balance(accounts.FEES) == fees, replay
    assert ledger.balance(accounts.CHARITY) == charity, replay
    assert ledger.balance(accounts.clearing(MONTH)) == 0, replay
    assert ledger.balance(accounts.funds(newcomer)) == newcomer_funds, replay


@pytest.mark.parametrize("seed", seeds()[: max(1, len(seeds()) // 8)])  # each seed runs a month close too
def test_stripe_events_redelivered_reordered_and_concurrent(seed, faults, at, tally_faults):
    """Stripe's events about deposits, refunds and disputes, in any order, some delivered twice
    (the same event, or two events about one payment), some at once, some crashing around a write;
    part of the money is given in a month close between them. The books stay right."""
    import deposit_handler
    from flattr import stripe_events
    from flattr.store.models import Settlement

    from tests import stripe_shapes as s

    rng = random.Random(seed)
    replay = f"replay: FLATTR_SIM_SEED={seed} python -m pytest tests/integration/test_simulation.py -k stripe"
    faults.disarm()
    at("2026-10-05T10:00:00")
    creator = f"p{seed}c"
    users.save_profile(creator, display_name=creator, monthly_budget=200)
    payments.deposit(f"{creator}-dep", creator, 1000)  # through the generic adapter
    thing = things.register(creator, url=f"https://sim.example/stripe/{seed}", title="A thing")
    names = [f"p{seed}u{i}" for i in range(rng.randint(2, 4))]
    events, net = [], defaultdict(int)
    for u in names:
        users.save_profile(u, display_name=u, monthly_budget=rng.choice([200, 1000]))
        for k in range(rng.randint(1, 2)):
            pi, amount = f"pi_{seed}_{u}_{k}", rng.choice([200, 999, 2500])
            events += [s.payment_succeeded(pi, u, amount) for _ in range(rng.choice([1, 1, 2]))]
            net[u] += amount
            kind = rng.random()
            if kind < 0.35:  # refunds: running totals
                totals = sorted(rng.sample(range(1, amount + 1), rng.randint(1, 2)))
                events += [s.charge_refunded(pi, amount, t) for t in totals]
                net[u] -= totals[-1]
            elif kind < 0.7:  # a dispute, won or lost
                won = rng.random() < 0.5
                events += [
                    s.dispute(pi, f"dp_{pi}", amount),
                    s.dispute(pi, f"dp_{pi}", amount, status="won" if won else "lost", closed=True),
                ]
                net[u] -= 0 if won else amount
    rng.shuffle(events)

    def deliver(evt) -> bool:
        """One delivery, as Stripe makes it: False if it must be sent again (an error, a crash)."""
        body, headers = s.body_and_headers(evt)
        try:
            fact = stripe_events.read(
                stripe_events.verify(body, headers["Stripe-Signature"], s.WEBHOOK_SECRET)
            )
            deposit_handler.apply_stripe(fact)
            return True
        except (Crash, payments.PaymentUnknown):
            return False

    def deliver_all(batch, rounds: int | None = None) -> list:
        """Deliver until all are taken; with `rounds`, stop after so many and return the rest
        (a refund whose payment is not known yet keeps being retried, as Stripe does, for days)."""
        pending = list(batch)
        steps = 0
        while pending:
            steps += 1
            if rounds is not None and steps > rounds:
                return pending
            assert steps < 2000, f"the events do not converge; {replay}"
            evt = pending.pop(rng.randrange(len(pending)))
            if rng.random() < 0.15:
                pending.append(evt)  # a redelivery
            if rng.random() < 0.3:
                faults.arm(rng.randint(1, 4), rng.choice(["before", "after"]))
            try:
                if rng.random() < 0.15:  # delivered twice at once, or with another event at once
                    twin = evt if not pending or rng.random() < 0.5 else rng.choice(pending)
                    done = {}
                    threads = [
                        threading.Thread(target=lambda e=e, i=i: done.__setitem__(i, deliver(e)))
                        for i, e in enumerate((evt, twin))
                    ]
                    [t.start() for t in threads]
                    [t.join() for t in threads]
                    pending += [e for i, e in enumerate((evt, twin)) if not done.get(i)]
                elif not deliver(evt):
                    pending.append(evt)
            finally:
                faults.disarm()
        return []

    split = rng.randint(0, len(events))
    retrying = deliver_all(events[:split], rounds=3 * split)
    for u in names:  # some give part of it away this month
        try:
            clicks.flattr(u, thing.thing_id)
        except FlattrError:
            pass
    at("2026-11-01T00:05:00")
    queue: list[dict] = []
    sender = type("Queue", (), {"send": lambda self, jobs: queue.extend(jobs)})()
    settlement.start_close(MONTH, sender)
    while queue:
        settlement.run_job(queue.pop(0), sender, Policy(fee_bps=FEE_BPS, unspent="carry"))
    at("2026-11-02T00:00:00")
    deliver_all(retrying + events[split:] + rng.sample(events, min(3, len(events))))  # the rest, some again

    tally_faults(rng)  # the clicks' stream reaches the tally, at least once
    violations = audit.run_audit()
    assert violations == [], "\n".join(map(str, violations)) + "\n" + replay
    for u in names:
        try:
            charged = int(Settlement.get(*Settlement.key(u, MONTH)).charged)
        except Settlement.DoesNotExist:
            charged = 0
        have, owes = ledger.balance(accounts.funds(u)), payments.owed(u)
        assert have - owes == net[u] - charged, f"{u}: funds {have}, owes {owes}; {replay}"
        assert have >= 0 and owes >= 0 and min(have, owes) == 0, f"{u}: funds {have}, owes {owes}; {replay}"
