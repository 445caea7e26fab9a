"""What every HTTP function shares: the resolver, the error shape, and who is calling.

Every refusal is {"error": {"code", "message"}} with a 4xx status; a 5xx is always our bug.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from . import tokens
from .domain.errors import FlattrError, Forbidden, Unauthorized
from .observability import logger, metrics


def error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=headers,
    )


# Flattr REST API v2 names some refusals differently (and says 401 for no_means); the rest keep ours.
V2_CODES = {
    "thing_not_found": ("not_found", 404),
    "user_not_found": ("not_found", 404),
    "subscription_not_found": ("not_found", 404),
    "no_means": ("no_means", 401),
    "invalid_json": ("invalid_request", 400),
    "invalid_request": ("invalid_parameters", 400),
    "invalid_url": ("invalid_parameters", 400),
    "invalid_months": ("invalid_parameters", 400),
    "not_owner": ("forbidden", 403),
}
V2_ERROR_URI = "/openapi.json"  # the spec documents every route's refusals


def error_v2(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    """v2's shape: {"error", "error_description", "error_uri"}."""
    code, status = V2_CODES.get(code, (code, status))
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": code, "error_description": message, "error_uri": V2_ERROR_URI}),
        headers=headers,
    )


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


def make_app(
    *, validation: bool = True, render: Callable[[int, str, str], Response] = error
) -> APIGatewayHttpResolver:
    """A resolver whose every refusal is drawn by `render` (v1's shape unless told otherwise)."""
    app = APIGatewayHttpResolver(enable_validation=validation)

    @app.exception_handler(FlattrError)
    def _refused(exc: FlattrError):
        return render(exc.status, exc.code, exc.message)

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


def claims(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The JWT claims the HTTP API's authorizer verified; none on a public route."""
    context = app.current_event.raw_event.get("requestContext") or {}
    return ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}


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
    groups = claims(app).get("cognito:groups") or ""
    # API Gateway hands list claims over as one string, "[admin other]".
    names = groups if isinstance(groups, list) else str(groups).strip("[]").replace(",", " ").split()
    if "admin" not in names:
        raise Forbidden("This call is for admins.")
    return sub


def entry(app: APIGatewayHttpResolver, *, json_only: bool = True,
          around: Callable[[dict, Callable[[dict], dict]], dict] | None = None):
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
        if around is None:
            return app.resolve(event, context)
        return around(event, lambda e: app.resolve(e, context))

    return handler
