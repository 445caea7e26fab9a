"""What makes a thing valid, and thing ids: positive integers below 2^53, spread at random."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Optional
from urllib.parse import parse_qs, urlsplit

from pydantic import Field

from . import urls
from .errors import ThingNotFound

# The rules of a thing's fields, for every version of the API.
Url = Annotated[str, Field(max_length=2000)]
Title = Annotated[str, Field(min_length=5, max_length=100)]
Description = Annotated[str, Field(max_length=1000)]
Tag = Annotated[str, Field(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=10)]
Language = Optional[Annotated[str, Field(pattern=r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")]]
Category = Optional[Annotated[str, Field(pattern=r"^[a-z_]{1,30}$")]]

MAX_ID = 2**53 - 1


def new_id() -> int:
    # Random ids: not guessable in sequence, and exact as JavaScript numbers.
    return secrets.randbelow(MAX_ID) + 1


def parse_id(raw: str | int | None) -> str:
    """A path id that names no possible thing is simply not found, never a 5xx."""
    text = str(raw or "").strip()
    # ASCII digits only: str.isdigit() takes "¹" too, which int() then refuses.
    if not re.fullmatch(r"[0-9]{1,16}", text):
        raise ThingNotFound()
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ThingNotFound()
    return str(value)


def normalize_url(url: str) -> str:
    """One spelling per URL (see domain.urls, where URL identity lives)."""
    return urls.canonical(url)


def split_tags(raw: str | list[str] | None) -> list[str]:
    """Tags as v2 sends them: "a, b" or ["a", "b"], trimmed, without blanks or repeats."""
    items = raw if isinstance(raw, list) else [raw or ""]
    tags = (t.strip() for item in items for t in item.split(","))
    return list(dict.fromkeys(t for t in tags if t))


def auto_submit(url: str) -> dict[str, str] | None:
    """The fields of an auto-submit URL (`.../submit/auto?user_id=&url=&title=...`), or None.

    Any host: Flattr's own auto-submit links keep working once a client points at us.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.path.rstrip("/") != "/submit/auto":
        return None
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def tags_match(expression: str, tags: list[str]) -> bool:
    """v2's tag search: `game | games ! software`, `photo & flickr ! illustrations`, left to right."""
    have = {t.lower() for t in tags}
    result, op, word = None, "|", ""
    for ch in expression + "|":
        if ch in "|&!":
            if word.strip():
                found = word.strip().lower() in have
                if result is None:
                    result = (not found) if op == "!" else found
                elif op == "|":
                    result = result or found
                elif op == "&":
                    result = result and found
                else:
                    result = result and not found
            elif ch == "!" and result is None:
                result = True  # an expression that starts with a NOT excludes from everything
            op, word = ch, ""
        else:
            word += ch
    return bool(result)
