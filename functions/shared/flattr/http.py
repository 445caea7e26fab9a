"""What every HTTP function shares: the resolver, the error shape, and who is calling.

Every refusal is {"error": {"code", "message"}} with a 4xx status; a 5xx is always our bug.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any, Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from . import settings, tokens
from .claims import groups as claim_groups
from .claims import of_event as event_claims
from .domain import errors
from .domain.errors import FlattrError, Forbidden, Unauthorized
from .observability import logger, metrics


def error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=headers,
    )


# The HTTP status of each kind of refusal (a subclass takes its nearest listed ancestor's).
STATUSES: dict[type, int] = {
    errors.ValidationFailed: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.FlattrOwner: 403,
    errors.FlattrOnce: 403,
    errors.NoMeans: 402,
    errors.OwnerNotParticipating: 409,
    errors.MonthClosed: 409,
    errors.MonthNotOver: 409,
    errors.PreviousMonthOpen: 409,
    errors.UrlTaken: 409,
    errors.InsufficientRevenue: 409,
    errors.InvalidSignature: 401,
    errors.Conflict: 409,
    errors.ProviderUnavailable: 503,
}


def status_of(exc: FlattrError) -> int:
    return next((STATUSES[kind] for kind in type(exc).__mro__ if kind in STATUSES), 400)


# Every v2 refusal is drawn here (error_v2, refusal_v2, v2_body). Flattr REST API v2 names some
# refusals differently (and says 401 for no_means); the rest keep ours. A v2 error change is one line.
V2_CODES = {
    "thing_not_found": ("not_found", 404),
    "user_not_found": ("not_found", 404),
    "subscription_not_found": ("not_found", 404),
    "no_means": ("no_means", 401),
    "invalid_json": ("invalid_request", 400),
    "body_too_large": ("body_too_large", 413),
    "invalid_request": ("invalid_parameters", 400),
    "invalid_url": ("invalid_parameters", 400),
    "invalid_months": ("invalid_parameters", 400),
    "not_owner": ("forbidden", 403),
}
V2_ERROR_URI = "/openapi.json"  # the spec documents every route's refusals


def v2_body(code: str, description: str, extra: dict | None = None) -> dict:
    """v2's shape: {"error", "error_description", "error_uri"}, after what a route adds (lookup's message)."""
    return {**(extra or {}), "error": code, "error_description": description, "error_uri": V2_ERROR_URI}


def error_v2(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    """A refusal in v2's shape, its code and status as V2_CODES renames them."""
    code, status = V2_CODES.get(code, (code, status))
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(v2_body(code, message)),
        headers=headers,
    )


def refusal_v2(status: int, code: str, message: str, headers: dict | None = None) -> dict:
    """error_v2 as a Lambda result, for v2's gate, which answers before the resolver."""
    code, status = V2_CODES.get(code, (code, status))
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(v2_body(code, message)),
    }


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _describe(errors: list[dict]) -> str:
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",))
        msg = e.get("msg", "is invalid")
        if e.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "The request is invalid."


# What any real request's body stays within: a thing with every field at its longest is under 8 KB,
# and no field nests deeper than a list in an object, or counts past 2^53.
MAX_BODY_BYTES = 256 * 1024  # a payment provider's webhook may be larger than our own bodies
MAX_DEPTH = 32
MAX_DIGITS = 40
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)  # an unclosed string runs to the end
_BRACKETS = re.compile(r"[^\[\]{}]+")
_LONG_NUMBER = re.compile(r"[0-9]{%d}" % (MAX_DIGITS + 1))


def body_refusal(event: dict) -> tuple[int, str, str] | None:
    """Why a request's body is beyond what a JSON parser should be handed, if it is: too large,
    nested too deep (a RecursionError in json.loads) or a number too long (int() refuses 4,300
    digits). Form bodies are checked for size only. Cheap: a few regular-expression passes."""
    raw = event.get("body")
    if not raw:
        return None
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            return 400, "invalid_json", "The request body is not valid base64."
    else:
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_BODY_BYTES:
        return 413, "body_too_large", f"The request body is over {MAX_BODY_BYTES // 1024} KB."
    content_type = _header(event, "content-type").lower()
    if "form" in content_type:
        return None
    text = _STRINGS.sub('""', data.decode("utf-8", "replace"))
    depth = deepest = 0
    for ch in _BRACKETS.sub("", text):
        depth = depth + 1 if ch in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return 400, "invalid_json", f"The request body nests deeper than {MAX_DEPTH} levels."
    if _LONG_NUMBER.search(text):
        return 400, "invalid_json", f"The request body has a number of more than {MAX_DIGITS} digits."
    return None


def _header(event: dict, name: str) -> str:
    return next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == name), "")


def _as_result(response: Response) -> dict:
    return {"statusCode": response.status_code, "headers": dict(response.headers), "body": response.body}


def make_app(
    *, validation: bool = True, render: Callable[[int, str, str], Response] = error
) -> APIGatewayHttpResolver:
    """A resolver whose every refusal is drawn by `render` (v1's shape unless told otherwise)."""
    app = APIGatewayHttpResolver(enable_validation=validation)
    app.flattr_render = render  # for `entry`, which refuses hostile bodies before the resolver

    @app.exception_handler(FlattrError)
    def _refused(exc: FlattrError):
        return render(status_of(exc), exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return render(400, "invalid_json", "The request body is not valid JSON.")
        return render(400, "invalid_request", _describe(errors))

    @app.exception_handler(json.JSONDecodeError)
    def _bad_json(exc: json.JSONDecodeError):
        return render(400, "invalid_json", "The request body is not valid JSON.")

    @app.exception_handler(UnicodeDecodeError)
    def _not_text(exc: UnicodeDecodeError):
        return render(400, "invalid_json", "The request body is not UTF-8 text, so it is not JSON.")

    @app.not_found
    def _not_found(exc):
        return render(404, "not_found", "There is nothing at this path.")

    return app


def api_url(app: APIGatewayHttpResolver) -> str:
    """The API's base URL for links and `Location`: the configured one (the ApiBaseUrl parameter;
    the local stack sets its own), else the API's execute-api URL, named by the id API Gateway put
    in the request context. Never the request's Host or X-Forwarded-* headers: a client sets those."""
    configured = settings.get().api_url
    if configured:
        return configured
    api_id = app.current_event.request_context.api_id
    region = os.environ.get("AWS_REGION", "us-east-1")
    return f"https://{api_id}.execute-api.{region}.amazonaws.com"


def pages_url(app: APIGatewayHttpResolver) -> str:
    """Where flattr.html is served: the configured pages URL, else the API's own origin."""
    return settings.get().pages_url or api_url(app)


def claims(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The JWT claims the HTTP API's authorizer verified; none on a public route."""
    return event_claims(app.current_event.raw_event)


def optional_user(app: APIGatewayHttpResolver) -> str | None:
    """Who asks, if anyone: a public route gets no claims on AWS, so a token is checked here."""
    sub = claims(app).get("sub")
    if sub:
        return str(sub)
    token = tokens.bearer(app.current_event.headers)
    verified = tokens.verify(token) if token else None
    return str(verified["sub"]) if verified else None


def current_user(app: APIGatewayHttpResolver) -> str:
    sub = optional_user(app)
    if not sub:
        raise Unauthorized("Sign in first: this call needs a bearer token.")
    return sub


def require_admin(app: APIGatewayHttpResolver) -> str:
    sub = current_user(app)
    if "admin" not in claim_groups(claims(app).get("cognito:groups")):
        raise Forbidden("This call is for admins.")
    return sub


def entry(
    app: APIGatewayHttpResolver,
    *,
    json_only: bool = True,
    around: Callable[[dict, Callable[[dict], dict]], dict] | None = None,
):
    """The Lambda entry point for a resolver: logs with a correlation id, flushes metrics.

    `around(event, resolve)` may answer instead of the resolver, or add to what it answers.
    """

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    def handler(event: dict, context) -> dict:
        headers = event.get("headers") or {}
        if json_only and event.get("body") and "json" not in headers.get("content-type", ""):
            # The API speaks JSON only: a body sent as form data (curl -d) is still read as JSON.
            event = {**event, "headers": {**headers, "content-type": "application/json"}}

        def resolve(e: dict) -> dict:
            refusal = body_refusal(e)
            if refusal is not None:
                return _as_result(app.flattr_render(*refusal))
            return app.resolve(e, context)

        return resolve(event) if around is None else around(event, resolve)

    return handler
