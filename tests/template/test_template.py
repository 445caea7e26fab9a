"""infra/template.yaml is the truth: it lints, it expands, every handler imports, and the
routes it declares are the routes the code serves and the spec documents."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys

import pytest

from local import openapi, runtime, stack


def test_template_passes_cfn_lint():
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    result = subprocess.run([cfn_lint, str(stack.TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_expands_with_sam():
    types = {r["Type"] for r in stack.transformed_template()["Resources"].values()}
    assert {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Scheduler::Schedule",
        "AWS::Lambda::Function",
    } <= types
    types = {r["Type"] for r in stack.expanded_template()["Resources"].values()}
    assert {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Lambda::Function"} <= types


@pytest.mark.parametrize("fn", stack.functions(), ids=lambda f: f.logical_id)
def test_every_handler_imports_as_lambda_imports_it(fn):
    """Only the function's own CodeUri and the shared layer on the path, in a fresh interpreter."""
    layer = [str(p) for p in stack.layer_dirs()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fn.code_dir), *layer])}
    module, attr = fn.handler.rsplit(".", 1)
    code = f"import {module}, sys; h = getattr({module}, {attr!r}); sys.exit(0 if callable(h) else 1)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_function_imports_another_functions_handler():
    handler_modules = {fn.module for fn in stack.functions()}
    for fn in stack.functions():
        for path in fn.code_dir.glob("*.py"):
            imported = set(re.findall(r"^\s*(?:from|import)\s+(\w+)", path.read_text(), re.M))
            assert not (imported & (handler_modules - {p.stem for p in fn.code_dir.glob("*.py")})), path


def test_the_domain_imports_nothing_from_aws_or_the_store():
    domain = stack.ROOT / "functions" / "shared" / "flattr" / "domain"
    for path in domain.glob("*.py"):
        text = path.read_text()
        for banned in ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", ".store", "local"):
            assert not re.search(rf"^\s*(from|import)\s+\S*{re.escape(banned)}", text, re.M), (path, banned)


def test_nothing_under_functions_imports_local():
    for path in (stack.ROOT / "functions").rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+local\b", path.read_text(), re.M), path


def test_settings_come_from_template_parameters():
    tpl = stack.sam_template()
    env = tpl["Globals"]["Function"]["Environment"]["Variables"]
    for name, param in [
        ("FLATTR_FEE_BPS", "FeeBps"),
        ("FLATTR_UNSPENT_POLICY", "UnspentPolicy"),
        ("FLATTR_GIVE_TO_GET", "GiveToGet"),
        ("FLATTR_MIN_BUDGET", "MinBudget"),
        ("FLATTR_MIN_PAYOUT", "MinPayout"),
        ("FLATTR_CURRENCY", "Currency"),
    ]:
        assert env[name] == {"Ref": param}
    assert tpl["Parameters"]["FeeBps"]["Default"] == 1000
    assert tpl["Parameters"]["UnspentPolicy"]["Default"] == "charity"
    # The webhook secret is a parameter *name* in SSM, never the secret itself.
    deposit = tpl["Resources"]["DepositFunction"]["Properties"]
    assert deposit["Environment"]["Variables"]["FLATTR_WEBHOOK_SECRET_PARAMETER"] == {
        "Ref": "WebhookSecretParameter"
    }
    assert "local-webhook-secret" not in stack.TEMPLATE.read_text()
    for fn in stack.functions():
        for name in fn.environment:
            assert "SECRET" not in name or name.endswith("_PARAMETER"), (fn.logical_id, name)


def test_tables_are_on_demand_with_point_in_time_recovery():
    for res in stack.sam_template()["Resources"].values():
        if res["Type"] == "AWS::DynamoDB::Table":
            assert res["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
            assert res["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_queue_has_a_bounded_dlq_and_a_long_enough_visibility_timeout():
    res = stack.sam_template()["Resources"]
    queue = res["SettleQueue"]["Properties"]
    worker_timeout = res["SettleWorkerFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * worker_timeout
    assert 1 <= queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    sqs_event = res["SettleWorkerFunction"]["Properties"]["Events"]["Jobs"]["Properties"]
    assert sqs_event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm = res["SettleDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SettleDeadLetterQueue", "QueueName"]}


def test_template_routes_are_the_spec_paths():
    def normal(path):
        return re.sub(r"\{[^}]+\}", "{}", path)

    routes = {(m.lower(), normal(p)) for m, p, _, _ in stack.http_routes() if p != "$default"}
    spec = json.loads(openapi.SPEC.read_text())
    documented = {(m, normal(p)) for p, ops in spec["paths"].items() for m in ops}
    assert routes == documented


def test_the_committed_spec_is_current():
    assert openapi.SPEC.read_text() == openapi.render(), "run `make openapi`"


def test_each_route_is_served_by_its_function():
    """Every route the template sends to a function matches a route in that function's resolver."""
    runtime.ensure_paths()
    for method, path, fn, _ in stack.http_routes():
        if path == "$default":
            continue
        app = importlib.import_module(fn.module).app
        sample = re.sub(r"\{[^}]+\}", "123", path)
        routes = app._static_routes + app._dynamic_routes
        assert any(r.rule.match(sample) and r.method == method for r in routes), (method, path, fn.logical_id)
