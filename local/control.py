"""The local stack's control plane, under /_local/: tokens, the business clock, deposits, the SQS
drain, the audit, the mailbox and the local Stripe. None of it exists on AWS."""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from local import mail as local_mail
from local import runtime, stripe_local
from local.authorizer import make_token
from local.events import error, json_response

if TYPE_CHECKING:
    from local.poller import Poller

log = logging.getLogger("local.control")


def webhook_secret() -> str:
    return os.environ.get("FLATTR_WEBHOOK_SECRET", "local-webhook-secret")


def signed_webhook(payload: dict, secret: str | None = None, timestamp: int | None = None) -> Request:
    """A POST /webhooks/payments request signed the way the payment provider signs."""
    raw = json.dumps(payload).encode("utf-8")
    runtime.ensure_paths()
    from flattr.domain.webhooks import sign  # the provider signs exactly as the handler verifies

    t = int(time.time()) if timestamp is None else timestamp  # the real clock, as the provider's
    return EnvironBuilder(
        path="/webhooks/payments",
        method="POST",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "Flattr-Signature": sign(secret or webhook_secret(), t, raw),
        },
    ).get_request()


class BadInput(ValueError):
    """A /_local request refused with 400."""


class ControlPlane:
    def __init__(self, dispatch: Callable[[Request], Response], poller: Poller | None) -> None:
        self.dispatch = dispatch  # the gateway's: a deposit goes through the API like the provider's
        self.poller = poller

    def handle(self, request: Request) -> Response:
        if request.path == "/_local/mail":
            return local_mail.handle(request)  # the mailbox moto's SES records
        actions: dict[str, Callable[[dict], Response]] = {
            "token": self._token,
            "clock": self._clock,
            "deposit": self._deposit,
            "drain": self._drain,
            "audit": self._audit,
            "stripe": lambda body: json_response(stripe_local.client_config()),
            "stripe-pay": lambda body: json_response(stripe_local.confirm_card(body)),
        }
        action = actions.get(request.path.removeprefix("/_local/"))
        if action is None:
            return error(404, "not_found", f"There is no local route {request.path}.")
        if request.method != "POST":
            return error(405, "method_not_allowed", f"{request.path} takes POST.", {"Allow": "POST"})
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return error(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return error(400, "invalid_request", "The request body must be a JSON object.")
        try:
            return action(body)
        except BadInput as exc:
            return error(400, "invalid_request", str(exc))
        except Exception as exc:
            log.exception("local route %s failed", request.path)
            return error(500, "internal_error", f"{request.path} raised {type(exc).__name__}: {exc}")

    def _token(self, body: dict) -> Response:
        sub, admin, name = body.get("sub"), body.get("admin", False), body.get("name")
        if not isinstance(sub, str) or not sub:
            raise BadInput("'sub' must be a non-empty string.")
        if not isinstance(admin, bool):
            raise BadInput("'admin' must be true or false.")
        if name is not None and not isinstance(name, str):
            raise BadInput("'name' must be a string.")
        return json_response({"token": make_token(sub, admin=admin, name=name)})

    def _clock(self, body: dict) -> Response:
        if "now" not in body:
            raise BadInput("'now' is required: an ISO-8601 time, or null for the real clock.")
        when = None
        if body["now"] is not None:
            try:
                when = datetime.fromisoformat(str(body["now"]))
            except ValueError:
                raise BadInput("'now' must be an ISO-8601 time or null.") from None
        runtime.ensure_paths()
        clock = importlib.import_module("flattr.clock")  # the handlers' module, so they see the change
        clock.set_override(when)
        return json_response({"now": clock.now().isoformat()})

    def _deposit(self, body: dict) -> Response:
        if body.get("user_id") is None or body.get("amount") is None:
            raise BadInput("'user_id' and 'amount' are required.")
        event_id = body.get("event_id") or f"evt_{secrets.token_hex(12)}"
        if stripe_local.enabled():  # make run: the deposit goes through localstripe
            return self._stripe_deposit(body, event_id)
        currency = body.get("currency") or os.environ.get("FLATTR_CURRENCY", "EUR")
        payload = {
            "id": event_id,
            "type": "deposit.succeeded",
            "data": {"user_id": body["user_id"], "amount": body["amount"], "currency": currency},
        }
        request = signed_webhook(payload)
        response = self.dispatch(request)
        try:
            answer = json.loads(response.get_data())
        except ValueError:
            answer = response.get_data(as_text=True)
        out: dict[str, Any] = {"event_id": event_id, "status": response.status_code, "body": answer}
        if isinstance(answer, dict) and "error" in answer:
            out["error"] = answer["error"]  # keep the project's error shape on failures
        return json_response(out, response.status_code)

    def _stripe_deposit(self, body: dict, event_id: str) -> Response:
        user_id, amount = body["user_id"], body["amount"]
        if (
            not isinstance(user_id, str)
            or not user_id
            or isinstance(amount, bool)
            or not isinstance(amount, int)
            or not 0 < amount <= 10_000_000
        ):
            raise BadInput("'user_id' is a non-empty string and 'amount' whole cents from 1 to 10000000.")
        paid = stripe_local.sandbox_deposit(user_id, amount, str(event_id))
        status = 200 if paid["status"] in ("processed", "duplicate") else 502
        return json_response(
            {
                "event_id": event_id,
                "status": status,
                "payment_intent": paid["payment_intent"],
                "body": {"status": paid["status"]},
            },
            status,
        )

    def _drain(self, body: dict) -> Response:
        if self.poller is None:
            return error(503, "no_poller", "This gateway runs without an SQS poller.")
        return json_response(self.poller.drain())

    def _audit(self, body: dict) -> Response:
        runtime.ensure_paths()
        audit = importlib.import_module("flattr.store.audit")
        violations = [{"invariant": v.invariant, "detail": v.detail} for v in audit.run_audit()]
        return json_response({"violations": violations, "ok": not violations})
