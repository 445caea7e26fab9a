"""After `sam deploy`: write the web app's config and upload it, the app, the flattr window and the
widget to the stack's private bucket, served by CloudFront.

config.json is the app's one config file: the API's URL, Cognito's hosted UI (its /oauth2/authorize,
/oauth2/token and /logout) and app client, and the Stripe publishable key. The app's code is the
same as on the local stack, where the gateway serves a config.json of its own. The widget and the
flattr window learn the API's URL here too. The versioned widget (widget-<hash>.js) is cached for a
year; everything else briefly, so a new release shows up within minutes.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from local import stack

STATIC = stack.ROOT / "build" / "static"
STACK_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["Update:Replace", "Update:Delete"],
            "Resource": ["LogicalResourceId/UserPool", "LogicalResourceId/FlattrTable"],
        },
    ]
}


def app_config(outputs: dict[str, str]) -> dict:
    """The app's config from the stack's outputs. Cognito's domain and app client come from the
    SignInUrl output (https://<domain>.auth.<region>.amazoncognito.com/login?client_id=...)."""
    auth = None
    if outputs.get("SignInUrl"):
        signin = urlsplit(outputs["SignInUrl"])
        base = f"{signin.scheme}://{signin.netloc}"
        auth = {
            "authorize": f"{base}/oauth2/authorize",
            "token": f"{base}/oauth2/token",
            "logout": f"{base}/logout",
            "client_id": parse_qs(signin.query)["client_id"][0],
            "scope": "openid email profile",
        }
    pages = outputs["WidgetUrl"].rstrip("/")
    return {
        "api": outputs["ApiUrl"].rstrip("/"),
        "pages": pages,
        "widget": f"{pages}/widget.js",
        "auth": auth,
        "stripe": {"publishable_key": outputs.get("StripePublishableKey", "")},
    }


def write_config(static: Path, outputs: dict[str, str]) -> dict:
    """config.json for the app; the flattr window's and the widget's API URL."""
    config = app_config(outputs)
    (static / "config.json").write_text(json.dumps(config, indent=1))
    page = static / "flattr.html"
    page.write_text(
        page.read_text().replace(
            '<meta name="flattr-api" content="">', f'<meta name="flattr-api" content="{config["api"]}">'
        )
    )
    widget = (
        (static / "widget.js")
        .read_text()
        .replace(
            'me.getAttribute("data-api") || SITE',
            f'me.getAttribute("data-api") || {json.dumps(config["api"])}',
        )
    )
    (static / "widget.js").write_text(widget)
    (static / f"widget-{hashlib.sha256(widget.encode()).hexdigest()[:10]}.js").write_text(widget)
    return config


def main() -> None:
    import boto3

    deploy = tomllib.loads((stack.ROOT / "samconfig.toml").read_text())["default"]["deploy"]["parameters"]
    cfn = boto3.client("cloudformation", region_name=deploy["region"])
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=deploy["stack_name"])["Stacks"][0].get("Outputs", [])
    }
    # From now on no update may replace or delete the user pool or the table: every balance
    # hangs on their ids (README, "Sign-in and user ids").
    cfn.set_stack_policy(StackName=deploy["stack_name"], StackPolicyBody=json.dumps(STACK_POLICY))
    write_config(STATIC, outputs)
    s3 = boto3.client("s3", region_name=deploy["region"])
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        key = path.relative_to(STATIC).as_posix()
        versioned = key.startswith("widget-")
        s3.upload_file(
            str(path),
            outputs["WidgetBucketName"],
            key,
            ExtraArgs={
                "ContentType": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                "CacheControl": "public, max-age=31536000, immutable" if versioned else "public, max-age=300",
            },
        )
        print(f"uploaded {key}")


if __name__ == "__main__":
    main()
