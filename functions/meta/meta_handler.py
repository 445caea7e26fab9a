"""GET /health, GET /openapi.json, and the fallback that answers unknown routes."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from flattr.http import entry, make_app

app = make_app()


@lru_cache(maxsize=1)
def _spec() -> dict:
    return json.loads(resources.files("flattr").joinpath("openapi.json").read_text())


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi():
    return _spec()


# Unknown paths reach this function through the $default route; the resolver's not_found answers.
handler = entry(app)
