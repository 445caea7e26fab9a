"""What `make package` builds for the bucket, with the config `make deploy` writes: no local-only URL
anywhere, a config naming the stack's API, Cognito domain and app client, and a front page that works
when served from its own origin (as CloudFront serves it) against the API, with sign-in through the
authorization-code flow (the local stack's stand-in for Cognito's hosted UI)."""

from __future__ import annotations

import functools
import json
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local import package, publish
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

COGNITO = "https://flattr-7d1c.auth.eu-west-1.amazoncognito.com"


def test_the_config_names_the_stacks_api_cognito_domain_and_client():
    config = publish.app_config(
        {
            "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com",
            "WidgetUrl": "https://d111.cloudfront.net",
            "SignInUrl": f"{COGNITO}/login?client_id=5kq0client&response_type=code&scope=openid+email+profile"
            "&redirect_uri=https://d111.cloudfront.net/signin.html",
        }
    )
    assert config["api"] == "https://abc123.execute-api.eu-west-1.amazonaws.com"
    assert config["auth"] == {
        "authorize": f"{COGNITO}/oauth2/authorize",
        "token": f"{COGNITO}/oauth2/token",
        "logout": f"{COGNITO}/logout",
        "client_id": "5kq0client",
        "scope": "openid email profile",
    }
    assert "dev_panel" not in config


@pytest.fixture
def cdn(tmp_path, monkeypatch):
    """The built files, served from their own origin (localhost, while the stack is 127.0.0.1)."""
    monkeypatch.setattr(package, "BUILD", tmp_path)
    package.build_static()  # what `make package` puts in build/static/
    static = tmp_path / "static"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(static))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield static, f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_package_build_has_a_working_front_page(cdn, app, stack_url):
    static, origin = cdn
    publish.write_config(
        static,
        {
            "ApiUrl": stack_url,
            "WidgetUrl": origin,
            "SignInUrl": f"{stack_url}/login?client_id=flattr-local&response_type=code&redirect_uri={origin}/signin.html",
            "WidgetBucketName": "unused",
        },
    )
    built = [p for p in static.rglob("*") if p.is_file()]
    assert {
        "index.html",
        "config.json",
        "signin.html",
        "vendor/chart.umd.min.js",
        "vendor/chart.js.LICENSE.md",
    } <= {p.relative_to(static).as_posix() for p in built}
    for path in built:
        assert b"/_local" not in path.read_bytes(), f"{path.name} names a local-only URL"
    config = json.loads((static / "config.json").read_text())
    assert config["api"] == stack_url
    assert config["auth"]["authorize"] == f"{stack_url}/oauth2/authorize"
    assert config["auth"]["client_id"] == "flattr-local"

    user = f"deployed-{uuid.uuid4().hex[:6]}"
    page = app()
    page.goto(f"{origin}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My month")
    expect(page.get_by_role("link", name="Developer panel")).to_have_count(0)
    sign_in(page, stack_url, user)
    assert page.url.startswith(origin)
    page.get_by_label("Monthly budget (€)").fill("3.00")
    page.get_by_role("button", name="Set budget").click()
    expect(page.locator("#budget-now")).to_have_text("€3.00")
    expect(page.locator("#top-up")).to_contain_text("Topping up is not available on this site yet.")
    assert_accessible(page)
    assert page.js_errors == []
