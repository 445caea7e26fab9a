"""GET /health, GET /openapi.json, and the fallback that answers unknown routes."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from flattr.http import entry, error, error_v2, make_app

app = make_app()
V2_PREFIXES = ("/rest/v2/", "/submit/")


@lru_cache(maxsize=1)
def _spec() -> dict:
    return json.loads(resources.files("flattr").joinpath("openapi.json").read_text())


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi():
    return _spec()


# Unknown paths reach this function through the $default route, v2's in v2's error shape.
@app.not_found
def nothing_here(exc):
    render = error_v2 if app.current_event.path.startswith(V2_PREFIXES) else error
    return render(404, "not_found", "There is nothing at this path.")


handler = entry(app)
