"""Links and Location headers name the configured base URL, never the Host a client sent."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

FORGED = {"Host": "evil.example", "X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def configured(monkeypatch):
    from flattr import settings

    monkeypatch.setenv("FLATTR_API_URL", "https://api.flattr.test")
    monkeypatch.setenv("FLATTR_PAGES_URL", "https://pages.flattr.test")
    settings.get.cache_clear()
    yield
    settings.get.cache_clear()


def forged_calls(api, thing_id: int) -> list[tuple[str, object, str]]:
    """Every answer that carries a link: (what, status, everything a client could follow)."""
    out = []
    for path in (
        f"/rest/v2/things/{thing_id}",
        "/rest/v2/things/search?query=forged",
        "/rest/v2/users/bob",
        "/rest/v2/users/bob/things",
    ):
        status, body = api.get(path, headers=FORGED)
        out.append((path, status, str(body)))
    resp = api.client.get("/rest/v2/things/lookup?url=https://bob.example/forged", headers=FORGED)
    out.append(("lookup", resp.status_code, resp.headers.get("Location", "") + resp.get_data(as_text=True)))
    query = urlencode({"user_id": "bob", "url": "https://bob.example/auto", "title": "An auto thing"})
    resp = api.client.get(f"/submit/auto?{query}", headers=FORGED)
    out.append(("auto", resp.status_code, resp.headers.get("Location", "")))
    status, body = api.post(
        "/rest/v2/things", {"url": "https://bob.example/forged-2"}, user="bob", headers=FORGED
    )
    out.append(("create", status, str(body)))
    resp = api.client.get(f"/things/{thing_id}/qr.svg", headers=FORGED)
    out.append(("qr", resp.status_code, resp.get_data(as_text=True)))
    return out


def test_a_forged_host_appears_in_no_link(api, configured):
    api.giver("bob")
    thing_id = api.thing("bob", "https://bob.example/forged", title="A forged thing")
    for what, status, text in forged_calls(api, thing_id):
        assert status in (200, 201, 302), (what, status, text)
        assert "evil.example" not in text and "gopher" not in text, (what, text)
    status, thing = api.get(f"/rest/v2/things/{thing_id}", headers=FORGED)
    assert thing["resource"] == f"https://api.flattr.test/rest/v2/things/{thing_id}"
    assert thing["link"] == f"https://pages.flattr.test/thing.html?id={thing_id}"
    assert thing["owner"]["resource"] == "https://api.flattr.test/rest/v2/users/bob"
    resp = api.client.get("/rest/v2/things/lookup?url=https://bob.example/forged", headers=FORGED)
    assert resp.headers["Location"] == f"https://api.flattr.test/rest/v2/things/{thing_id}"


def test_without_configuration_links_name_the_api_not_the_host(api):
    api.giver("bob")
    thing_id = api.thing("bob", "https://bob.example/forged", title="A forged thing")
    for what, status, text in forged_calls(api, thing_id):
        assert "evil.example" not in text and "gopher" not in text, (what, text)
    status, thing = api.get(f"/rest/v2/things/{thing_id}", headers=FORGED)
    assert thing["resource"].startswith("https://") and ".execute-api." in thing["resource"], thing
