"""The ledger's pure rules: transfers, shards, and the webhook signature."""

import pytest
from flattr.domain import accounts, months, things, webhooks
from flattr.domain.accounts import Transfer
from flattr.domain.errors import InvalidSignature, ThingNotFound, ValidationFailed
from hypothesis import given
from hypothesis import strategies as st

amounts = st.integers(1, 10**9)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["user:a:funds", "user:b:revenue", "platform:fees", "world:payments", "clearing:2026-10"]
            ),
            st.sampled_from(["user:c:funds", "user:d:revenue", "platform:charity"]),
            amounts,
        ),
        max_size=30,
    )
)
def test_net_changes_of_any_transfers_sum_to_zero(rows):
    transfers = [Transfer(f"t{i}", d, c, a, "test", user_id="u") for i, (d, c, a) in enumerate(rows)]
    assert sum(accounts.net_changes(transfers).values()) == 0


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "5"])
def test_a_transfer_moves_a_positive_integer_of_cents(amount):
    with pytest.raises(ValueError):
        Transfer("t", "world:payments", "user:a:funds", amount, "deposit")


def test_shards_are_stable_and_spread():
    shards = {Transfer(f"t{i}", "platform:fees", "user:a:revenue", 1, "x").credit_shard for i in range(200)}
    assert shards == set(range(accounts.SHARDS["revenue"]))
    t = Transfer("same", "platform:fees", "user:a:revenue", 1, "x")
    assert t.credit_shard == Transfer("same", "platform:fees", "user:a:revenue", 1, "x").credit_shard


def test_one_users_money_enters_and_leaves_clearing_on_one_shard():
    charge = Transfer("settle:m:u:charge", "user:u:funds", "clearing:m", 100, "charge", user_id="u")
    share = Transfer("settle:m:u:share:1", "clearing:m", "user:o:revenue", 90, "share", user_id="u")
    assert charge.credit_shard == share.debit_shard


def test_signature_round_trip_and_refusals():
    body = b'{"id":"e"}'
    header = webhooks.sign("s3cret", 1_000_000, body)
    webhooks.verify(header, body, "s3cret", 1_000_000 + 300)
    for bad in [
        (header, body + b" ", "s3cret", 1_000_000),
        (header, body, "other", 1_000_000),
        (header, body, "s3cret", 1_000_000 + 301),
        (None, body, "s3cret", 1_000_000),
        ("v1=abc", body, "s3cret", 1_000_000),
    ]:
        with pytest.raises(InvalidSignature):
            webhooks.verify(*bad)


def test_months():
    assert months.previous("2026-01") == "2025-12"
    assert months.following("2026-12") == "2027-01"
    for bad in ("2026-13", "2026-1", "26-01", "", "2026-00", "abcd-ef"):
        with pytest.raises(ValidationFailed):
            months.parse(bad)


def test_thing_ids_and_urls():
    assert things.parse_id("42") == "42"
    for bad in ("0", "-1", "x", "9007199254740992", "", None, "1e5", "\u00b9", "\u0661\u0662", "\uff11"):
        with pytest.raises(ThingNotFound):  # digits of other scripts too: "¹", "١٢", "１"
            things.parse_id(bad)
    assert things.normalize_url("HTTP://Example.COM:80/a?b=1#frag") == "http://example.com/a?b=1"
    for bad in ("ftp://x.org/", "https://", "mailto:a@b.c", "https://user:pw@x.org/", "http://[::1"):
        with pytest.raises(ValidationFailed):
            things.normalize_url(bad)
    assert all(1 <= things.new_id() < 2**53 for _ in range(1000))


@given(st.text(min_size=1), st.integers(0, 10_000))
def test_an_account_item_is_named_by_its_key_alone(account, shard):
    """Account items no longer repeat their account and shard: the audit reads them off the key."""
    from flattr.store.models import Account

    pk, _ = Account.key(account, shard)
    assert Account.named(pk) == (account, shard)
