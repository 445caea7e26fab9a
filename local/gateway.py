"""API Gateway HTTP API (payload format 2.0), played by a werkzeug WSGI app.

Routes come from the template's HttpApi events; each request becomes the event AWS would build and
goes to the same handler, in-process. The jobs live apart: routing (local.routing), the JWT
authorizer (local.authorizer), the event and response (local.events), CORS (local.cors), static
files (local.static_files) and the local-only control plane under /_local/ (local.control).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from local import cors, oauth, runtime, stack, static_files, webapp
from local.authorizer import authenticate, make_token
from local.control import ControlPlane
from local.events import build_event, error, to_response
from local.routing import Route, find_route
from local.stack import FunctionSpec

if TYPE_CHECKING:
    from local.poller import Poller

log = logging.getLogger("local.gateway")


class Gateway:
    def __init__(
        self,
        routes: list[tuple[str, str, FunctionSpec, bool]] | None = None,
        poller: Poller | None = None,
        invoke: Callable[[FunctionSpec, dict], Any] = runtime.invoke,
    ) -> None:
        routes = stack.http_routes() if routes is None else routes
        self.routes = [Route(*r) for r in routes if r[1] != "$default"]
        self.default = next((Route(*r) for r in routes if r[1] == "$default"), None)
        self.cors = cors.Cors(cors.configuration())
        self.control = ControlPlane(self.dispatch, poller)
        self.invoke = invoke
        self.poller = poller

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method == "OPTIONS" and self.cors.enabled:
            return self.cors.preflight(request)  # HTTP API answers preflight itself when CORS is set
        if request.path.startswith("/_local/") or request.path == "/config.json":
            response = webapp.serve(request, static_files.PAGE_HEADERS) or self.control.handle(request)
        elif oauth.owns(request.path):
            response = oauth.handle(request, lambda sub: make_token(sub, name=sub))
        else:
            response = static_files.serve(request) or self.dispatch(request)
        self.cors.add_headers(request, response)
        return response

    def dispatch(self, request: Request) -> Response:
        """Route, authorize and invoke: what API Gateway does for one request."""
        route, params = find_route(self.routes, self.default, request.method, request.path)
        if route is None:
            return error(404, "not_found", f"No route for {request.method} {request.path}.")
        claims, problem = authenticate(request)
        if route.needs_auth and claims is None:
            challenge = f'Bearer error="invalid_token", error_description="{problem}"'
            return error(401, "unauthorized", problem, {"WWW-Authenticate": challenge})
        # Public routes still see a valid token's claims (optional auth); a bad one is ignored.
        event = build_event(request, route.key, params, claims)
        try:
            result = self.invoke(route.fn, event)
        except Exception as exc:  # a server bug: log it, answer like a broken integration
            log.exception("%s failed on %s %s", route.fn.logical_id, request.method, request.path)
            return error(500, "internal_error", f"{route.fn.logical_id} raised {type(exc).__name__}.")
        if self.poller is not None and request.method not in ("GET", "HEAD"):
            # Locally, a write's stream records reach the tally before the answer: counts read as
            # after `POST /_local/drain`. On AWS they trail the click by the stream's delay.
            try:
                self.poller.stream.drain()
            except Exception:  # the background poller will get to them
                log.exception("draining the table's stream failed")
        return to_response(result)
