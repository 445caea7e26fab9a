"""The local runtime runs every function in one process. Powertools' resolvers keep the current
request on a class shared by all of them, so two HTTP functions called at once must take turns,
or one request reads the other's event (its caller's claims, say): each must answer from its own."""

import json
import textwrap
import threading
from pathlib import Path

from local import runtime
from local.stack import FunctionSpec

PROBE = textwrap.dedent(
    """
    import time

    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    app = APIGatewayHttpResolver()


    @app.get("/probe")
    def probe():
        asked = app.current_event.query_string_parameters["who"]
        time.sleep(0.02)  # another request, running now, would replace the resolvers' event
        return {"asked": asked, "answered": app.current_event.query_string_parameters["who"]}


    def handler(event, context):
        return app.resolve(event, context)
    """
)


def _event(who: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": "GET /probe",
        "rawPath": "/probe",
        "rawQueryString": f"who={who}",
        "queryStringParameters": {"who": who},
        "headers": {},
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": "GET", "path": "/probe"}, "stage": "$default"},
    }


def test_two_http_functions_called_at_once_each_answer_from_their_own_request(tmp_path: Path, monkeypatch):
    for name in ("probe_things", "probe_accounts"):
        (tmp_path / f"{name}.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    functions = [
        FunctionSpec("ThingsFunction", tmp_path, "probe_things.handler", {}),
        FunctionSpec("AccountsFunction", tmp_path, "probe_accounts.handler", {}),
    ]
    answers: list[dict] = []

    def call(fn: FunctionSpec, who: str) -> None:
        for _ in range(5):
            answers.append(runtime.invoke(fn, _event(who)))

    threads = [threading.Thread(target=call, args=(fn, fn.logical_id)) for fn in functions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = [json.loads(a["body"]) for a in answers]
    assert len(bodies) == 10
    assert all(b["answered"] == b["asked"] for b in bodies), bodies
