"""Print one OpenAPI document merged from the HTTP handlers' Powertools resolvers.

The fallback for tests/fuzz while functions/shared/flattr/openapi.json (served at /openapi.json) is
not there. It runs as its own process (`python tests/fuzz/merged_spec.py`): importing the handler
modules binds their settings, which must not happen inside a test process that hosts other tests.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "accounts_handler",
    "things_handler",
    "click_handler",
    "deposit_handler",
    "admin_handler",
    "meta_handler",
]


def merged() -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from local import runtime

    runtime.ensure_paths()
    out: dict | None = None
    for name in MODULES:
        app = importlib.import_module(name).app
        spec = json.loads(app.get_openapi_schema().model_dump_json(by_alias=True, exclude_none=True))
        if out is None:
            out = spec
            continue
        for path, methods in spec.get("paths", {}).items():
            out["paths"].setdefault(path, {}).update(methods)
        for kind, items in spec.get("components", {}).items():
            out.setdefault("components", {}).setdefault(kind, {}).update(items)
    assert out is not None
    out["info"] = {"title": "Flattr API (merged from the handlers' resolvers)", "version": "1"}
    return out


if __name__ == "__main__":
    print(json.dumps(merged()))
