"""Headless Chromium (Debian's, never a downloaded one) against the local stack, plus a second HTTP
server on another origin that plays the site embedding the widget.

The stack is this directory's own (`local_stack` from tests/e2e, instantiated here): these tests move
the business clock and close months, which must not leak into the other end-to-end tests.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import Api, local_stack  # noqa: F401  (a fixture: re-exported to register it)

CHROMIUM = os.environ.get("FLATTR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


def _loud_skip(config: pytest.Config, reason: str) -> None:
    banner = f"\n{'!' * 78}\n!! BROWSER TESTS SKIPPED: {reason}\n{'!' * 78}"
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # past pytest's capture, so CI logs show it
        print(banner, file=sys.stderr, flush=True)
    warnings.warn(f"browser tests skipped: {reason}", pytest.PytestWarning, stacklevel=2)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright(pytestconfig: pytest.Config) -> Iterator:
    """Playwright, once per session. Skips, loudly, when Debian's chromium or playwright is missing."""
    if not os.path.exists(CHROMIUM):
        _loud_skip(
            pytestconfig,
            f"{CHROMIUM} is missing. Install Debian's package: `apt-get install -y chromium` "
            "(.ci/run does). Never `playwright install`.",
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _loud_skip(pytestconfig, "the playwright package is not installed: `pip install '.[dev]'`.")
    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator:
    """One Chromium for the session."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def api(local_stack: str) -> Api:  # noqa: F811
    return Api(local_stack)


@pytest.fixture
def stack_url(local_stack: str) -> str:  # noqa: F811
    return local_stack


# ---------------------------------------------------------------- the web app


FAILURE_SHOTS = Path(__file__).resolve().parents[2] / "build" / "browser-failures"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed  # for the screenshots below
    return report


@pytest.fixture
def app(browser, local_stack: str, request: pytest.FixtureRequest) -> Iterator[Callable]:  # noqa: F811
    """`app()`: a page in a fresh, signed-out browser profile. Every page such a test opens is
    photographed into build/browser-failures/ if the test fails."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # a loaded machine runs the whole suite at once
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    if getattr(request.node, "call_failed", False):
        FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=FAILURE_SHOTS / f"{request.node.name}-{i}-{j}.png", full_page=True)
                except Exception:  # a closed page: nothing to show
                    pass
    for context in contexts:
        context.close()


def assert_accessible(page) -> None:
    """axe-core finds no violation of any rule it runs by default (WCAG 2.x A and AA, best practices)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def sign_in(page, stack_url: str, user: str) -> None:
    """Through the app's "Sign in" and the sign-in form (the local gateway's, Cognito's on AWS)."""
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("User name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user}").wait_for()


# ---------------------------------------------------------------- the embedding site


class _Site(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, bytes]


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def do_GET(self) -> None:  # noqa: N802
        body = self.server.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class EmbeddingSite:
    """Another site: http://localhost:<port> while the stack is http://127.0.0.1:<port>, so it is
    both cross-origin and cross-site, as a real blog embedding the button would be."""

    origin: str
    stack_url: str
    _server: _Site

    def page(self, body: str, head: str = "", widget: bool = True) -> str:
        """Serve a page that embeds the widget the documented way (or not), with `body`; returns its URL."""
        path = f"/post-{uuid.uuid4().hex[:10]}.html"
        script = f'<script src="{self.stack_url}/widget.js" async></script>' if widget else ""
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A blog post</title>'
            f"{head}{script}</head>"
            f"<body><h1>A blog post</h1>{body}</body></html>"
        )
        self._server.pages[path] = html.encode("utf-8")
        return self.origin + path


@pytest.fixture(scope="session")
def site(local_stack: str) -> Iterator[EmbeddingSite]:  # noqa: F811
    server = _Site(("127.0.0.1", 0), _Handler)
    server.pages = {}
    thread = threading.Thread(target=server.serve_forever, name="embedding-site", daemon=True)
    thread.start()
    try:
        yield EmbeddingSite(f"http://localhost:{server.server_address[1]}", local_stack, server)
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- readers and things


@dataclass
class User:
    id: str
    token: str


@pytest.fixture
def make_user(api: Api) -> Callable[..., User]:
    """A fresh user. `funded` gives them an account, a budget and money, so they give (and may receive)."""

    def make(prefix: str = "user", funded: bool = True, account: bool = True) -> User:
        user_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
        token = api.token(user_id)
        if account:
            body = {"display_name": prefix.title(), "monthly_budget": 500}
            assert api.put("/me", token=token, json=body).status_code == 200
        if funded:
            response = api.post("/_local/deposit", json={"user_id": user_id, "amount": 1000})
            assert response.status_code == 200, response.text
        return User(user_id, token)

    return make


@pytest.fixture
def make_thing(api: Api, site: EmbeddingSite) -> Callable[..., int]:
    """Register a thing owned by `owner`; by default its URL is on the embedding site."""

    def make(owner: User, url: str | None = None, title: str = "A post worth a flattr") -> int:
        url = url or f"{site.origin}/things/{uuid.uuid4().hex[:10]}"
        response = api.post("/things", token=owner.token, json={"url": url, "title": title})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return make


@pytest.fixture
def reader_context(browser, local_stack: str) -> Callable:  # noqa: F811
    """`reader_context(user)`: a fresh browser profile whose localStorage on OUR origin holds the
    user's token (None: signed out), as the demo page's sign-in leaves it."""
    contexts = []

    def make(user: User | None):
        origins = []
        if user is not None:
            storage = [
                {"name": "flattr.token", "value": user.token},
                {"name": "flattr.user", "value": user.id},
            ]
            origins.append({"origin": local_stack, "localStorage": storage})
        context = browser.new_context(storage_state={"cookies": [], "origins": origins})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# ---------------------------------------------------------------- the Överallt extension

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "overallt.png"


def _build_module():
    spec = importlib.util.spec_from_file_location("extension_build", ROOT / "extension" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


@pytest.fixture(scope="session")
def extension(playwright, local_stack: str, tmp_path_factory):  # noqa: F811
    """A persistent Chromium profile with the extension loaded, switched on everywhere from its options
    page. Host access is granted at install in this build: headless Chromium cannot answer the prompt."""
    out = build.build_extension(local_stack, tmp_path_factory.mktemp("ext") / "extension", grant_hosts=True)
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")),
        executable_path=CHROMIUM,
        headless=True,
        args=[a for a in CHROMIUM_ARGS if not a.startswith("--headless")]
        + [f"--disable-extensions-except={out}", f"--load-extension={out}"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect = importlib.import_module("playwright.sync_api").expect
    try:
        workers = context.service_workers
        worker = workers[0] if workers else context.wait_for_event("serviceworker")
        ext_id = worker.url.split("/")[2]
        options = context.new_page()
        options.goto(f"chrome-extension://{ext_id}/options.html")
        expect(options.get_by_label("The Flattr API's URL")).to_have_value(local_stack)
        options.get_by_label(re.compile("on every site")).check()
        options.wait_for_function(
            "chrome.scripting.getRegisteredContentScripts().then(s => s.length === 1)", polling=100
        )
        options.close()
        yield context, ext_id
    finally:
        context.close()


@pytest.fixture
def ext_page(extension):
    context = extension[0]
    page = context.new_page()
    yield page
    page.close()


def sign_in_storage(context, stack_url: str, user) -> None:
    """Leave the reader's token in OUR origin's storage, as signing in there does."""
    page = context.new_page()
    page.goto(f"{stack_url}/flattr.html")
    page.evaluate(
        "([t, u]) => { localStorage.setItem('flattr.token', t); localStorage.setItem('flattr.user', u); }",
        [user.token, user.id],
    )
    page.close()


def in_extension(extension, js: str, arg=None):
    """Evaluate `js` in a page of the extension (its service worker may be asleep: MV3 stops it when idle)."""
    context, ext_id = extension
    page = context.new_page()
    try:
        page.goto(f"chrome-extension://{ext_id}/options.html")
        return page.evaluate(js, arg)
    finally:
        page.close()


def toolbar(extension, page):
    """The toolbar popup, opened as a page about `page`'s tab (a test cannot click the toolbar)."""
    context, ext_id = extension
    tab_id = in_extension(extension, "(u) => chrome.tabs.query({url: u}).then(t => t[0].id)", page.url)
    popup = context.new_page()
    popup.goto(f"chrome-extension://{ext_id}/popup.html#tab={tab_id}")
    return popup, tab_id
