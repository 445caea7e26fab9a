"""The HTTP API's JWT authorizer, played locally: tokens signed with a local secret (HS256)."""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning
from werkzeug.wrappers import Request

# The design fixes the local default secret, "local-dev-secret", which is shorter than PyJWT likes.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

AUDIENCE = "flattr"
TOKEN_TTL = timedelta(hours=24)


def jwt_secret() -> str:
    return os.environ.get("FLATTR_LOCAL_JWT_SECRET", "local-dev-secret")


def make_token(sub: str, admin: bool = False, name: str | None = None, ttl: timedelta = TOKEN_TTL) -> str:
    """A token the local authorizer accepts; a negative ttl makes an expired one."""
    now = datetime.now(timezone.utc)  # the real clock: security never reads the business clock
    claims: dict[str, Any] = {"sub": sub, "aud": AUDIENCE, "iss": "local", "iat": now, "exp": now + ttl}
    if admin:
        claims["cognito:groups"] = ["admin"]
    if name:
        claims["name"] = name
    return jwt.encode(claims, jwt_secret(), algorithm="HS256")


def authenticate(request: Request) -> tuple[dict | None, str]:
    """(claims, "") for a valid bearer token, else (None, why not)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if not header:
        return None, "This route needs an Authorization: Bearer token."
    if scheme.lower() != "bearer" or not token.strip():
        return None, "The Authorization header must be 'Bearer <token>'."
    try:
        claims = jwt.decode(
            token.strip(), jwt_secret(), algorithms=["HS256"], audience=AUDIENCE, options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError:
        return None, "The token has expired."
    except jwt.InvalidAudienceError:
        return None, f"The token's audience is not '{AUDIENCE}'."
    except jwt.MissingRequiredClaimError as exc:
        return None, f"The token has no '{exc.claim}' claim."
    except jwt.InvalidTokenError:
        return None, "The token is not valid."
    return claims, ""
