"""What the web app relies on: the local stack's stand-in for Cognito (authorization code + PKCE),
its config, the open month's estimate (equal to what the close then pays), and the QR code's SVG."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

APP = "http://127.0.0.1:3000/signin.html"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize(api, user: str, verifier: str, redirect_uri: str = APP) -> str:
    """The sign-in form, filled in: the code the browser brings back."""
    params = {
        "response_type": "code",
        "client_id": "flattr-local",
        "redirect_uri": redirect_uri,
        "state": "st8",
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
        "scope": "openid",
    }
    form = api.client.get("/oauth2/authorize", query_string=params)
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert '<label for="username">User name</label>' in page and ">Sign in</button>" in page
    back = api.client.post("/oauth2/authorize", data={**params, "username": user})
    assert back.status_code == 302
    target = urlsplit(back.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == redirect_uri
    query = parse_qs(target.query)
    assert query["state"] == ["st8"]
    return query["code"][0]


def token(api, code: str, verifier: str, redirect_uri: str = APP):
    resp = api.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "flattr-local",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    return resp.status_code, json.loads(resp.get_data())


def test_sign_in_with_a_code_and_pkce_gives_a_token_for_that_user(api):
    verifier = secrets.token_urlsafe(48)
    status, body = token(api, authorize(api, "ada", verifier), verifier)
    assert status == 200 and body["token_type"] == "Bearer"
    api.put("/me", {"monthly_budget": 300}, headers={"Authorization": f"Bearer {body['id_token']}"})
    resp = api.client.get("/me", headers={"Authorization": f"Bearer {body['id_token']}"})
    assert json.loads(resp.get_data())["user_id"] == "ada"


@pytest.mark.parametrize("case", ["wrong_verifier", "used_twice", "other_redirect", "no_verifier"])
def test_a_code_is_good_once_and_only_with_its_verifier(api, case):
    verifier = secrets.token_urlsafe(48)
    code = authorize(api, "ada", verifier)
    if case == "used_twice":
        assert token(api, code, verifier)[0] == 200
    args = {
        "wrong_verifier": (code, secrets.token_urlsafe(48)),
        "used_twice": (code, verifier),
        "other_redirect": (code, verifier, "http://127.0.0.1:3000/elsewhere.html"),
        "no_verifier": (code, ""),
    }[case]
    status, body = token(api, *args)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "id_token" not in body


def test_no_sign_in_without_pkce_or_a_user_name(api):
    resp = api.client.get(
        "/oauth2/authorize", query_string={"response_type": "code", "client_id": "x", "redirect_uri": APP}
    )
    assert resp.status_code == 400 and "PKCE is required" in resp.get_data(as_text=True)
    params = {
        "response_type": "code",
        "client_id": "x",
        "redirect_uri": APP,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    resp = api.client.post("/oauth2/authorize", data={**params, "username": "<script>"})
    assert resp.status_code == 400 and "Please type a user name" in resp.get_data(as_text=True)
    assert api.client.post("/oauth2/token", data={"grant_type": "password"}).status_code == 400


def test_the_local_config_names_the_api_sign_in_and_developer_panel(api):
    config = json.loads(api.client.get("/config.json", base_url="http://127.0.0.1:3999").get_data())
    assert config["api"] == "http://127.0.0.1:3999"
    assert config["auth"]["authorize"] == "http://127.0.0.1:3999/oauth2/authorize"
    assert config["auth"]["client_id"] == "flattr-local"
    assert config["dev_panel"] == "http://127.0.0.1:3999/_local/"
    assert api.client.get("/_local/").status_code == 200
    assert (
        api.client.get("/logout", query_string={"logout_uri": "http://127.0.0.1:3999/"}).headers["Location"]
        == "http://127.0.0.1:3999/"
    )


@pytest.mark.parametrize(
    ("budget", "funds", "things"), [(1000, 5000, 3), (1000, 700, 7), (200, 5000, 1), (500, 5000, 0)]
)
def test_what_the_open_month_is_worth_is_what_the_close_pays(api, at, close, budget, funds, things):
    at("2026-10-15T12:00:00")
    api.giver("ada", budget=budget, funds=funds)
    ids = []
    for i in range(things):
        api.giver(f"maker{i}")
        ids.append(api.thing(f"maker{i}"))
        assert api.flattr("ada", ids[-1])[0] == 201
    status, open_month = api.get("/me/statements/2026-10", user="ada")
    assert status == 200 and open_month["settled"] is False
    estimate = open_month["estimate"]
    close("2026-10", now="2026-11-01T00:10:00")
    status, closed = api.get("/me/statements/2026-10", user="ada")
    assert closed["settled"] is True and "estimate" not in closed
    assert estimate == {k: closed[k] for k in ("charged", "fee", "charity")} | {
        "given": [{"thing_id": g["thing_id"], "amount": g["amount"]} for g in closed["given"]]
    }
    assert (
        sum(g["amount"] for g in estimate["given"]) + estimate["fee"] + estimate["charity"]
        == estimate["charged"]
    )


def test_the_qr_code_is_a_standalone_svg(api):
    svg = api.client.get(f"/things/{api.thing('bob')}/qr.svg").get_data(as_text=True)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"  # an <img> of it renders only with the namespace
    assert re.fullmatch(r"\d+", root.get("width")) and int(root.get("width")) > 0
