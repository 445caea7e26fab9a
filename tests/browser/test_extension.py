"""The Överallt extension, built by `make extension`'s script and loaded into Debian's Chromium: text tags
on a foreign page (another origin than the API, no script of ours) become buttons with their counts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from tests.browser.conftest import ROOT, build, sign_in_storage

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

SCREENSHOT = ROOT / "docs" / "overallt.png"


def test_a_foreign_page_tag_becomes_a_button_with_its_count(
    api, site, make_user, make_thing, ext_page, stack_url
):
    owner, fan = make_user("owner"), make_user("fan")
    thing = make_thing(owner, title="A forum post")
    assert api.post(f"/things/{thing}/flattr", token=fan.token).status_code == 201
    ext_page.goto(site.page(f'<p id="post">Nice work! [Flattr={thing}] See you.</p>', widget=False))
    assert ext_page.evaluate("location.origin") != stack_url
    assert ext_page.locator("script").count() == 0  # nothing of ours on the page

    post = ext_page.locator("#post")
    button = post.get_by_role("button")
    expect(button).to_have_accessible_name(re.compile(r"^Flattr .A forum post., 1 flattr$"))
    expect(post.locator(".flattr-w-n")).to_have_text("1")
    expect(post).to_have_text(re.compile(r"^Nice work! Flattr1\s*See you\.$"))


def test_a_comment_added_after_load_gets_its_button(site, make_user, make_thing, ext_page):
    thing = make_thing(make_user("owner"))
    late = (
        "<script>setTimeout(() => { const p = document.createElement('p'); p.id = 'late';"
        f" p.append('Great post [Fla', 'ttr={thing}] thanks');"
        " document.getElementById('comments').append(p); }, 300);"
        "</script>"
    )
    ext_page.goto(site.page(f'<div id="comments"></div>{late}', widget=False))
    expect(ext_page.locator("#late").get_by_role("button")).to_have_count(1)
    expect(ext_page.locator("#late .flattr-w-n")).to_have_text("0")
    expect(ext_page.locator("#late")).not_to_contain_text("[Fla")
    # Text edited in place later counts as well.
    ext_page.evaluate(
        f"document.getElementById('comments').append(document.createTextNode(' and [Flattr={thing}]'))"
    )
    expect(ext_page.locator("#comments > .flattr-w")).to_have_count(1)


def test_code_pre_textarea_and_editable_text_are_left_alone(site, make_user, make_thing, ext_page):
    thing = make_thing(make_user("owner"))
    tag = f"[Flattr={thing}]"
    body = (
        f"<p>Write <code id='code'>{tag}</code> in your comment.</p><pre id='pre'>{tag}</pre>"
        f"<textarea id='draft'>{tag}</textarea><div id='edit' contenteditable>{tag}</div>"
        f"<p id='real'>{tag}</p>"
    )
    ext_page.goto(site.page(body, widget=False))
    expect(ext_page.locator("#real").get_by_role("button")).to_have_count(1)
    expect(ext_page.locator("#code")).to_have_text(tag)
    expect(ext_page.locator("#pre")).to_have_text(tag)
    expect(ext_page.locator("#draft")).to_have_value(tag)
    expect(ext_page.locator("#edit")).to_have_text(tag)
    ext_page.locator("#edit").press_sequentially(" more")  # typing in an editor never makes a button
    ext_page.wait_for_timeout(200)
    assert ext_page.locator(".flattr-w").count() == 1


def test_a_page_running_the_widget_gets_one_button_per_tag(site, make_user, make_thing, ext_page):
    owner = make_user("owner")
    first, second = make_thing(owner), make_thing(owner)
    body = (
        f"<p id='a'>[Flattr={first}] and [Flattr={second}]</p>"
        f"<div class='flattr-button' data-thing-id='{first}'></div>"
        f"<div id='later'></div>"
    )
    ext_page.goto(site.page(body))  # the widget, async, racing the extension
    ext_page.wait_for_function("window.FlattrWidget !== undefined")
    expect(ext_page.locator("#a").get_by_role("button")).to_have_count(2)
    ext_page.evaluate(
        "(id) => { const p = document.createElement('p'); p.textContent = `[Flattr=${id}]`;"
        " document.getElementById('later').append(p); window.FlattrWidget.scan(p); }",
        second,
    )
    expect(ext_page.locator("#later").get_by_role("button")).to_have_count(1)
    # The page is the widget's: what it adds without FlattrWidget.scan stays text, as without the extension.
    ext_page.evaluate(
        "(id) => { const p = document.createElement('p'); p.id = 'unscanned';"
        " p.textContent = `[Flattr=${id}]`; document.body.append(p); }",
        first,
    )
    ext_page.wait_for_timeout(300)  # anything late from either side would show up by now
    expect(ext_page.locator("#unscanned")).to_have_text(f"[Flattr={first}]")
    assert ext_page.locator("button.flattr-w-b").count() == 4  # three tags, one div
    assert ext_page.locator(".flattr-w .flattr-w").count() == 0


def test_a_click_opens_our_flattr_window_and_counts_one_flattr(
    api, site, make_user, make_thing, extension, ext_page, stack_url
):
    owner, reader = make_user("owner"), make_user("reader")
    thing = make_thing(owner, title="Worth a flattr")  # its URL is on the foreign site: no question asked
    sign_in_storage(extension[0], stack_url, reader)
    ext_page.goto(site.page(f"<p id='post'>[Flattr={thing}]</p>", widget=False))
    post = ext_page.locator("#post")
    expect(post.locator(".flattr-w-n")).to_have_text("0")
    with ext_page.expect_popup() as info:
        post.get_by_role("button").click()
    popup = info.value
    assert popup.url.startswith(f"{stack_url}/flattr.html?thing={thing}&origin=")
    expect(post.get_by_role("status")).to_have_text("Thanks! You flattred this.")
    expect(post.locator(".flattr-w-n")).to_have_text("1")
    expect(post.get_by_role("button")).to_have_accessible_name(
        re.compile(r"^Flattred .Worth a flattr., 1 flattr$")
    )
    popup.wait_for_event("close")
    assert api.get(f"/things/{thing}").json()["flattrs"] == 1
    assert api.get(f"/things/{thing}", token=reader.token).json()["flattred"] is True
    # The page itself never saw the token.
    assert ext_page.evaluate("JSON.stringify({...localStorage})") == "{}"


def test_the_page_cannot_click_the_button_for_the_reader(api, site, make_user, make_thing, ext_page):
    thing = make_thing(make_user("owner"))
    ext_page.goto(site.page(f"<p id='post'>[Flattr={thing}]</p>", widget=False))
    button = ext_page.locator("#post").get_by_role("button")
    expect(ext_page.locator("#post .flattr-w-n")).to_have_text("0")
    opened = []
    listener = lambda page: opened.append(page)  # noqa: E731
    ext_page.context.on("page", listener)
    button.evaluate("b => b.click()")  # a script's click, not the reader's
    ext_page.wait_for_timeout(500)
    ext_page.context.remove_listener("page", listener)
    assert opened == []
    expect(ext_page.locator("#post").get_by_role("status")).to_have_text("")


def test_an_unknown_id_is_shown_as_unavailable(site, ext_page):
    ext_page.goto(site.page("<p id='post'>[Flattr=4503599627370497]</p>", widget=False))
    button = ext_page.locator("#post").get_by_role("button")
    expect(button).to_be_disabled()
    expect(ext_page.locator("#post").get_by_role("status")).to_have_text("This thing isn't on Flattr.")


def test_screenshot_of_a_foreign_forum(api, site, make_user, make_thing, ext_page):
    """docs/overallt.png, shown in the README: a forum that knows nothing of Flattr, with the extension on."""
    owner, fans = make_user("owner"), [make_user("fan") for _ in range(3)]
    song, patch = make_thing(owner, title="A song"), make_thing(owner, title="A patch")
    for fan in fans:
        api.post(f"/things/{song}/flattr", token=fan.token)
    api.post(f"/things/{patch}/flattr", token=fans[0].token)
    style = (
        "<style>body{font:16px/1.5 Georgia,serif;max-width:36em;margin:1.5em auto;color:#222}"
        ".c{border-top:1px solid #ccc;padding:.5em 0}.who{font-weight:bold}"
        "code{background:#eee;padding:0 .2em}</style>"
    )
    body = (
        "<h2>Forum: show us what you made</h2>"
        "<div class='c'><div class='who'>mira</div>"
        f"I recorded a song this week. If you like it: [Flattr={song}]</div>"
        "<div class='c'><div class='who'>jonas</div>"
        f"Fixed the parser bug, patch attached [Flattr={patch}]</div>"
        "<div class='c'><div class='who'>ada</div>"
        "Tip: write <code>[Flattr=id]</code> in a comment and readers with the extension get a button.</div>"
    )
    ext_page.set_viewport_size({"width": 720, "height": 360})
    ext_page.goto(site.page(style + body, widget=False))
    expect(ext_page.locator(".flattr-w-n").nth(0)).to_have_text("3")
    expect(ext_page.locator(".flattr-w-n").nth(1)).to_have_text("1")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    ext_page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 5000


def test_make_extension_writes_the_unpacked_extension_and_a_zip(tmp_path):
    out = build.build_extension("https://api.flattr.example/", tmp_path / "extension")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert len(manifest["description"]) <= 132  # Chrome's limit
    assert "leave your browser" in manifest["description"]
    # The fewest permissions: no host access until the user asks for it, no tabs, no cookies.
    assert sorted(manifest["permissions"]) == ["activeTab", "scripting", "storage"]
    assert "host_permissions" not in manifest and "content_scripts" not in manifest
    assert manifest["optional_host_permissions"] == ["http://*/*", "https://*/*"]
    config = (out / "config.js").read_text()
    assert (
        '"api": "https://api.flattr.example"' in config and '"site": "https://api.flattr.example"' in config
    )
    for name in [
        *manifest["background"]["scripts"],
        "content.js",
        "popup.html",
        "options.html",
        *manifest["icons"].values(),
    ]:
        assert (out / name).is_file(), name
    with zipfile.ZipFile(out.with_suffix(".zip")) as zf:
        assert "manifest.json" in zf.namelist() and "content.js" in zf.namelist()
    # One source: the content script carries the widget's own tag and button code.
    core = build.compact(build.CORE.read_text())
    assert core in (out / "content.js").read_text() and core in build.WIDGET.read_text()


def test_the_served_widget_is_built_from_its_parts():
    widget = build.WIDGET.read_text()
    assert widget == build.widget_js(), "run `python extension/build.py widget`"
    # `make deploy` (local/publish.py) points the deployed widget at the API by rewriting this expression.
    assert widget.count('me.getAttribute("data-api") || SITE') == 1


def test_firefox_web_ext_lint_finds_no_errors(tmp_path):
    """Mozilla's linter, when installed (`make extension-lint` installs it; Node is not needed otherwise)."""
    web_ext = os.environ.get("FLATTR_WEB_EXT") or shutil.which("web-ext")
    local = ROOT / "build" / "web-ext" / "node_modules" / ".bin" / "web-ext"
    web_ext = web_ext or (str(local) if local.exists() else None)
    if not web_ext:
        pytest.skip("web-ext is not installed: `make extension-lint` installs it (needs npm)")
    out = build.build_extension("https://api.flattr.example", tmp_path / "extension")
    run = subprocess.run(
        [web_ext, "lint", "--source-dir", str(out), "--no-input", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout[run.stdout.index("{") :])
    assert report["summary"]["errors"] == 0, report["errors"]
    # One warning is by design: the one manifest names a service worker for Chromium, scripts for Firefox.
    assert [w["code"] for w in report["warnings"]] == ["BACKGROUND_SERVICE_WORKER_IGNORED"], report[
        "warnings"
    ]
