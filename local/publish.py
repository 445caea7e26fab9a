"""After `sam deploy`: upload the widget and our pages to the stack's private bucket.

The widget and the flattr window learn the API's URL here. The versioned widget
(widget-<hash>.js) is cached for a year; everything else briefly, so a new release shows up
within minutes. config.json tells the sign-in page where the API and sign-in live.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import tomllib

import boto3

from local import stack

STATIC = stack.ROOT / "build" / "static"
STACK_POLICY = {"Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
    {"Effect": "Deny", "Principal": "*", "Action": ["Update:Replace", "Update:Delete"],
     "Resource": ["LogicalResourceId/UserPool", "LogicalResourceId/FlattrTable"]},
]}


def main() -> None:
    deploy = tomllib.loads((stack.ROOT / "samconfig.toml").read_text())["default"]["deploy"]["parameters"]
    cfn = boto3.client("cloudformation", region_name=deploy["region"])
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cfn.describe_stacks(StackName=deploy["stack_name"])["Stacks"][0].get("Outputs", [])}
    # From now on no update may replace or delete the user pool or the table: every balance
    # hangs on their ids (README, "Sign-in and user ids").
    cfn.set_stack_policy(StackName=deploy["stack_name"], StackPolicyBody=json.dumps(STACK_POLICY))
    (STATIC / "config.json").write_text(json.dumps({
        "api": outputs["ApiUrl"], "signin": outputs.get("SignInUrl"), "widget": outputs["WidgetUrl"],
    }))
    # The pages and the widget are served from CloudFront; the API has its own origin.
    page = STATIC / "flattr.html"
    page.write_text(page.read_text().replace('<meta name="flattr-api" content="">',
                                             f'<meta name="flattr-api" content="{outputs["ApiUrl"]}">'))
    widget = (STATIC / "widget.js").read_text().replace(
        'me.getAttribute("data-api") || SITE', f'me.getAttribute("data-api") || {json.dumps(outputs["ApiUrl"])}')
    (STATIC / "widget.js").write_text(widget)
    versioned = f"widget-{hashlib.sha256(widget.encode()).hexdigest()[:10]}.js"
    (STATIC / versioned).write_text(widget)
    s3 = boto3.client("s3", region_name=deploy["region"])
    for path in sorted(STATIC.iterdir()):
        versioned = path.name.startswith("widget-")
        s3.upload_file(str(path), outputs["WidgetBucketName"], path.name, ExtraArgs={
            "ContentType": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "CacheControl": "public, max-age=31536000, immutable" if versioned else "public, max-age=300",
        })
        print(f"uploaded {path.name}")


if __name__ == "__main__":
    main()
