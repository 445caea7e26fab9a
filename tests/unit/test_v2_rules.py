"""The pure rules v2 adds: tags as v2 sends them, auto-submit URLs, v2's tag search, and the check of
a bearer token on routes no gateway authorizer guards."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flattr.domain import things
from hypothesis import given
from hypothesis import strategies as st

tag = (
    st.text(
        st.characters(codec="utf-8", exclude_characters=",", exclude_categories=["Cs", "Cc"]),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(tag, max_size=12))
def test_tags_sent_as_one_string_or_as_a_list_are_the_same_tags(tags):
    as_string = things.split_tags(", ".join(tags))
    assert as_string == things.split_tags(tags) == list(dict.fromkeys(tags))
    assert things.split_tags(as_string) == as_string  # splitting again changes nothing


@given(
    st.dictionaries(
        st.sampled_from(["user_id", "url", "title", "description", "tags", "language", "hidden", "category"]),
        st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s),
    )
)
def test_an_auto_submit_url_gives_back_the_fields_it_was_made_of(fields):
    for host in ("https://flattr.com", "http://127.0.0.1:3000"):
        assert things.auto_submit(f"{host}/submit/auto?{urlencode(fields)}") == fields


@pytest.mark.parametrize(
    "url",
    [
        "https://flattr.com/thing/1",
        "ftp://flattr.com/submit/auto?url=x",
        "https://flattr.com/submit/automatic?url=x",
        "not a url",
        "http://[::1",
    ],
)
def test_other_urls_are_not_auto_submit_urls(url):
    assert things.auto_submit(url) is None


@given(
    st.sets(st.sampled_from("abcde"), max_size=5),
    st.sampled_from("abcde"),
    st.sampled_from("abcde"),
    st.sampled_from("abcde"),
)
def test_tag_search_reads_or_and_and_not_left_to_right(have, a, b, c):
    tags = sorted(have)
    assert things.tags_match(a, tags) == (a in have)
    assert things.tags_match(f"{a} | {b}", tags) == (a in have or b in have)
    assert things.tags_match(f"{a} & {b}", tags) == (a in have and b in have)
    assert things.tags_match(f"{a} | {b} ! {c}", tags) == ((a in have or b in have) and c not in have)
    assert things.tags_match(f"!{c}", tags) == (c not in have)


# ---------------------------------------------------------------- tokens checked in a handler

ISSUER = "https://issuer.example/pool"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Keys:
    """The issuer's published keys, as PyJWKClient would fetch them."""

    def get_signing_key_from_jwt(self, token):
        kid = jwt.get_unverified_header(token)["kid"]
        if kid != "k1":
            raise jwt.PyJWKClientError("no such key")
        return jwt.PyJWK.from_dict(
            {
                **jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True),
                "kid": "k1",
                "alg": "RS256",
            }
        )


@pytest.fixture
def issuer(monkeypatch):
    from flattr import settings, tokens

    monkeypatch.setenv("FLATTR_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("FLATTR_JWT_AUDIENCE", "client-1")
    settings.get.cache_clear()
    monkeypatch.setattr(tokens, "_keys", lambda issuer: Keys())
    yield tokens
    settings.get.cache_clear()


def token(key=KEY, **claims) -> str:
    now = int(time.time())
    body = {"sub": "ada", "iss": ISSUER, "client_id": "client-1", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None}, key, algorithm="RS256", headers={"kid": "k1"}
    )


def test_a_token_of_the_issuer_for_the_client_is_accepted(issuer):
    assert issuer.verify(token())["sub"] == "ada"  # an access token names its client in client_id
    assert issuer.verify(token(client_id=None, aud="client-1"))["sub"] == "ada"  # an id token, in aud


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 60},
        {"iss": "https://someone-else.example/"},
        {"client_id": "another-client"},
        {"sub": None},
    ],
    ids=["expired", "another issuer", "another client", "no subject"],
)
def test_a_token_that_the_authorizer_would_refuse_is_refused(issuer, claims):
    assert issuer.verify(token()) is not None
    assert issuer.verify(token(**claims)) is None


def test_a_token_signed_by_another_key_or_not_a_token_is_refused(issuer):
    assert issuer.verify(token(key=OTHER_KEY)) is None
    assert issuer.verify("not.a.token") is None
    assert issuer.verify(jwt.encode({"sub": "ada"}, "secret", algorithm="HS256")) is None


def test_without_an_issuer_no_token_is_accepted_here(monkeypatch):
    from flattr import settings, tokens

    monkeypatch.setenv("FLATTR_JWT_ISSUER", "")
    settings.get.cache_clear()
    assert tokens.verify(token()) is None
    settings.get.cache_clear()
