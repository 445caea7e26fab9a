"""The HTTP API payload 2.0 event API Gateway builds from a request, and the response it makes of a
handler's result."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

from local import runtime

API_ID = "local"


def build_event(
    request: Request, route_key: str, path_parameters: dict[str, str], claims: dict | None = None
) -> dict:
    """The HTTP API payload 2.0 event. Like AWS, it leaves out cookies, queryStringParameters,
    pathParameters and body when there are none, and passes the path URL-decoded."""
    now = time.time()
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        name = name.lower()
        if name == "cookie":  # AWS moves cookies out of the headers
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    source_ip = request.remote_addr or "127.0.0.1"
    headers.setdefault("x-forwarded-for", source_ip)
    headers.setdefault("x-forwarded-proto", request.scheme)

    query: dict[str, str] = {}
    for key, value in request.args.items(multi=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    host = request.host.split(":")[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.environ.get("QUERY_STRING", ""),
        "headers": headers,
        "requestContext": {
            "accountId": runtime.ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": request.host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if claims is not None:
        runtime.ensure_paths()
        from flattr.claims import stringify  # the one home of how the authorizer passes claims on

        scope = claims.get("scope")
        event["requestContext"]["authorizer"] = {
            "jwt": {
                "claims": stringify(claims),
                "scopes": scope.split() if isinstance(scope, str) else None,
            }
        }
    raw = request.get_data(cache=True)
    if raw:
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status, headers=headers, content_type="application/json")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


def to_response(result: Any) -> Response:
    """Format 2.0 rules: a dict with statusCode is a full response; anything else is a 200 JSON body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return json_response(result)
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    response = Response(data, int(result["statusCode"]))
    response.headers.remove("Content-Type")  # only what the handler sets
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
