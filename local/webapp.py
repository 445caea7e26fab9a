"""What the local stack adds to the web app: its config, and the developer panel.

On AWS, `local.publish` writes the app's one config file (config.json) next to the pages. Here the
gateway answers /config.json itself, naming this stack's API, its played Cognito (local.oauth) and
the developer panel. The panel (clock, drain, tokens, sandbox deposit, month close, audit) lives
under /_local/, which only `make run` serves; its files are not under local/static/, so
`make package` never ships them and the deployed app never links to them.
"""

from __future__ import annotations

import importlib
import json

from werkzeug.wrappers import Request, Response

from local import oauth, runtime, stack, stripe_local

PANEL_DIR = stack.ROOT / "local" / "devpanel"
PANEL_FILES = {
    "/_local/": ("panel.html", "text/html; charset=utf-8"),
    "/_local/panel.js": ("panel.js", "application/javascript; charset=utf-8"),
}


def config(base_url: str) -> dict:
    return {
        "api": base_url,
        "pages": base_url,
        "widget": f"{base_url}/widget.js",
        "auth": oauth.config(base_url),
        # With localstripe (make run): its Stripe.js stand-in, and where the one step it cannot play,
        # confirming a card payment, is played (see topup-stripe.js). Without it: the panel's sandbox.
        "stripe": _stripe(base_url),
        "dev_panel": f"{base_url}/_local/",
    }


def _stripe(base_url: str) -> dict:
    local = stripe_local.client_config()
    if not local["enabled"]:
        return {"publishable_key": ""}
    return {
        "publishable_key": local["publishable_key"],
        "js": local["js"],
        "confirm_url": base_url + local["confirm_url"],
    }


def serve(request: Request, page_headers: dict[str, str]) -> Response | None:
    """/config.json and the panel's files; None for anything else."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.path == "/config.json":
        body = json.dumps(config(request.host_url.rstrip("/")))
        return Response(body, content_type="application/json", headers={"Cache-Control": "no-cache"})
    if request.path == "/_local/clock":  # the panel reads the business clock; POST sets it
        runtime.ensure_paths()
        clock = importlib.import_module("flattr.clock")
        return Response(json.dumps({"now": clock.now().isoformat()}), content_type="application/json")
    found = PANEL_FILES.get(request.path)
    if found is None:
        return None
    name, content_type = found
    return Response((PANEL_DIR / name).read_bytes(), content_type=content_type, headers=page_headers)
