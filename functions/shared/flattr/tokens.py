"""Bearer tokens that the gateway's authorizer did not check: on public routes and on v2's routes.

API Gateway's JWT authorizer verifies a token only on the routes it guards, and only those get its
claims. A public route that wants to know who asks (`flattred`), and v2's routes, which must refuse
a bad token in v2's own error shape, verify it here: the issuer's keys, its `iss`, `exp`, and the
audience in `aud` or `client_id`, as the authorizer does. PyJWT loads on first use only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from . import settings


@lru_cache(maxsize=4)
def _keys(issuer: str):
    import urllib.request  # with ssl and http.client: only where a token is checked here

    import jwt

    with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=3) as response:
        jwks_uri = json.load(response)["jwks_uri"]
    return jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=3)


def verify(token: str) -> dict[str, Any] | None:
    """The claims of a valid token, or None. Without an issuer (locally) no token is valid here:
    the local gateway plays the authorizer and passes on the claims of every token it accepts."""
    cfg = settings.get()
    if not cfg.jwt_issuer or not token:
        return None
    import jwt

    try:
        key = _keys(cfg.jwt_issuer.rstrip("/")).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=cfg.jwt_issuer,
            options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
            leeway=5,
        )
    except (jwt.PyJWTError, OSError, KeyError, ValueError):
        return None
    audiences = claims.get("aud") or []
    audiences = [audiences] if isinstance(audiences, str) else list(audiences)
    if cfg.jwt_audience and cfg.jwt_audience not in [*audiences, claims.get("client_id")]:
        return None
    return claims


def bearer(headers: dict[str, str]) -> str | None:
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
