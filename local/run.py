"""`make run`: the whole system on one machine, no AWS account and no Docker.

A moto server holds the resources created from infra/template.yaml; the gateway plays API Gateway
and its JWT authorizer, the poller plays the SQS event source mapping, and both call the handlers
in this process. `start()` does it all and returns a handle, so tests can embed the stack too.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local import runtime, stack

log = logging.getLogger("local.run")
access_log = logging.getLogger("local.access")

LAMBDA_FUNCTION_NAME = "flattr-local"  # Powertools idempotency keys start with it: keep it stable


class _AccessLog(WSGIRequestHandler):
    """The gateway's access log on its own logger, so moto's (on "werkzeug") can be silenced."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        access_log.info('"%s" %s %s', self.requestline, code, size)


def _fake_aws() -> None:
    # Whatever the shell has, never let this reach a real account.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=runtime.REGION,
        AWS_REGION=runtime.REGION,
    )


@dataclass
class Handle:
    url: str
    moto_url: str
    stack: stack.Stack
    poller: Any  # local.poller.Poller
    _server: BaseWSGIServer
    _moto: Any  # moto.server.ThreadedMotoServer
    stripe_url: str = ""
    _stripe: subprocess.Popen | None = None
    _ticker: Any = None  # local.schedules.Ticker

    def stop(self) -> None:
        self._server.shutdown()
        self.poller.stop()
        if self._ticker:
            self._ticker.stop()
        self._moto.stop()
        if self._stripe is not None:
            self._stripe.terminate()
            self._stripe.wait(timeout=10)


def start(port: int = 3000, stripe_port: int | None = None) -> Handle:
    """Bring the stack up and serve the gateway on 127.0.0.1:port (0 picks a free one), with
    localstripe on 127.0.0.1:stripe_port (None: no local Stripe; the sandbox deposit then uses the
    generic signed webhook)."""
    _fake_aws()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log is noise
    logging.getLogger("moto").setLevel(logging.ERROR)  # "No Moto CloudFormation support for ..." alarms
    for chatty in ("botocore", "pynamodb"):  # "Found credentials/endpoint ..." on every new client
        logging.getLogger(chatty).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)

    from moto.server import ThreadedMotoServer

    from local import moto_safety

    moto_safety.apply()

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, moto_port = moto.get_host_and_port()
    # Before any boto3 or pynamodb client exists: every client follows it.
    os.environ["AWS_ENDPOINT_URL"] = moto_url = f"http://{host}:{moto_port}"

    deployed = stack.deploy()
    import boto3

    boto3.client("ssm").put_parameter(
        Name=deployed.environment["FLATTR_WEBHOOK_SECRET_PARAMETER"],
        Value=os.environ.get("FLATTR_WEBHOOK_SECRET", "local-webhook-secret"),
        Type="SecureString",
        Overwrite=True,
    )
    # One process hosts every function, so it gets the union of their environments.
    os.environ.update({k: str(v) for k, v in deployed.environment.items()})
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = LAMBDA_FUNCTION_NAME
    runtime.ensure_paths()

    from local.gateway import Gateway
    from local.poller import Poller
    from local.schedules import Ticker

    poller = Poller()
    poller.start()
    ticker = Ticker()  # the template's rate(...) schedules: the fold of things' listed counts
    ticker.start()
    server = make_server("127.0.0.1", port, Gateway(poller=poller), threaded=True, request_handler=_AccessLog)
    url = f"http://127.0.0.1:{server.server_port}"
    # The template's ApiBaseUrl: links and Location headers name this server, whatever Host a client sends.
    os.environ["FLATTR_API_URL"] = url
    from flattr import settings

    settings.get.cache_clear()
    handle = Handle(
        url=url, moto_url=moto_url, stack=deployed, poller=poller, _server=server, _moto=moto, _ticker=ticker
    )
    if stripe_port is None:
        os.environ["FLATTR_PAYOUT_PROVIDER"] = "webhook"  # no Stripe: payouts wait for the generic webhook
    else:  # before the gateway answers: its first request may be a deposit
        from local import stripe_local

        handle._stripe, handle.stripe_url = stripe_local.start(stripe_port)
        stripe_local.configure(handle.stripe_url, url, deployed.environment)
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
    return handle


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handle = start(int(os.environ.get("PORT", "3000")), int(os.environ.get("STRIPE_PORT", "8420")))
    url = handle.url
    port = url.rsplit(":", 1)[1]
    audit = "make audit" if port == "3000" else f"make audit PORT={port}"
    print(
        f"""
Flattr local stack: {url}   (moto at {handle.moto_url})
Stripe sandbox:     {handle.stripe_url}   (localstripe; key sk_test_local, webhook secret whsec_local,
                    events to {url}/webhooks/stripe; test card 4242 4242 4242 4242)

  the web app     {url}/            (sign in with any user name)
  developer panel {url}/_local/     (sandbox deposits, the clock, month close, tokens, audit)
  health          curl {url}/health
  a token         curl -s -X POST {url}/_local/token -d '{{"sub": "alice"}}'
  fund a user     curl -s -X POST {url}/_local/deposit -d '{{"user_id": "alice", "amount": 1000}}'   (via Stripe)
  run the queue   curl -s -X POST {url}/_local/drain
  Flattr API v2   curl -s '{url}/rest/v2/things/search?query=blog'   (v2 clients: base URL {url})
  check the books {audit}

Ctrl-C stops it; all state lives in memory.
""",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def in_subprocess(log_path: Path, startup_timeout: float = 60.0) -> Iterator[str]:
    """`python -m local.run` as its own process on a free port, as `make run` starts it: yields the
    base URL once /health answers, and stops it afterwards. Output goes to `log_path` (a file, not
    a pipe, which could fill and block the server). Raises RuntimeError if it does not come up."""
    port, stripe_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "STRIPE_PORT": str(stripe_port), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "local.run"], cwd=stack.ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"local.run exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            try:
                requests.get(f"{url}/health", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # bound, but not serving yet
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"local.run did not answer within {startup_timeout:.0f} s:\n"
                        f"{log_path.read_text()[-4000:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
