"""Local email: what an operator sets up by hand on AWS, and the mailbox moto's SES records.

- `prepare()` verifies the sender domain in moto's SES and stores the unsubscribe-link key in
  moto's SSM, as the README asks an operator to do on AWS.
- `GET /_local/mail?to=<address>` lists what was sent to that address, newest first:
  [{"to", "subject", "text", "sent_at"}], read from moto's SES backend (in this process).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
from email.utils import parseaddr, parsedate_to_datetime

from werkzeug.wrappers import Request, Response

from local import runtime, stack

# Settings the local stack runs with and AWS never does: tests' webhook receivers listen on 127.0.0.1.
LOCAL_ENVIRONMENT = {"FLATTR_WEBHOOK_ALLOW_LOOPBACK": "true"}
NOTIFY_SECRET = "local-notify-secret"


def _parameter(name: str, parameters: dict[str, str] | None) -> str:
    if parameters and name in parameters:
        return parameters[name]
    return str(stack.sam_template()["Parameters"][name]["Default"])


def prepare(parameters: dict[str, str] | None = None) -> None:
    import boto3

    boto3.client("ses").verify_domain_identity(Domain=_parameter("MailDomain", parameters))
    boto3.client("ssm").put_parameter(
        Name=_parameter("NotifySecretParameter", parameters),
        Value=os.environ.get("FLATTR_NOTIFY_SECRET", NOTIFY_SECRET),
        Type="SecureString",
        Overwrite=True,
    )


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def mailbox(to: str) -> list[dict]:
    """What SES was asked to send to `to`, newest first."""
    from moto.ses.models import ses_backends

    wanted = parseaddr(to)[1].lower()
    out = []
    for sent in ses_backends[runtime.ACCOUNT_ID][runtime.REGION].sent_messages:
        raw = getattr(sent, "raw_data", None)
        if raw is None:
            continue
        message = email.message_from_string(raw, policy=email.policy.default)
        if wanted not in {parseaddr(d)[1].lower() for d in sent.destinations}:
            continue
        sent_at = parsedate_to_datetime(message["Date"]).isoformat() if message["Date"] else None
        out.append(
            {
                "to": wanted,
                "subject": str(message["Subject"]),
                "text": _text(message),
                "sent_at": sent_at,
                "headers": {k: str(v) for k, v in message.items() if k.lower().startswith("list-")},
            }
        )
    return list(reversed(out))


def handle(request: Request) -> Response:
    """GET /_local/mail?to=<address>"""

    def answer(body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")

    if request.method != "GET":
        return answer({"error": {"code": "method_not_allowed", "message": "/_local/mail takes GET."}}, 405)
    to = request.args.get("to", "")
    if "@" not in to:
        return answer(
            {"error": {"code": "invalid_request", "message": "'to' must be an email address."}}, 400
        )
    return answer(mailbox(to))
