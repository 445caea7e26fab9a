"""Cognito's hosted UI, played locally: OAuth 2.0 authorization code with PKCE (RFC 7636).

    GET  /oauth2/authorize   a sign-in form ("User name", "Sign in"); no password, it is a local stack
    POST /oauth2/authorize   the form: redirects to redirect_uri with ?code=&state=
    POST /oauth2/token       code + code_verifier -> the same HS256 tokens as /_local/token
    GET  /logout             back to logout_uri

The web app speaks to these exactly as it speaks to Cognito on AWS; only its config differs.
Errors on the token endpoint have OAuth's shape (`{"error": "invalid_grant", ...}`), as Cognito's do.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

CLIENT_ID = "flattr-local"
CODE_TTL = 300  # seconds, as short as Cognito's
USER_NAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")
PATHS = ("/oauth2/authorize", "/oauth2/token", "/logout")


@dataclass(frozen=True)
class Grant:
    sub: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


_grants: dict[str, Grant] = {}
_lock = threading.Lock()


def owns(path: str) -> bool:
    return path in PATHS


def config(base_url: str) -> dict:
    """The auth part of the web app's config on the local stack."""
    return {
        "authorize": f"{base_url}/oauth2/authorize",
        "token": f"{base_url}/oauth2/token",
        "logout": f"{base_url}/logout",
        "client_id": CLIENT_ID,
        "scope": "openid email profile",
    }


def handle(request: Request, make_token) -> Response:
    """`make_token(sub)` signs the token the local authorizer accepts."""
    if request.path == "/oauth2/authorize":
        if request.method == "GET":
            return _authorize_form(request)
        if request.method == "POST":
            return _authorize_submit(request)
    elif request.path == "/oauth2/token" and request.method == "POST":
        return _token(request, make_token)
    elif request.path == "/logout" and request.method == "GET":
        return _logout(request)
    return _oauth_error(405, "invalid_request", f"{request.method} is not allowed on {request.path}.")


# ---------------------------------------------------------------- authorize


def _http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _problem(args) -> str | None:
    if args.get("response_type") != "code":
        return "response_type must be 'code' (the authorization code flow)."
    if not args.get("client_id"):
        return "client_id is required."
    if not _http_url(args.get("redirect_uri", "")):
        return "redirect_uri must be an http or https URL."
    if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
        return "PKCE is required: code_challenge with code_challenge_method=S256."
    return None


FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


def _page(body: str, status: int = 200, form_to: str = "") -> Response:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Flattr</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="narrow"><h1>Sign in to Flattr</h1>{body}</main></body></html>"""
    origin = ""
    if form_to:
        parts = urlsplit(form_to)
        origin = f" {parts.scheme}://{parts.netloc}"
    headers = {
        # The form posts here and is then redirected to the app, which may be on another origin.
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action 'self'{origin}; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
    return Response(page, status, headers=headers, content_type="text/html; charset=utf-8")


def _authorize_form(request: Request, problem: str = "") -> Response:
    args = request.values
    bad = _problem(args)
    if bad:
        return _page(
            f'<p class="notice bad" role="alert">This sign-in link is not valid: {html.escape(bad)}</p>', 400
        )
    hidden = "".join(
        f'<input type="hidden" name="{f}" value="{html.escape(args.get(f, ""))}">' for f in FIELDS
    )
    alert = f'<p class="notice bad" role="alert" id="problem">{html.escape(problem)}</p>' if problem else ""
    described = ' aria-describedby="problem"' if problem else ""
    body = f"""<p>This is the local stack: any user name signs in, no password. On AWS this page is
Cognito's.</p>{alert}
<form method="post" action="/oauth2/authorize" class="stack">{hidden}
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required autofocus value="{html.escape(args.get("username", ""))}"{described}>
<p class="hint">Letters, digits and . _ - @, up to 64.</p>
<button type="submit" class="primary">Sign in</button>
</form>"""
    return _page(body, 400 if problem else 200, form_to=args.get("redirect_uri", ""))


def _authorize_submit(request: Request) -> Response:
    form = request.form
    if _problem(form):
        return _authorize_form(request)
    user = form.get("username", "").strip()
    if not USER_NAME.fullmatch(user):
        return _authorize_form(request, "Please type a user name: letters, digits and . _ - @, up to 64.")
    code = secrets.token_urlsafe(24)
    with _lock:
        now = time.time()
        for stale in [c for c, g in _grants.items() if g.expires < now]:
            del _grants[stale]
        _grants[code] = Grant(
            user, form["client_id"], form["redirect_uri"], form["code_challenge"], now + CODE_TTL
        )
    query = {"code": code}
    if form.get("state"):
        query["state"] = form["state"]
    target = form["redirect_uri"]
    target += ("&" if "?" in target else "?") + urlencode(query)
    return Response(status=302, headers={"Location": target, "Cache-Control": "no-store"})


# ---------------------------------------------------------------- token and logout


def _oauth_error(status: int, code: str, description: str) -> Response:
    body = json.dumps({"error": code, "error_description": description})
    return Response(body, status, content_type="application/json", headers={"Cache-Control": "no-store"})


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _token(request: Request, make_token) -> Response:
    form = request.form
    if form.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type", "Only grant_type=authorization_code is offered.")
    with _lock:
        grant = _grants.pop(form.get("code", ""), None)  # a code is good for one try
    if grant is None or grant.expires < time.time():
        return _oauth_error(400, "invalid_grant", "The code is unknown, used or expired.")
    if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
        return _oauth_error(400, "invalid_grant", "client_id and redirect_uri must match the authorization.")
    verifier = form.get("code_verifier", "")
    if not re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier) or not secrets.compare_digest(
        _s256(verifier), grant.challenge
    ):
        return _oauth_error(400, "invalid_grant", "The code_verifier does not match the code_challenge.")
    token = make_token(grant.sub)
    return Response(
        json.dumps({"id_token": token, "access_token": token, "token_type": "Bearer", "expires_in": 86400}),
        200,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _logout(request: Request) -> Response:
    target = request.args.get("logout_uri", "")
    if not _http_url(target):
        return _page('<p class="notice">You are signed out.</p>', 200)
    return Response(status=302, headers={"Location": target, "Cache-Control": "no-store"})
