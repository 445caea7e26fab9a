"""The local stack as a real process (`python -m local.run`), driven over HTTP with requests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so `local` imports however pytest was launched
    sys.path.insert(0, str(ROOT))
STARTUP_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a stack started the way `make run` starts it; stopped after the session."""
    from local.run import in_subprocess

    log_path = tmp_path_factory.mktemp("local_stack") / "run.log"
    try:
        with in_subprocess(log_path, STARTUP_TIMEOUT) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


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
