"""The local stack as a real process (`python -m local.run`), driven over HTTP with requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so `local` imports however pytest was launched
    sys.path.insert(0, str(ROOT))
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a stack started the way `make run` starts it; stopped after the session."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("local_stack") / "run.log"
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(
            [sys.executable, "-m", "local.run"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"local.run exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                requests.get(f"{url}/health", timeout=2)  # any HTTP answer: stubs may still 404
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    tail = log_path.read_text()[-4000:]
                    pytest.fail(f"local.run did not answer within {STARTUP_TIMEOUT:.0f} s:\n{tail}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Api:
    """Thin requests wrapper: `api.get("/me", token=t)`, `api.post("/things", json=..., token=t)`."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def token(self, sub: str, admin: bool = False) -> str:
        response = self.post("/_local/token", json={"sub": sub, "admin": admin})
        response.raise_for_status()
        return response.json()["token"]


@pytest.fixture(scope="session")
def api(local_stack: str) -> Api:
    return Api(local_stack)


@pytest.fixture(scope="session")
def token(api: Api) -> Callable[..., str]:
    """`token("alice")` or `token("root", admin=True)`: a JWT the local authorizer accepts."""
    return api.token
