"""A URL's one spelling, and its identity: which spellings name the same thing.

Parsing is the WHATWG URL Standard's, as browsers do it (the `ada-url` library), so a URL is what
a browser would open: it lowercases the scheme and host, maps IDN hosts to punycode (UTS #46: case,
full-width and Unicode forms alike), normalises IPv4 and IPv6 addresses (IPv6 keeps its brackets),
drops the default port, turns backslashes into slashes, removes tabs and newlines and resolves
`.` and `..` segments, `%2e` spelt ones too.

On top of that, `canonical` applies what RFC 3986 (section 6) calls equivalent, or what serves
the same page on any ordinary web server:
- a trailing dot of the host goes (`victim.example.` is `victim.example`);
- percent-encoded unreserved characters are decoded (`%70` is `p`, `%7E` is `~`), other escapes
  are uppercased (`%c3` is `%C3`);
- empty path segments collapse (`//post` and `/a//b` are `/post` and `/a/b`);
- the fragment and an empty `?` go: they never reach the server.
Kept apart: the path's case, a trailing slash, the query's order, `www.`; those may be other pages.

`identity` is the key that registrations are unique by: the canonical URL without its scheme, so
`http://x/p` and `https://x/p` are one thing (a site moved to https is the same site).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import ValidationFailed

if TYPE_CHECKING:
    from ada_url import URL

MAX_LENGTH = 2000  # of the canonical URL; its identity is a DynamoDB key, which must stay < 2048 bytes
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_SCHEMES = ("http:", "https:")


def _invalid(message: str = "The url must be an http or https URL with a host.") -> ValidationFailed:
    return ValidationFailed(message, code="invalid_url")


def _unescape_unreserved(text: str) -> str:
    def one(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(one, text)


def _parse(url: str) -> URL:
    # Loaded on the first URL parsed: its compiled library costs a cold start that reads no URL ~3 ms.
    from ada_url import URL

    if "\x00" in url:  # the parser reads a C string: it would stop there, at a shorter URL
        raise _invalid("The url is not a valid URL.")
    try:
        return URL(url)
    except ValueError as exc:
        raise _invalid("The url is not a valid URL.") from exc


def canonical(url: str) -> str:
    """The one spelling of an http(s) URL; ValidationFailed (invalid_url) for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise _invalid()
    parsed = _parse(url)
    if parsed.protocol not in _SCHEMES or not parsed.hostname:
        raise _invalid()
    if parsed.username or parsed.password:
        raise _invalid("The url must not carry credentials.")
    host = parsed.hostname
    if not host.startswith("["):
        host = host.rstrip(".")
        if not host:
            raise _invalid()
    path = re.sub(r"/{2,}", "/", _unescape_unreserved(parsed.pathname)) or "/"
    query = _unescape_unreserved(parsed.search)
    port = f":{parsed.port}" if parsed.port else ""
    # Read back through the parser: what the steps above produced is itself canonical.
    again = _parse(f"{parsed.protocol}//{host}{port}{path}{query}")
    href = again.href
    if again.hash:
        href = href[: -len(again.hash)]
    if len(href) > MAX_LENGTH:
        raise _invalid(f"The url is longer than {MAX_LENGTH} characters once written out in full.")
    return href


def identity(url: str) -> str:
    """What makes two URLs one thing: the canonical URL, without its scheme (`//host/path?query`)."""
    text = canonical(url)
    return text[text.index("//") :]
