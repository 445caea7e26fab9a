"""The template's linting, as `make test` runs it: cfn-lint with the serverless rules, and checkov
against a committed baseline whose every suppression says why."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys

import pytest
from samtranslator.yaml_helper import yaml_parse

from local import stack

CHECKOV = stack.ROOT / ".venv-checkov" / "bin" / "checkov"
BASELINE = stack.ROOT / "infra" / "checkov-baseline.yaml"
TEMPLATES = ["infra/template.yaml", "infra/waf.yaml"]


def test_cfn_lint_with_the_serverless_rules_passes():
    config = yaml_parse((stack.ROOT / ".cfnlintrc.yaml").read_text())
    assert config["append_rules"] == ["cfn_lint_serverless.rules"] and config["templates"] == TEMPLATES
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    result = subprocess.run([cfn_lint], capture_output=True, text=True, cwd=stack.ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_serverless_rules_are_loaded_and_can_fail(tmp_path):
    """A function without tracing breaks a serverless rule (LS2000-style): the rules really run."""
    template = tmp_path / "t.yaml"
    template.write_text("""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: a.h, InlineCode: "x", Tracing: PassThrough}
""")
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    result = subprocess.run([cfn_lint, str(template)], capture_output=True, text=True, cwd=stack.ROOT)
    assert result.returncode != 0 and "Tracing" in result.stdout, result.stdout


def test_every_checkov_suppression_has_a_one_line_reason():
    baseline = yaml_parse(BASELINE.read_text())
    for check, entry in baseline.items():
        reason = entry["reason"]
        assert reason.strip() and "\n" not in reason.strip() and len(reason) <= 160, check
        assert entry["resources"], check


def test_checkov_finds_nothing_beyond_its_baseline():
    if not CHECKOV.exists():
        if os.environ.get("CI"):
            pytest.fail("make test installs .venv-checkov; it is missing")
        pytest.skip("no .venv-checkov (make test installs it)")
    result = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--output",
            "json",
            *[arg for t in TEMPLATES for arg in ("--file", t)],
        ],
        capture_output=True,
        text=True,
        cwd=stack.ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (c["check_id"], c["resource"]) for r in reports for c in r.get("results", {}).get("failed_checks", [])
    ]
    baseline = yaml_parse(BASELINE.read_text())

    def accepted(check, resource):
        return check in baseline and any(fnmatch.fnmatch(resource, p) for p in baseline[check]["resources"])

    new = sorted({f for f in failed if not accepted(*f)})
    assert not new, f"checkov: fix these, or add them to {BASELINE.name} with a reason: {new}"
    stale = {check for check in baseline if not any(c == check for c, _ in failed)}
    assert not stale, f"no longer found, remove from {BASELINE.name}: {sorted(stale)}"
