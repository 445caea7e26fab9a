"""Static files the local stack serves beside the API: the pages under local/static/ and the widget."""

from __future__ import annotations

import re
from pathlib import Path

from werkzeug.wrappers import Request, Response

from local import stack, stripe_local

STATIC_DIR = stack.ROOT / "local" / "static"
STATIC_INDEX = STATIC_DIR / "index.html"
WIDGET_JS = stack.ROOT / "widget" / "widget.js"
# Files under local/static/ are served by name: one path segment with one of these suffixes.
STATIC_NAME = re.compile(r"/((?:vendor/)?[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)")
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# Our pages act for the signed-in reader: nobody may frame them (clickjacking), and they run only our code.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
# The widget runs on other sites' pages: anyone may load it.
WIDGET_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def serve(request: Request) -> Response | None:
    """The file a GET or HEAD names, else None (the request is the API's)."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.path == "/":
        return Response(
            STATIC_INDEX.read_bytes(),
            content_type=STATIC_TYPES[".html"],
            headers=stripe_local.page_headers(PAGE_HEADERS),
        )
    if request.path == "/widget.js":
        return Response(WIDGET_JS.read_bytes(), content_type=STATIC_TYPES[".js"], headers=WIDGET_HEADERS)
    name = STATIC_NAME.fullmatch(request.path)
    suffix = Path(name.group(1)).suffix if name else ""
    if name is None or suffix not in STATIC_TYPES:
        return None  # not a static name: the API's (e.g. /openapi.json, or its 404)
    file = STATIC_DIR / name.group(1)
    if not file.resolve().is_relative_to(STATIC_DIR.resolve()) or not file.is_file():
        return None
    headers = stripe_local.page_headers(PAGE_HEADERS) if suffix == ".html" else ASSET_HEADERS
    return Response(file.read_bytes(), content_type=STATIC_TYPES[suffix], headers=headers)
