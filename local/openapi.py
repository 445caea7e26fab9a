"""Write the API's OpenAPI document: the union of every HTTP function's Powertools routes.

Each function owns its routes; the spec is generated from them, never written by hand.
    python -m local.openapi          write functions/shared/flattr/openapi.json
    python -m local.openapi --check  fail if the committed file is stale
"""

from __future__ import annotations

import importlib
import json
import sys

from local import runtime, stack

SPEC = stack.ROOT / "functions" / "shared" / "flattr" / "openapi.json"
INFO = {"title": "Flattr, serverless: HTTP API v1, and Flattr REST API v2 under /rest/v2", "version": "1.1.0"}
V2_PREFIXES = ("/rest/v2/", "/submit/")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string"},
            },
        }
    },
}
V2_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {
        "error": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "error_description": {"type": "string"},
        "error_uri": {"type": "string"},
    },
}


def build() -> dict:
    runtime.ensure_paths()
    spec: dict = {"openapi": "3.1.0", "info": INFO, "paths": {}, "components": {"schemas": {}}}
    modules = sorted(
        {fn.module for fn in stack.functions() if any(e["Type"] == "HttpApi" for e in fn.events.values())}
    )
    for name in modules:
        app = importlib.import_module(name).app
        part = json.loads(app.get_openapi_json_schema(title=INFO["title"], version=INFO["version"]))
        for path, ops in part.get("paths", {}).items():
            spec["paths"].setdefault(path, {}).update(ops)
        spec["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    # Every refusal has one shape; Powertools' 422 is answered as 400 here (see flattr.http).
    spec["components"]["schemas"]["Error"] = ERROR_SCHEMA
    spec["components"]["schemas"]["V2Error"] = V2_ERROR_SCHEMA
    for path, ops in spec["paths"].items():
        shape = "V2Error" if path.startswith(V2_PREFIXES) else "Error"
        for op in ops.values():
            op["responses"].pop("422", None)
            op["responses"]["default"] = {
                "description": "A refusal: 4xx with a stable code",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}},
            }
    for unused in ("HTTPValidationError", "ValidationError"):
        spec["components"]["schemas"].pop(unused, None)
    spec["paths"] = dict(sorted(spec["paths"].items()))
    spec["components"]["schemas"] = dict(sorted(spec["components"]["schemas"].items()))
    return spec


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if not SPEC.exists() or SPEC.read_text() != text:
            sys.exit(f"{SPEC} is stale: run `make openapi`")
        return
    SPEC.write_text(text)
    print(f"wrote {SPEC.relative_to(stack.ROOT)} ({len(build()['paths'])} paths)")


if __name__ == "__main__":
    main()
