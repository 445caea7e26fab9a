"""Build the stack from infra/template.yaml on moto: the template is the only description.

SAM is expanded offline with samtranslator, the resources moto cannot run (API Gateway, event
source mappings) are dropped, and the rest is created through moto's CloudFormation. Handlers
are then called in-process by the local gateway, poller and tests.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
CODE_BUCKET = "flattr-local-code"
STACK_NAME = "flattr-local"

# Resource types moto cannot create or run. The local gateway plays the API and its authorizer
# (so sign-in with Cognito is not needed), the poller plays the event source mapping, and the
# gateway serves the widget and pages that CloudFront serves on AWS.
_DROPPED_TYPES = (
    "AWS::ApiGatewayV2::",
    "AWS::ApiGateway::",
    "AWS::Lambda::EventSourceMapping",
    "AWS::CloudFront::",
    "AWS::Cognito::",
    # Not modelled by moto (it would only warn and make nothing): alarms, EventBridge Scheduler
    # (tests and the local stack call the scheduled handlers directly), async invoke settings.
    "AWS::CloudWatch::Alarm",
    "AWS::Scheduler::",
    "AWS::Lambda::EventInvokeConfig",
)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, object]
    events: dict[str, dict] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


@functools.lru_cache(maxsize=1)
def sam_template() -> dict:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


def functions() -> list[FunctionSpec]:
    """Every AWS::Serverless::Function, with its code directory resolved from CodeUri."""
    tpl = sam_template()
    env_globals = tpl.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    specs = []
    for logical_id, res in tpl["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        env = dict(env_globals)
        env.update(props.get("Environment", {}).get("Variables", {}))
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                code_dir=(TEMPLATE.parent / props["CodeUri"]).resolve(),
                handler=props["Handler"],
                environment=env,
                events=props.get("Events", {}),
            )
        )
    return specs


def layer_dirs() -> list[Path]:
    tpl = sam_template()
    return [
        (TEMPLATE.parent / res["Properties"]["ContentUri"]).resolve()
        for res in tpl["Resources"].values()
        if res["Type"] == "AWS::Serverless::LayerVersion"
    ]


def http_routes() -> list[tuple[str, str, FunctionSpec, bool]]:
    """(method, path, function, needs_auth) for every HttpApi event; path '$default' for the fallback."""
    tpl = sam_template()
    api = next(r for r in tpl["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
    default_auth = api["Properties"].get("Auth", {}).get("DefaultAuthorizer") is not None
    routes = []
    for fn in functions():
        for event in fn.events.values():
            if event["Type"] != "HttpApi":
                continue
            props = event.get("Properties", {})
            method = props.get("Method", "ANY").upper()
            path = props.get("Path", "$default")
            authorizer = props.get("Auth", {}).get("Authorizer")
            needs_auth = default_auth and authorizer != "NONE" and path != "$default"
            routes.append((method, path, fn, needs_auth))
    return routes


def transformed_template(parameters: dict[str, str] | None = None) -> dict:
    """The SAM template expanded to plain CloudFormation, all of it, as AWS would deploy it."""
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    tpl = copy.deepcopy(sam_template())
    for logical_id, res in tpl["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://{CODE_BUCKET}/code.zip"
        elif res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://{CODE_BUCKET}/code.zip"

    class _NoManagedPolicies:
        def load(self):
            return {}

    return transform(tpl, parameters or {}, _NoManagedPolicies())


def expanded_template(parameters: dict[str, str] | None = None) -> dict:
    """The SAM template expanded to plain CloudFormation, trimmed to what moto can create."""
    cfn = transformed_template(parameters)
    resources = cfn["Resources"]
    dropped = {lid for lid, r in resources.items() if r["Type"].startswith(_DROPPED_TYPES)}
    # A function's setting that names a dropped resource (the pages' CloudFront address) is left
    # empty: locally the gateway serves the pages on the API's own origin.
    for res in resources.values():
        variables = res.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if set(_refs(value)) & dropped:
                variables[name] = ""
    # Whatever else points at a dropped resource (the API's invoke permissions) goes with it.
    while True:
        more = {lid for lid, r in resources.items() if lid not in dropped and set(_refs(r)) & dropped}
        if not more:
            break
        dropped |= more
    for lid in dropped:
        del resources[lid]
    cfn["Outputs"] = {k: v for k, v in cfn.get("Outputs", {}).items() if not (set(_refs(v)) & dropped)}
    return cfn


def _refs(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                out.append(v)
            elif k == "Fn::GetAtt":
                out.append(v[0] if isinstance(v, list) else v.split(".")[0])
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) else v
                out += [m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)]
            out += _refs(v)
    elif isinstance(node, list):
        for v in node:
            out += _refs(v)
    return out


@dataclass
class Stack:
    outputs: dict[str, str]
    environment: dict[str, str]

    @property
    def table(self) -> str:
        return self.outputs["TableName"]


def deploy(stack_name: str = STACK_NAME, parameters: dict[str, str] | None = None) -> Stack:
    """Create the stack on the moto endpoint boto3 is pointed at (mock_aws or a moto server)."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("placeholder.py", "")
    s3.put_object(Bucket=CODE_BUCKET, Key="code.zip", Body=buf.getvalue())

    cfn = boto3.client("cloudformation")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(expanded_template(parameters)),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    desc = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if desc["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name}: {desc['StackStatus']} {desc.get('StackStatusReason')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    from local import mail  # the sender and key an operator sets up by hand on AWS

    mail.prepare(parameters)
    return Stack(outputs=outputs, environment={**function_environment(stack_name), **mail.LOCAL_ENVIRONMENT})


def function_environment(stack_name: str) -> dict[str, str]:
    """The environment moto gave the deployed functions, with refs resolved: merged over all of them."""
    import boto3

    cfn = boto3.client("cloudformation")
    lam = boto3.client("lambda")
    env: dict[str, str] = {}
    for res in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]:
        if res["ResourceType"] == "AWS::Lambda::Function":
            cfg = lam.get_function_configuration(FunctionName=res["PhysicalResourceId"])
            env.update(cfg.get("Environment", {}).get("Variables", {}))
    return env


def python_paths() -> list[str]:
    """What Lambda puts on sys.path: each function's code directory and the layer."""
    return [str(p) for p in layer_dirs()] + sorted({str(f.code_dir) for f in functions()})
