"""A token's claims reach a handler as the HTTP API's JWT authorizer passes them: every claim a string.
One rule (flattr.claims) serves the local authorizer and v2's own token check, so they cannot differ."""

from __future__ import annotations

from flattr import claims
from werkzeug.test import EnvironBuilder

from local.events import build_event

VERIFIED = {"sub": "ada", "email_verified": True, "admin": False, "cognito:groups": ["admin", "x"], "n": 3}
AS_PASSED = {
    "sub": "ada",
    "email_verified": "true",
    "admin": "false",
    "cognito:groups": "[admin x]",
    "n": "3",
}


def test_claims_become_the_authorizers_strings():
    assert claims.stringify(VERIFIED) == AS_PASSED
    assert claims.groups(AS_PASSED["cognito:groups"]) == ["admin", "x"]
    assert claims.groups(["admin"]) == ["admin"]


def test_the_local_authorizer_and_v2s_gate_pass_the_same_claims():
    import rest_v2_handler

    request = EnvironBuilder(path="/rest/v2/user").get_request()
    local = claims.of_event(build_event(request, "GET /rest/v2/user", {}, VERIFIED))
    v2 = claims.of_event(rest_v2_handler._with_claims({"requestContext": {}}, VERIFIED))
    assert local == v2 == AS_PASSED
