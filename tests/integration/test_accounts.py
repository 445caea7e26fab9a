"""PUT /me and GET /me: a user's account, as the contract describes it."""


def test_a_new_user_sets_a_budget_and_sees_it(api):
    status, me = api.put("/me", {"display_name": "Ada", "monthly_budget": 500}, user="ada")
    assert status == 200
    assert me["user_id"] == "ada"
    assert me["display_name"] == "Ada"
    assert me["monthly_budget"] == 500
    assert me["balances"] == {"funds": 0, "revenue": 0}
    assert me["flattrs_this_month"] == 0
    assert api.me("ada") == me


def test_get_me_before_put_me_is_404(api):
    status, body = api.get("/me", user="nobody")
    assert status == 404
    assert body["error"]["code"] == "user_not_found"


def test_partial_update_keeps_the_other_fields(api):
    api.put("/me", {"display_name": "Ada", "monthly_budget": 500}, user="ada")
    api.put("/me", {"monthly_budget": 800}, user="ada")
    me = api.me("ada")
    assert (me["display_name"], me["monthly_budget"]) == ("Ada", 800)


def test_budget_limits(api):
    for budget in (199, 100_001, 0, -5):
        status, body = api.put("/me", {"monthly_budget": budget}, user="ada")
        assert status == 400, budget
        assert body["error"]["code"] == "invalid_budget"
    assert api.put("/me", {"monthly_budget": 200}, user="ada")[0] == 200
    assert api.put("/me", {"monthly_budget": 100_000}, user="ada")[0] == 200


def test_bad_input_is_a_clear_400_and_changes_nothing(api):
    api.put("/me", {"display_name": "Ada", "monthly_budget": 500}, user="ada")
    cases = [
        {"monthly_budget": "500"},  # a string is not cents
        {"monthly_budget": 5.5},  # nor is a float
        {"monthly_budget": True},
        {"display_name": ""},
        {"unknown": 1},
        [],
    ]
    for body in cases:
        status, err = api.put("/me", body, user="ada")
        assert status == 400, (body, err)
        assert set(err["error"]) == {"code", "message"}
    status, err = api.call("PUT", "/me", raw=b"{not json", user="ada")
    assert (status, err["error"]["code"]) == (400, "invalid_json")
    me = api.me("ada")
    assert (me["display_name"], me["monthly_budget"]) == ("Ada", 500)


def test_me_needs_a_token(api):
    status, body = api.get("/me")
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_unknown_route_gets_the_error_shape(api):
    status, body = api.get("/no/such/route")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_health(api):
    assert api.get("/health") == (200, {"status": "ok"})


def test_a_json_body_sent_as_form_data_is_still_json(api):
    status, me = api.call(
        "PUT",
        "/me",
        raw=b'{"monthly_budget": 500}',
        user="ada",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, me["monthly_budget"]) == (200, 500)


def test_a_body_that_is_not_utf8_is_400(api):
    for method, path in [
        ("PUT", "/me"),
        ("POST", "/things"),
        ("POST", "/me/payouts"),
        ("POST", "/webhooks/payments"),
    ]:
        status, body = api.call(method, path, raw=b"\xff\xfe\x00garbage", user="ada")
        assert 400 <= status < 500, (path, status, body)
