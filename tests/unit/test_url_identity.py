"""URL identity: every spelling of one page is one thing (domain.urls)."""

from __future__ import annotations

import pytest
from flattr.domain import urls
from flattr.domain.errors import ValidationFailed
from hypothesis import given, settings
from hypothesis import strategies as st

VICTIM = "https://victim.example/post"
SAME_AS_VICTIM = [
    "https://victim.example./post",
    "https://victim.example/%70ost",
    "https://victim.example/%70%6F%73%74",
    "https://victim.example/./post",
    "https://victim.example/a/../post",
    "https://victim.example/a/%2e%2e/post",
    "https://victim.example//post",
    "https://victim.example\\post",
    "https:\\\\victim.example\\post",
    "http://victim.example/post",
    "HTTPS://VICTIM.EXAMPLE/post",
    "https://victim.example:443/post",
    "http://victim.example:80/post",
    "https://victim.example/post#comments",
    "https://victim.example/post?",
    "  https://victim.example/po\tst\n",
    "https://ｖｉｃｔｉｍ.example/post",
]


@pytest.mark.parametrize("spelling", SAME_AS_VICTIM)
def test_the_spellings_an_attacker_used_are_one_url(spelling):
    assert urls.identity(spelling) == urls.identity(VICTIM)


def test_idn_hosts_are_one_url_in_unicode_punycode_and_any_case():
    forms = [
        "https://bücher.example/p",
        "https://BÜCHER.example/p",
        "https://xn--bcher-kva.example/p",
        "https://XN--BCHER-KVA.EXAMPLE/p",
        "https://bu\u0308cher.example/p",
    ]
    assert {urls.identity(f) for f in forms} == {"//xn--bcher-kva.example/p"}
    assert urls.canonical(forms[0]) == "https://xn--bcher-kva.example/p"


def test_ipv6_hosts_keep_their_brackets():
    assert urls.canonical("https://[::1]/p") == "https://[::1]/p"
    assert urls.canonical("https://[0:0:0:0:0:0:0:1]:8443/p") == "https://[::1]:8443/p"


def test_what_stays_apart():
    apart = [
        "https://victim.example/post",
        "https://victim.example/Post",
        "https://victim.example/post/",
        "https://victim.example/post?a=1&b=2",
        "https://victim.example/post?b=2&a=1",
        "https://www.victim.example/post",
        "https://victim.example:8443/post",
        "https://victim.example/p%2Fost",
        "https://victim.example/p%3Fost",
    ]
    assert len({urls.identity(u) for u in apart}) == len(apart)


def test_canonical_keeps_the_scheme_and_escapes_in_one_case():
    assert (
        urls.canonical("http://Victim.Example/%7euser/%c3%a9?q=%41%2f")
        == "http://victim.example/~user/%C3%A9?q=A%2F"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://x.org/",
        "https://",
        "mailto:a@b.c",
        "https://user:pw@x.org/",
        "http://[::1",
        "javascript:alert(1)",
        "//x.org/",
        "x.org/p",
        "https://./p",
        "",
        "   ",
        "https://x.org/" + "a" * 2100,
        "https://x.org/\x00a",
        "https://x.org/\ud800",
    ],
)
def test_what_is_not_an_http_url_is_refused(bad):
    with pytest.raises(ValidationFailed) as refused:
        urls.canonical(bad)
    assert refused.value.code == "invalid_url"


# ---------------------------------------------------------------- the property

UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
segments = st.lists(
    st.text(UNRESERVED, min_size=1, max_size=8).filter(lambda s: s not in (".", "..")), min_size=1, max_size=4
)
labels = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10), min_size=1, max_size=3
)
tlds = st.sampled_from(["example", "org", "test", "bücher", "xn--bcher-kva"])


@st.composite
def a_url(draw):
    host = ".".join(draw(labels) + [draw(tlds)])
    query = draw(
        st.one_of(st.just(""), st.text(UNRESERVED + "=&", min_size=1, max_size=10).map("?{}".format))
    )
    return host, draw(segments), query


def _escape(text: str, draw) -> str:
    return "".join(f"%{ord(c):02{draw(st.sampled_from('xX'))}}" if draw(st.booleans()) else c for c in text)


@st.composite
def a_spelling(draw, host, path, query):
    """Another way to write the same URL, with any mix of the equivalences."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    spelled_host = draw(st.sampled_from([host, host.upper(), host + "."]))
    default = {"http": "80", "https": "443"}[scheme.lower()]
    port = draw(st.sampled_from(["", ":" + default]))
    out = []
    for segment in path:
        if draw(st.booleans()):
            out.append(draw(st.sampled_from([".", "x/..", "%2e", "y/%2E%2e"])))
        if draw(st.booleans()):
            out.append("")  # an empty segment: "//"
        out.append(_escape(segment, draw))
    slash = draw(st.sampled_from(["/", "\\"]))
    fragment = draw(st.sampled_from(["", "#", "#top"]))
    return f"{scheme}://{spelled_host}{port}/" + slash.join(out) + query + fragment


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_spelling_of_a_url_has_its_identity(data):
    host, path, query = data.draw(a_url())
    plain = f"https://{host}/" + "/".join(path) + query
    spelling = data.draw(a_spelling(host, path, query))
    assert urls.identity(spelling) == urls.identity(plain), (spelling, plain)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60).map("https://x.example/{}".format))
def test_canonical_is_idempotent_and_keeps_identity(url):
    try:
        once = urls.canonical(url)
    except ValidationFailed:
        return
    assert urls.canonical(once) == once
    assert urls.identity(once) == urls.identity(url)
