"""Notification rules: unsubscribe tokens, email addresses, the SSRF address rules, retry backoff."""

from __future__ import annotations

import pytest
from flattr.domain import notify, ssrf
from flattr.domain.errors import ValidationFailed
from hypothesis import given
from hypothesis import strategies as st

SECRET = "s3cret"
users = st.text(min_size=1, max_size=60).filter(lambda s: "\n" not in s)
kinds = st.sampled_from(sorted(notify.KINDS))


@given(users, kinds)
def test_a_token_names_its_user_and_kind(user, kind):
    assert notify.read_unsubscribe_token(SECRET, notify.unsubscribe_token(SECRET, user, kind)) == (user, kind)


@given(users, kinds, st.integers(min_value=0, max_value=200), st.characters(codec="ascii"))
def test_a_changed_token_is_refused(user, kind, position, char):
    token = notify.unsubscribe_token(SECRET, user, kind)
    i = position % len(token)
    forged = token[:i] + char + token[i + 1 :]
    if forged != token:
        assert notify.read_unsubscribe_token(SECRET, forged) in (None, (user, kind))
        # base64's padding bits can absorb a change in the last character; the names never change
    assert notify.read_unsubscribe_token("other secret", token) is None


def test_a_token_for_someone_else_cannot_be_made_from_ours():
    ada = notify.unsubscribe_token(SECRET, "ada", "statement")
    bob = notify.unsubscribe_token(SECRET, "bob", "statement")
    payload_bob, mac_ada = bob.split(".")[0], ada.split(".")[1]
    assert notify.read_unsubscribe_token(SECRET, f"{payload_bob}.{mac_ada}") is None
    assert notify.read_unsubscribe_token(SECRET, "") is None
    assert notify.read_unsubscribe_token(SECRET, "x" * 2000) is None


@pytest.mark.parametrize("address", ["a@b.org", "first.last+tag@sub.example.co.uk"])
def test_good_addresses(address):
    assert notify.parse_email(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "a",
        "a@b",
        "a b@c.org",
        "a@b.org\r\nBcc: x@y.org",
        "<a@b.org>",
        "a@-b.org",
        "a@b.org,c@d.org",
        "x" * 250 + "@b.org",
    ],
)
def test_bad_addresses(address):
    with pytest.raises(ValidationFailed):
        notify.parse_email(address)


def test_only_a_verified_claim_gives_an_address():
    assert notify.verified_claim_email({"email": "a@b.org", "email_verified": "true"}) == "a@b.org"
    assert notify.verified_claim_email({"email": "a@b.org", "email_verified": True}) == "a@b.org"
    assert notify.verified_claim_email({"email": "a@b.org", "email_verified": "false"}) is None
    assert notify.verified_claim_email({"email": "a@b.org"}) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "240.0.0.1",
        "not-an-ip",
    ],
)
def test_private_and_reserved_addresses_are_forbidden(address):
    assert ssrf.forbidden_address(address, allow_loopback=False) is not None


def test_public_addresses_are_fine_and_loopback_only_locally():
    assert ssrf.forbidden_address("93.184.216.34", allow_loopback=False) is None
    assert ssrf.forbidden_address("2606:4700::1111", allow_loopback=False) is None
    assert ssrf.forbidden_address("127.0.0.1", allow_loopback=True) is None
    assert ssrf.forbidden_address("10.0.0.1", allow_loopback=True) is not None


def test_urls():
    assert ssrf.parse_url("https://h.example/x?y=1", False) == ("https", "h.example", 443, "/x?y=1")
    assert ssrf.parse_url("http://127.0.0.1:8080", True) == ("http", "127.0.0.1", 8080, "/")
    for bad in (
        "http://h.example/",
        "ftp://h.example/",
        "https://",
        "https://u:p@h.example/",
        "https://h.example:99999/",
    ):
        with pytest.raises(ValidationFailed):
            ssrf.parse_url(bad, False)


def test_retries_double_and_stop_after_the_window():
    day = 86_400
    delays, elapsed, attempt = [], 0.0, 1
    while (delay := notify.next_retry(attempt, elapsed, 30, day)) is not None:
        delays.append(delay)
        elapsed += delay
        attempt += 1
    assert delays[:3] == [30, 60, 120]
    assert elapsed <= day and elapsed + 30 * 2 ** (attempt - 1) > day
    assert len(delays) == 11  # 30 s doubling, the last after about 8.5 hours, then giving up at 24 h
    assert notify.sqs_delay(0.2) == 1 and notify.sqs_delay(5000) == 900  # longer waits are chained
