"""Fuzz the HTTP API from its own spec with schemathesis: nothing a client sends may cause a 5xx,
and every answer must match the spec.

The spec is what the stack serves at GET /openapi.json. While it does not serve one (or with
FLATTR_FUZZ_SPEC=merged), the test falls back to a spec merged from the handlers' Powertools
resolvers (tests/fuzz/merged_spec.py). That raw
spec documents only 200 and 422, so the fallback adds what DESIGN.md promises for every route (2XX,
and 4XX with the {"error": {"code", "message"}} shape) and checks 5xx, status codes and response
bodies; the full set of conformance checks needs the real spec.

Every request carries a valid bearer token from /_local/token (an admin's on /admin routes). Failures
are collected rather than raised, so hypothesis does not shrink: the run stays bounded, and the
report lists every failing request as a curl command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bench import load
from local.openapi import ERROR_SCHEMA

pytestmark = pytest.mark.e2e

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 12  # per operation and generation mode: about 400 requests in all
HERE = Path(__file__).resolve().parent

ERROR_SHAPE = ERROR_SCHEMA  # the documented refusal: a snake_case code and a sentence


@pytest.fixture(scope="module")
def stack_url():
    with load.local_stack() as url:
        yield url


def served_spec(url: str) -> dict | None:
    response = requests.get(f"{url}/openapi.json", timeout=30)
    if response.status_code != 200:
        return None
    try:
        spec = response.json()
    except ValueError:
        return None
    return spec if isinstance(spec, dict) and spec.get("paths") else None


def fallback_spec() -> dict:
    proc = subprocess.run(
        [sys.executable, str(HERE / "merged_spec.py")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    spec = json.loads(proc.stdout)
    for methods in spec["paths"].values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("2XX", {"description": "Success"})
            responses.setdefault(
                "4XX", {"description": "Refused", "content": {"application/json": {"schema": ERROR_SHAPE}}}
            )
    return spec


def test_the_api_survives_its_own_spec(stack_url):
    # FLATTR_FUZZ_SPEC=merged forces the fallback, to check the harness itself.
    spec = None if os.environ.get("FLATTR_FUZZ_SPEC") == "merged" else served_spec(stack_url)
    source = "GET /openapi.json"
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    if spec is None:
        spec, source = fallback_spec(), "merged from the resolvers (no /openapi.json served)"
        checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_dict(spec)

    def token(sub: str, admin: bool = False) -> str:
        response = requests.post(f"{stack_url}/_local/token", json={"sub": sub, "admin": admin}, timeout=30)
        response.raise_for_status()
        return response.json()["token"]

    user, admin = token("fuzzer"), token("fuzz-admin", admin=True)
    # Someone to be: an account with funds, and a thing of someone else's to click.
    requests.put(
        f"{stack_url}/me",
        json={"display_name": "Fuzzer", "monthly_budget": 500},
        headers={"Authorization": f"Bearer {user}"},
        timeout=30,
    ).raise_for_status()
    requests.post(f"{stack_url}/_local/deposit", json={"user_id": "fuzzer", "amount": 2000}, timeout=30)

    fuzzer = Fuzzer(stack_url, checks)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"no operations in the spec ({source})"
    for operation in operations:
        bearer = admin if operation.path.startswith("/admin") else user
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzzer.run(operation, mode, {"Authorization": f"Bearer {bearer}"})
    assert fuzzer.calls > len(operations), f"too few requests were made ({fuzzer.calls})"
    total = sum(len(v) for v in fuzzer.failures.values())
    report = "\n".join(
        f"  {op} {kind} x{len(examples)}:\n    " + "\n    ".join(examples[:2])
        for (op, kind), examples in sorted(fuzzer.failures.items())
    )
    assert not fuzzer.failures, (
        f"{total} of {fuzzer.calls} requests failed the checks (spec: {source}):\n{report}"
    )


class Fuzzer:
    """Runs one operation in one generation mode, and keeps every failure instead of raising it."""

    def __init__(self, base_url: str, checks: list):
        self.base_url = base_url
        self.checks = checks
        self.session = requests.Session()
        self.calls = 0
        self.failures: dict[tuple[str, str], list[str]] = {}  # (operation, what failed) -> examples

    def run(self, operation, mode, headers: dict[str, str]) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            self.calls += 1
            try:
                case.call_and_validate(
                    base_url=self.base_url, session=self.session, headers=headers, checks=self.checks
                )
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup)
                self.note(operation, case, headers, exc)

        try:
            fuzz()
        except Unsatisfiable:  # nothing to make invalid (a route without parameters or body)
            assert mode is schemathesis.GenerationMode.NEGATIVE, f"no valid request for {operation.label}"

    def note(self, operation, case, headers: dict[str, str], exc: BaseException) -> None:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        kind = " + ".join(line[2:] for line in lines if line.startswith("- ")) or (lines or [repr(exc)])[0]
        answer = next((line for line in lines if line.startswith("[")), "")
        body = next((line for line in lines if line.startswith("`")), "")
        curl = case.as_curl_command(headers=headers, base_url=self.base_url)
        key = (f"{operation.method.upper()} {operation.path}", kind)
        self.failures.setdefault(key, []).append(f"{answer} {body}\n      {curl}")


# Bodies no generator makes by chance, sent to every operation of the spec that takes a body or
# could be sent one: each must be a 4xx in the route's documented error shape, never a 5xx.
HOSTILE_BODIES = {
    "nested 50,000 levels": "[" * 50_000 + "]" * 50_000,
    "nested 10,000 levels (under the size limit)": '{"url": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "an integer of 5,000 digits": '{"monthly_budget": ' + "7" * 5000 + ', "amount": ' + "7" * 5000 + "}",
    "a float of 5,000 digits": '{"amount": 0.' + "3" * 5000 + "}",
    "a body of 1 MB": '{"title": "' + "x" * 1_000_000 + '"}',
}


def test_hostile_bodies_are_refused_on_every_route(stack_url):
    spec = served_spec(stack_url) or fallback_spec()
    token = requests.post(f"{stack_url}/_local/token", json={"sub": "fuzzer"}, timeout=30).json()["token"]
    admin = requests.post(
        f"{stack_url}/_local/token", json={"sub": "fuzz-admin", "admin": True}, timeout=30
    ).json()["token"]
    failures = []
    sent = 0
    for path, methods in spec["paths"].items():
        concrete = (
            path.replace("{thing_id}", "1").replace("{month}", "2026-01").replace("{user_id}", "fuzzer")
        )
        concrete = concrete.replace("{username}", "fuzzer")
        for method in methods:
            if method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
                continue
            bearer = admin if path.startswith("/admin") else token
            for name, body in HOSTILE_BODIES.items():
                sent += 1
                response = requests.request(
                    method.upper(),
                    f"{stack_url}{concrete}",
                    data=body.encode(),
                    timeout=60,
                    headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
                )
                try:
                    payload = response.json()
                except ValueError:
                    payload = None
                v2 = path.startswith(("/rest/v2/", "/submit/"))
                shaped = isinstance(payload, dict) and (
                    isinstance(payload.get("error"), str) if v2 else isinstance(payload.get("error"), dict)
                )
                if not (400 <= response.status_code < 500 and shaped):
                    failures.append(
                        f"{method.upper()} {path} with {name}: {response.status_code} {response.text[:200]}"
                    )
    assert sent > 20, sent
    assert not failures, "\n".join(failures)
