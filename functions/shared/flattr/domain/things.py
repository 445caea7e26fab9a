"""What makes a thing valid, and thing ids: positive integers below 2^53, spread at random."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from .errors import ThingNotFound, ValidationFailed

MAX_ID = 2**53 - 1


def new_id() -> int:
    # Random ids: not guessable in sequence, and exact as JavaScript numbers.
    return secrets.randbelow(MAX_ID) + 1


def parse_id(raw: str | int | None) -> str:
    """A path id that names no possible thing is simply not found, never a 5xx."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 16:
        raise ThingNotFound()
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ThingNotFound()
    return str(value)


def normalize_url(url: str) -> str:
    """One spelling per URL, so that two spellings cannot register the same page twice."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed("The url is not a valid URL.", code="invalid_url") from exc
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationFailed("The url must be an http or https URL with a host.", code="invalid_url")
    if parts.username or parts.password:
        raise ValidationFailed("The url must not carry credentials.", code="invalid_url")
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}[scheme]
    netloc = host.lower() + (f":{port}" if port and port != default else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
