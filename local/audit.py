"""`make audit`: ask the running local stack to check the money invariants; exit 1 on any violation."""

from __future__ import annotations

import os
import sys

import requests


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '3000')}/_local/audit"
    try:
        response = requests.post(url, timeout=600)
    except requests.ConnectionError:
        print(f"No local stack answers at {url}: start it with `make run`.", file=sys.stderr)
        return 2
    try:
        report = response.json()
    except ValueError:
        report = {}
    if response.status_code != 200 or "violations" not in report:
        message = report.get("error", {}).get("message") if isinstance(report, dict) else None
        print(f"Audit failed: HTTP {response.status_code} {message or response.text[:200]}", file=sys.stderr)
        return 2
    for v in report["violations"]:
        print(f"invariant {v['invariant']}: {v['detail']}")
    print("audit: ok" if report["ok"] else f"audit: {len(report['violations'])} violation(s)")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
