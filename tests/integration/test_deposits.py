"""POST /webhooks/payments: signed deposits land exactly once, and nothing else lands at all."""

import time


def deposit_event(event_id="evt_1", user="ada", amount=1500, currency="EUR", **extra):
    return {
        "id": event_id,
        "type": "deposit.succeeded",
        "data": {"user_id": user, "amount": amount, "currency": currency, **extra},
    }


def funds(api, user):
    return api.me(user)["balances"]["funds"]


def test_a_deposit_credits_funds(api):
    api.put("/me", {"monthly_budget": 500}, user="ada")
    assert api.webhook(deposit_event()) == (200, {"status": "processed"})
    assert funds(api, "ada") == 1500


def test_a_redelivered_event_changes_nothing(api):
    api.put("/me", {"monthly_budget": 500}, user="ada")
    assert api.webhook(deposit_event())[1] == {"status": "processed"}
    assert api.webhook(deposit_event()) == (200, {"status": "duplicate"})
    assert funds(api, "ada") == 1500


def test_the_same_id_with_a_different_body_is_refused(api):
    api.webhook(deposit_event(amount=1500))
    status, body = api.webhook(deposit_event(amount=9999))
    assert status == 409
    assert body["error"]["code"] == "event_id_reused"
    assert funds(api, "ada") == 1500


def test_a_deposit_for_an_unknown_user_creates_the_account(api):
    assert api.webhook(deposit_event(user="newcomer", amount=700))[0] == 200
    me = api.me("newcomer")
    assert me["balances"]["funds"] == 700
    assert me["monthly_budget"] == 0


def test_bad_signatures_are_401_and_change_nothing(api):
    api.put("/me", {"monthly_budget": 500}, user="ada")
    cases = [
        dict(secret="wrong-secret"),
        dict(timestamp=int(time.time()) - 900),
        dict(timestamp=int(time.time()) + 900),
        dict(signature=""),
        dict(signature="t=abc,v1=00"),
        dict(signature=f"t={int(time.time())}"),
    ]
    for i, kw in enumerate(cases):
        status, body = api.webhook(deposit_event(event_id=f"evt_bad_{i}"), **kw)
        assert (status, body["error"]["code"]) == (401, "invalid_signature"), kw
    assert funds(api, "ada") == 0


def test_a_tampered_body_is_refused(api):
    from local.control import signed_webhook

    request = signed_webhook(deposit_event(amount=100))
    tampered = request.get_data().replace(b"100", b"900")
    status, body = api.call("POST", "/webhooks/payments", raw=tampered, headers=dict(request.headers))
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    assert api.get("/me", user="ada")[0] == 404


def test_invalid_events_are_4xx_and_change_nothing(api):
    api.put("/me", {"monthly_budget": 500}, user="ada")
    cases = [
        deposit_event(event_id="e1", amount=0),
        deposit_event(event_id="e2", amount=-100),
        deposit_event(event_id="e3", amount=10.5),
        deposit_event(event_id="e4", amount="100"),
        deposit_event(event_id="e5", currency="USD"),
        deposit_event(event_id="e6", user=""),
        {"id": "e7", "type": "deposit.succeeded", "data": {"amount": 100, "currency": "EUR"}},
        {"id": "e8", "type": "charge.refunded", "data": {}},
        {"type": "deposit.succeeded", "data": {"user_id": "ada", "amount": 1, "currency": "EUR"}},
    ]
    for event in cases:
        status, body = api.webhook(event)
        assert 400 <= status < 500, (event, status, body)
        assert "error" in body
    assert funds(api, "ada") == 0
    # A refused event id can be sent again once it is right.
    assert api.webhook(deposit_event(event_id="e5"))[1] == {"status": "processed"}
    assert funds(api, "ada") == 1500


def test_non_json_webhook_body_is_400(api):
    from flattr.domain.webhooks import sign

    body = b"not json at all"
    status, err = api.call(
        "POST",
        "/webhooks/payments",
        raw=body,
        headers={"Flattr-Signature": sign("local-webhook-secret", int(time.time()), body)},
    )
    assert status == 400
    assert err["error"]["code"] == "invalid_event"


def test_an_event_still_in_progress_elsewhere_is_409_not_5xx(api, monkeypatch):
    """Two deliveries of one event at the same moment: Powertools refuses the second while the
    first runs. (The local gateway runs one invocation at a time, so the race is staged.)"""
    import deposit_handler
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    api.put("/me", {"monthly_budget": 500}, user="ada")

    def busy(event):
        raise IdempotencyAlreadyInProgressError("in progress")

    monkeypatch.setattr(deposit_handler, "apply", busy)
    status, body = api.webhook(deposit_event(event_id="evt_busy"))
    assert (status, body["error"]["code"]) == (409, "event_in_progress")
    monkeypatch.undo()
    assert api.webhook(deposit_event(event_id="evt_busy"))[1] == {"status": "processed"}
    assert funds(api, "ada") == 1500
